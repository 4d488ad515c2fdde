"""Finding, loading and validating template files, built-in and user-supplied.

Built-in templates are package data (found with `importlib.resources`, so they work from an
installed wheel). Users add or override templates with directories of their own YAML files
(`MUSBOT_TEMPLATE_DIRS`). A broken file is reported with its file name and field path and
never takes the other templates down with it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from conversations.templates.errors import WRONG_TYPE, LineMap, Problem, allowed_fields
from conversations.templates.model import DuplicateIdError, Loc, Template, format_loc

log = logging.getLogger(__name__)

BUILTIN_PACKAGE = "conversations.templates"
SUFFIXES = (".yaml", ".yml")
BUILTIN = "built-in"


class TemplateError(Exception):
    """A template file that cannot be used. The message starts with the file, then the field
    path or line, so whoever edits the file knows exactly where to look:
    `toender.yaml: themes[2].questions[0].text: Field required`."""

    def __init__(self, *, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        super().__init__(self.render("en"))

    def render(self, lang: str = "en") -> str:
        """Every problem on its own line, worded in `lang` (da or en)."""
        return "\n".join(f"{self.file}: {p.render(lang)}" for p in self.problems)

    @property
    def fields(self) -> list[str]:
        return [p.field for p in self.problems if p.field]


class UnknownTemplateError(KeyError):
    """Asked for a template that does not exist; the message lists the ones that do."""

    def __init__(self, *, name: str, available: Sequence[str]) -> None:
        self.name = name
        self.available = tuple(available)
        listed = ", ".join(self.available) or "none"
        self.message = f"no template named '{name}'; available: {listed}"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return self.message


# --- loading one file -------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys, which plain YAML silently overwrites."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise _DuplicateKey(key=key, first=seen[key], mark=key_node.start_mark)
        seen[key] = line
    return loader.construct_mapping(node, deep=True)


class _DuplicateKey(yaml.constructor.ConstructorError):
    def __init__(self, *, key: Any, first: int, mark: yaml.Mark) -> None:
        super().__init__(None, None, f"duplicate key '{key}' (first on line {first})", mark)
        self.key = key
        self.first = first


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(*, text: str, file: str) -> tuple[Any, LineMap]:
    """The document's data, and where each value stands (for errors that name the line)."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except _DuplicateKey as exc:
        mark = exc.problem_mark
        problem = Problem(
            f"invalid YAML: {exc.problem}",
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
            kind="duplicate_key",
            values={"key": str(exc.key), "first_key_line": exc.first},
        )
        raise TemplateError(file=file, problems=[problem]) from exc
    except yaml.MarkedYAMLError as exc:
        what = exc.problem or "invalid YAML"
        context, cmark, pmark = exc.context, exc.context_mark, exc.problem_mark
        if context and cmark is not None and (pmark is None or cmark.line != pmark.line):
            what += f" ({context} that began on line {cmark.line + 1})"
        elif context:
            what += f" ({context})"
        mark = pmark or cmark
        problem = Problem(
            f"invalid YAML: {what}",
            line=None if mark is None else mark.line + 1,
            column=None if mark is None else mark.column + 1,
            kind="yaml",
            values={"what": what},
        )
        raise TemplateError(file=file, problems=[problem]) from exc
    except yaml.YAMLError as exc:
        raise TemplateError(
            file=file, problems=[Problem(f"invalid YAML: {exc}", kind="yaml", values={"what": exc})]
        ) from exc
    finally:
        loader.dispose()
    return data, LineMap(node)


def _parse_yaml(*, text: str, file: str) -> Any:
    return parse_yaml(text=text, file=file)[0]


def _problem(error: ErrorDetails, lines: LineMap | None) -> Problem:
    loc: Loc = tuple(error["loc"])
    message = error["msg"]
    kind = error["type"]
    ctx = dict(error.get("ctx") or {})
    values: dict[str, Any] = {}
    cause = ctx.get("error")
    if isinstance(cause, DuplicateIdError):
        # The model checked ids relative to itself; make both places absolute.
        first = loc + cause.first
        loc, message = (
            loc + cause.path,
            f"id '{cause.item}' is used twice (first at {format_loc(first)})",
        )
        kind = "duplicate_id"
        values = {
            "item": cause.item,
            "first_field": format_loc(first),
            "first_line": lines.line(first) if lines is not None else None,
        }
    elif kind == "extra_forbidden":
        values = {"key": str(loc[-1]), "allowed": allowed_fields(loc[:-1])}
    elif kind in WRONG_TYPE:
        kind, values = "wrong_type", {"got_type": type(error.get("input")).__name__}
    elif kind == "string_too_long":
        values = {"actual": len(str(error.get("input"))), **ctx}
    elif kind in ("string_pattern_mismatch", "literal_error"):
        values = {"input": str(error.get("input"))}
    elif kind in ("greater_than_equal", "less_than_equal", "too_short", "too_long"):
        values = dict(ctx)
    elif kind not in ("missing", "string_too_short"):
        kind = "pydantic"
    line = lines.line(loc) if lines is not None else None
    return Problem(message, field=format_loc(loc) or None, line=line, kind=kind, values=values)


def _problems(errors: Sequence[ErrorDetails], lines: LineMap | None) -> list[Problem]:
    """One problem per real mistake: pydantic also reports a list as too short when its only
    item failed, which only distracts from the field that is actually wrong."""
    locs = [tuple(e["loc"]) for e in errors]

    def follows_from_inner(n: int) -> bool:
        here = locs[n]
        return errors[n]["type"] == "too_short" and any(
            len(other) > len(here) and other[: len(here)] == here for other in locs
        )

    return [_problem(e, lines) for n, e in enumerate(errors) if not follows_from_inner(n)]


def validate_template(*, data: Any, file: str, lines: LineMap | None = None) -> Template:
    """Validate parsed YAML (or a snapshot) into a `Template`, or raise `TemplateError`.

    With `lines` (from `parse_yaml`) every problem also names its line in the file."""
    if data is None:
        raise TemplateError(file=file, problems=[Problem("the file is empty", kind="empty")])
    if not isinstance(data, Mapping):
        kind = type(data).__name__
        raise TemplateError(
            file=file,
            problems=[
                Problem(
                    f"the top level must be a mapping (name:, title:, ...), not a {kind}",
                    line=lines.line(()) if lines is not None else None,
                    kind="not_mapping",
                    values={"got_type": kind},
                )
            ],
        )
    try:
        return Template.model_validate(data)
    except ValidationError as exc:
        raise TemplateError(file=file, problems=_problems(exc.errors(), lines)) from exc


def read_text(*, path: Path | Traversable, file: str) -> str:
    """A template file's text, or a `TemplateError` that says why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateError(
            file=file, problems=[Problem(f"not UTF-8 text ({exc.reason})", kind="not_utf8")]
        ) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise TemplateError(
            file=file,
            problems=[
                Problem(f"cannot read: {reason}", kind="unreadable", values={"reason": reason})
            ],
        ) from exc


def parse_template(*, text: str, file: str) -> Template:
    """A template from YAML text, every problem named by line and field."""
    data, lines = parse_yaml(text=text, file=file)
    return validate_template(data=data, file=file, lines=lines)


def load_template(*, path: Path | Traversable, label: str | None = None) -> Template:
    """Read and validate one template file; its `name` must equal the file name without suffix,
    so `musbot templates show <name>` always finds the file you wrote.

    `label` is how errors name the file (default: the file name).
    """
    file = label or path.name
    text = read_text(path=path, file=file)
    data, lines = parse_yaml(text=text, file=file)
    template = validate_template(data=data, file=file, lines=lines)
    stem = _stem(path.name)
    if template.name != stem:
        raise TemplateError(
            file=file,
            problems=[
                Problem(
                    f"'{template.name}' must equal the file name without suffix ('{stem}')",
                    field="name",
                    line=lines.line(("name",)),
                    kind="name_mismatch",
                    values={"name": template.name, "stem": stem},
                )
            ],
        )
    return template


def _stem(filename: str) -> str:
    for suffix in SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return filename


def _is_template_file(entry: Traversable) -> bool:
    return entry.is_file() and entry.name.endswith(SUFFIXES) and not entry.name.startswith(".")


def split_dir_list(*, value: str | None) -> list[Path]:
    """Parse a directory-list setting (`MUSBOT_TEMPLATE_DIRS`): entries separated by the OS path
    separator (`:` on Linux, `;` on Windows) or by commas; blanks ignored, `~` expanded."""
    if not value:
        return []
    parts = value.replace(",", os.pathsep).split(os.pathsep)
    return [Path(p.strip()).expanduser() for p in parts if p.strip()]


# --- the library ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    template: Template
    origin: str  # BUILTIN or the user file's path
    path: Path | Traversable


class TemplateLibrary:
    """All usable templates: the built-in ones, plus files in `extra_dirs` (later directories
    win; a user file named like a built-in replaces it). Satisfies the engine's `TemplateSource`.

    Files are read once, at construction and on `reload()`; a running round never depends on
    them anyway, because it keeps a `snapshot()` of its template.
    """

    def __init__(self, *, extra_dirs: Sequence[Path] = ()) -> None:
        self._extra_dirs = tuple(Path(d) for d in extra_dirs)
        self._entries: dict[str, _Entry] = {}
        self._errors: list[TemplateError] = []
        self.reload()

    def reload(self) -> None:
        """Read every template file again (after a user edits or adds one)."""
        entries: dict[str, _Entry] = {}
        errors: list[TemplateError] = []
        builtin_dir = resources.files(BUILTIN_PACKAGE)
        for entry in sorted(builtin_dir.iterdir(), key=lambda e: e.name):
            if _is_template_file(entry):
                self._add(entries, errors, path=entry, label=entry.name, origin=BUILTIN)
        for directory in self._extra_dirs:
            if not directory.is_dir():
                error = TemplateError(
                    file=str(directory),
                    problems=[Problem("template directory does not exist", kind="no_dir")],
                )
                log.warning("%s", error)
                errors.append(error)
                continue
            for path in sorted(directory.iterdir()):
                if _is_template_file(path):
                    self._add(entries, errors, path=path, label=str(path), origin=str(path))
        self._entries = entries
        self._errors = errors

    @staticmethod
    def _add(
        entries: dict[str, _Entry],
        errors: list[TemplateError],
        *,
        path: Path | Traversable,
        label: str,
        origin: str,
    ) -> None:
        try:
            template = load_template(path=path, label=label)
        except TemplateError as error:
            kept = entries.get(_stem(path.name))
            suffix = f"; keeping the {kept.origin} one" if kept else ""
            log.error("template file skipped%s:\n%s", suffix, error)
            errors.append(error)
            return
        previous = entries.get(template.name)
        if previous is not None:
            log.warning(
                "template '%s' from %s overrides the %s one",
                template.name,
                origin,
                "built-in" if previous.origin == BUILTIN else f"one from {previous.origin}",
            )
        entries[template.name] = _Entry(template=template, origin=origin, path=path)

    def names(self) -> list[str]:
        """Names of all usable templates, sorted."""
        return sorted(self._entries)

    def get(self, *, name: str) -> Template:
        """The template called `name`; `UnknownTemplateError` (a `KeyError`) lists the others."""
        entry = self._entries.get(name)
        if entry is None:
            raise UnknownTemplateError(name=name, available=self.names())
        return entry.template

    def origin(self, *, name: str) -> str:
        """Where a template came from: `built-in` or the user file's path."""
        entry = self._entries.get(name)
        if entry is None:
            raise UnknownTemplateError(name=name, available=self.names())
        return entry.origin

    def text(self, *, name: str) -> str:
        """The template's file as written (comments and all), for `musbot templates export`."""
        entry = self._entries.get(name)
        if entry is None:
            raise UnknownTemplateError(name=name, available=self.names())
        return entry.path.read_text(encoding="utf-8")

    def snapshot(self, *, name: str) -> dict[str, Any]:
        """The template as plain JSON data, stored with a round so later edits of the file never
        change a form someone is half-way through."""
        return self.get(name=name).model_dump(mode="json")

    @staticmethod
    def from_snapshot(data: Mapping[str, Any]) -> Template:
        """Restore a round's template from its snapshot (a `TemplateError` if it is corrupt)."""
        name = data.get("name") if isinstance(data, Mapping) else None
        return validate_template(data=data, file=f"snapshot of '{name or '?'}'")

    def errors(self) -> list[TemplateError]:
        """Files that could not be loaded at the last (re)load, for the CLI and logs."""
        return list(self._errors)
