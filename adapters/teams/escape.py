"""Make plain text safe for the markdown subset Teams applies to Adaptive Card text.

Every neutral string is plain text (see `conversations.messages`). Teams renders
`TextBlock.text`, `Fact.title` and `Fact.value` through a small markdown parser (bold, italic,
lists, links) and also expands `{{DATE(...)}}`/`{{TIME(...)}}` functions, so text a person wrote
could become emphasis, a list, a link with a misleading label, or a formatted date. We neutralise
exactly what that subset reads, with CommonMark backslash escapes (any ASCII punctuation may be
escaped; the renderer shows the literal character):

* everywhere: ``\\`` ``*`` ``_`` ``~`` `` ` `` ``[`` ``]`` ``<`` ``>`` ``&`` ``{`` ``}`` —
  emphasis, strikethrough, code, link labels (``[label](url)`` needs ``[``), tags/mentions,
  entities (``&lt;``) and the date/time functions (``{{``);
* at the start of a line: ``-`` ``+`` ``#`` ``=`` (lists, headings) and ``.``/``)`` after
  leading digits (``1.`` ordered lists).

Punctuation the subset does not read (``( ) : ! | # ?`` mid-line) is left alone on purpose:
some Teams mobile builds have shown escape backslashes literally, so every escape we do not
need is a visible blemish in ordinary Danish text. A bare URL may still be auto-linked by the
client; that link always shows its own target, so it cannot mislead.

Line breaks: the renderer joins lines separated by a single ``\\n`` (markdown paragraphs), so
each line break becomes a paragraph break to keep what a person typed on separate lines.

Input labels, choice titles, input values and action titles are not markdown and must not be
passed through here.
"""

from __future__ import annotations

import re

_ALWAYS = frozenset("\\*_~`[]<>&{}")
_LINE_START = re.compile(r"^(\s*)([-+#=])", re.MULTILINE)
_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)
_BREAKS = re.compile(r"\r\n?|\n")


def escape_markdown(text: str) -> str:
    """Escape `text` so Teams shows it literally (see the module docstring for the rules)."""
    out = "".join("\\" + ch if ch in _ALWAYS else ch for ch in text)
    out = _LINE_START.sub(r"\1\\\2", out)
    out = _ORDERED.sub(r"\1\\\2", out)
    lines = [line.rstrip() for line in _BREAKS.split(out)]
    return "\n\n".join(line for line in lines if line) if len(lines) > 1 else out
