"""The development plan as documents the employee keeps: plain UTF-8 text, and a PDF.

Both are made from one list of lines (`_lines`), so they never say different things: the
kerneopgave, every version (newest first) with its items, follow-up date, both approvals with
their time and any change request, then the version history in brief.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from conversations import i18n
from conversations.domain import ItemStatus, Person, PlanVersion
from conversations.templates.model import Template

Kind = Literal["title", "para", "version", "item", "field", "meta", "history", "blank"]


@dataclass(frozen=True, slots=True)
class _Line:
    kind: Kind
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanDocument:
    """What a plan document shows; both renderers take the same one."""

    locale: str
    tz: ZoneInfo
    template: Template
    employee: Person
    versions: Sequence[PlanVersion]  # oldest first
    people: Mapping[int, Person]  # who signed, by id
    progress: Mapping[str, ItemStatus]  # item id -> its follow-up status
    kerneopgave: str


def _lines(document: PlanDocument) -> list[_Line]:
    locale, tz, template = document.locale, document.tz, document.template
    employee, versions, people = document.employee, document.versions, document.people
    progress, kerneopgave = document.progress, document.kerneopgave
    t = lambda key, **kw: i18n.t(locale, key, **kw)  # noqa: E731 - local shorthand
    out = [
        _Line("title", t("plan.title", name=employee.display_name)),
        _Line("para", f"{t('round.kerneopgave')}: {kerneopgave}"),
    ]

    def signatures(version: PlanVersion) -> list[str]:
        return [
            t(
                "plan.signed",
                who=people[a.person_id].display_name if a.person_id in people else "?",
                when=i18n.format_datetime(locale, a.at.astimezone(tz)),
            )
            for a in version.approvals
        ]

    for version in reversed(versions):
        out.append(
            _Line(
                "version",
                t(
                    "plan.version_title",
                    title=template.plan.title,
                    n=version.number,
                    state=t(f"plan.state.{version.state.value}"),
                ),
            )
        )
        for n, item in enumerate(version.items, start=1):
            status = progress.get(item.id)
            head = t("plan.item_label", n=n)
            if item.waits_for_summary:
                head += f" ({t('plan.waits_short')})"
            if status is not None:
                head += f" [{t(f'plan.status.{status.value}')}]"
            out.append(_Line("item", head))
            for field in template.plan.fields:
                out.append(_Line("field", f"{field.label}: {item.fields.get(field.id, '–')}"))
        if version.follow_up_on:
            when = i18n.format_date(locale, version.follow_up_on)
            out.append(_Line("meta", f"{t('plan.follow_up')}: {when}"))
        out += [_Line("meta", text) for text in signatures(version)]
        if version.change_request:
            out.append(_Line("meta", f"{t('plan.change_label')}: {version.change_request}"))
        out.append(_Line("blank", ""))
    if len(versions) > 1:
        # The history in brief: each version's state (the signatures are with each above).
        out.append(_Line("version", t("plan.history_title", name=employee.display_name)))
        for version in versions:
            state = t(f"plan.state.{version.state.value}")
            out.append(_Line("history", f"{version.number}. {state}"))
    return out


def render_text(document: PlanDocument) -> str:
    """Plain UTF-8 text: opens anywhere, pastes into anything."""
    lines: list[str] = []
    for line in _lines(document):
        if line.kind == "title":
            lines += [line.text, "=" * 60, ""]
        elif line.kind == "para":
            lines += [line.text, ""]
        elif line.kind == "version":
            lines += [line.text, "-" * 60]
        elif line.kind == "field":
            lines.append(f"  {line.text}")
        elif line.kind == "history":
            lines.append(f"  {line.text}")
        else:
            lines.append(line.text)
    return "\n".join(lines)


# A Unicode font when the system has one (Debian: fonts-dejavu-core); otherwise PDF's built-in
# Helvetica, which covers Danish but not every character: the rest become "?".
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_TYPOGRAPHY = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "…": "...",
        "•": "*",
        "→": "->",
        "»": '"',
        "«": '"',
    }
)


def _unicode_font() -> tuple[Path, Path] | None:
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def render_pdf(document: PlanDocument) -> bytes:
    """An A4 PDF of the same content as `render_text`, for printing and filing."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(i18n.t(document.locale, "plan.title", name=document.employee.display_name))
    pdf.set_creator("MUS-bot")
    font = _unicode_font()
    if font is not None:
        pdf.add_font("body", "", str(font[0]))
        pdf.add_font("body", "B", str(font[1]))
        family = "body"

        def clean(text: str) -> str:
            return text
    else:
        family = "helvetica"

        def clean(text: str) -> str:
            return text.translate(_TYPOGRAPHY).encode("latin-1", "replace").decode("latin-1")

    pdf.add_page()
    width = pdf.epw
    styles: dict[str, tuple[str, float, float, float]] = {
        # kind: (style, size, indent, space after)
        "title": ("B", 17, 0, 4),
        "para": ("", 11, 0, 3),
        "version": ("B", 13, 0, 1.5),
        "item": ("B", 11, 2, 0.5),
        "field": ("", 10.5, 7, 0.5),
        "meta": ("", 10.5, 2, 0.5),
        "history": ("", 10.5, 2, 0.5),
        "blank": ("", 6, 0, 2),
    }
    for line in _lines(document):
        style, size, indent, after = styles[line.kind]
        if line.kind == "version":
            pdf.ln(2)
        pdf.set_font(family, style, size)
        pdf.set_x(pdf.l_margin + indent)
        if line.text:
            pdf.multi_cell(
                width - indent, size * 0.5, clean(line.text), new_x="LMARGIN", new_y="NEXT"
            )
        if line.kind in ("title", "version"):
            y = pdf.get_y() + 0.5
            pdf.set_draw_color(120, 120, 120)
            pdf.line(pdf.l_margin, y, pdf.l_margin + width, y)
        pdf.ln(after)
    return bytes(pdf.output())
