"""Plain-text renderings of a template, so a leader can read a whole form in a terminal
(`musbot templates show`) before choosing it for a round."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

from conversations.templates.model import DEFAULT_MAX_LENGTH, Question, Template

WIDTH = 88

_LABELS: dict[str, dict[str, str]] = {
    "da": {
        "language": "Sprog",
        "source": "Kilde",
        "employee_guidance": "Til medarbejderen",
        "leader_guidance": "Til lederen",
        "themes": "Temaer og spørgsmål",
        "help": "Hjælp",
        "prompts": "Besvares i dele",
        "priority": "prioriteret",
        "max_length": "højst {n} tegn",
        "plan": "Udviklingsplan",
        "plan_fields": "Felter pr. punkt",
        "required": "skal udfyldes",
        "one_line": "én linje",
        "max_items": "højst {n} punkter",
        "agenda": "Dagsorden for fælles opsamling",
    },
    "en": {
        "language": "Language",
        "source": "Source",
        "employee_guidance": "For the employee",
        "leader_guidance": "For the leader",
        "themes": "Themes and questions",
        "help": "Help",
        "prompts": "Answered in parts",
        "priority": "priority",
        "max_length": "at most {n} characters",
        "plan": "Development plan",
        "plan_fields": "Fields per item",
        "required": "required",
        "one_line": "one line",
        "max_items": "at most {n} items",
        "agenda": "Summary meeting agenda",
    },
}


def _lang(locale: str | None) -> str:
    """`da-DK`/`en_US`/`en` to a label language; Danish unless English is asked for."""
    lang = (locale or "da").replace("_", "-").split("-")[0].lower()
    return lang if lang in _LABELS else "da"


def _wrap(text: str, *, indent: str, hang: int = 0) -> Iterator[str]:
    """Wrap each line of `text`, keeping its own leading spaces and hanging bullets;
    `hang` indents continuation lines further (under the text of a numbered line)."""
    for raw in text.splitlines():
        if not raw.strip():
            yield ""
            continue
        body = raw.lstrip(" ")
        lead = indent + raw[: len(raw) - len(body)]
        bullet = 2 if body.startswith(("- ", "* ")) else 0
        subsequent = lead + " " * max(hang, bullet)
        yield from textwrap.wrap(
            body,
            width=WIDTH,
            initial_indent=lead,
            subsequent_indent=subsequent,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [lead.rstrip()]


def _question(question: Question, *, number: str, labels: dict[str, str]) -> Iterator[str]:
    marks = []
    if question.priority:
        marks.append(labels["priority"])
    if question.max_length != DEFAULT_MAX_LENGTH:
        marks.append(labels["max_length"].format(n=question.max_length))
    suffix = f" ({', '.join(marks)})" if marks else ""
    yield from _wrap(
        f"{number} {question.text}{suffix}  [{question.id}]", indent="   ", hang=len(number) + 1
    )
    inner = " " * (4 + len(number))
    if question.prompts:
        yield f"{inner}{labels['prompts']}:"
        for n, prompt in enumerate(question.prompts):
            yield from _wrap(f"{chr(ord('a') + n)}) {prompt}", indent=inner + "  ", hang=3)
    if question.help:
        yield f"{inner}{labels['help']}:"
        yield from _wrap(question.help, indent=inner + "  ")


def describe(*, template: Template, locale: str) -> str:
    """The whole template as plain text: guidance, themes with questions, prompts and help,
    the development plan's fields and the summary agenda. `locale` picks the headings'
    language; the template's own text is shown as written."""
    labels = _LABELS[_lang(locale)]
    out: list[str] = [f"{template.name}: {template.title}", ""]
    out.append(f"{labels['language']}: {template.language}")
    if template.source:
        out.extend(_wrap(f"{labels['source']}: {template.source}", indent=""))
    out.append("")
    out.extend(_wrap(template.description, indent=""))
    for key, text in (
        ("employee_guidance", template.employee_guidance),
        ("leader_guidance", template.leader_guidance),
    ):
        if text:
            out += ["", f"{labels[key]}:"]
            out.extend(_wrap(text, indent="  "))

    out += ["", f"== {labels['themes']} =="]
    for t_no, theme in enumerate(template.themes, start=1):
        out.append("")
        out.extend(
            _wrap(f"{t_no}. {theme.title}  [{theme.id}]", indent="", hang=len(str(t_no)) + 2)
        )
        if theme.intro:
            out.extend(_wrap(theme.intro, indent="   "))
        for q_no, question in enumerate(theme.ordered(), start=1):  # as they are asked
            out.extend(_question(question, number=f"{t_no}.{q_no}", labels=labels))

    plan = template.plan
    out += ["", f"== {labels['plan']}: {plan.title} =="]
    if plan.intro:
        out.extend(_wrap(plan.intro, indent="  "))
    out += ["", f"{labels['plan_fields']} ({labels['max_items'].format(n=plan.max_items)}):"]
    for field in plan.fields:
        marks = [labels["required"]] if field.required else []
        if not field.multiline:
            marks.append(labels["one_line"])
        suffix = f" ({', '.join(marks)})" if marks else ""
        out.extend(_wrap(f"- {field.label}{suffix}  [{field.id}]", indent="  "))
        if field.hint:
            out.extend(_wrap(field.hint, indent="    "))

    if template.summary_agenda:
        out += ["", f"== {labels['agenda']} =="]
        for n, item in enumerate(template.summary_agenda, start=1):
            first, *rest = item.splitlines() or [""]
            out.extend(_wrap(f"{n}. {first}", indent="  ", hang=len(str(n)) + 2))
            out.extend(_wrap("\n".join(rest), indent="     "))
    return "\n".join(out).rstrip() + "\n"


def summary_line(*, template: Template) -> str:
    """One line per template for `musbot templates list`: name, language, size and title."""
    questions = sum(len(theme.questions) for theme in template.themes)
    return (
        f"{template.name:<10} [{template.language}] {len(template.themes)} themes, "
        f"{questions} questions, {len(template.steps())} answers: {template.title}"
    )
