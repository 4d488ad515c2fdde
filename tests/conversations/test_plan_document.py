"""The employee's copy of the plan as a PDF: the same content as the text version."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from conversations.domain import Approval, ItemStatus, Person, PlanItem, PlanState, PlanVersion
from conversations.plan_document import PlanDocument, render_pdf, render_text
from conversations.templates.library import TemplateLibrary

pypdf = pytest.importorskip("pypdf")

CPH = ZoneInfo("Europe/Copenhagen")


def _document(locale: str = "da-DK") -> PlanDocument:
    template = TemplateLibrary().get(name="kk-buf")
    first, second = (f.id for f in template.plan.fields[:2])
    anna = Person(id=1, workspace_id=1, user_id="U1", display_name="Anna Ærø-Østergård")
    lene = Person(id=2, workspace_id=1, user_id="UL", display_name="Lene Leder")

    def version(n: int, state: PlanState, goal: str, signed: bool) -> PlanVersion:
        approvals = (
            (
                Approval(person_id=2, at=datetime(2027, 1, 11, 9, 5, tzinfo=UTC)),
                Approval(person_id=1, at=datetime(2027, 1, 11, 13, 30, tzinfo=UTC)),
            )
            if signed
            else ()
        )
        return PlanVersion(
            id=n,
            round_id=1,
            employee_id=1,
            number=n,
            state=state,
            items=(
                PlanItem(id="i1", fields={first: goal, second: "Kursus i dialogisk læsning"}),
                PlanItem(
                    id="i2", fields={first: "Mentor for nye kolleger"}, waits_for_summary=True
                ),
            ),
            follow_up_on=date(2027, 3, 8),
            author_id=2,
            created_at=datetime(2027, 1, 10, 9, tzinfo=UTC),
            approvals=approvals,
        )

    return PlanDocument(
        locale=locale,
        tz=CPH,
        template=template,
        employee=anna,
        versions=[
            version(1, PlanState.SUPERSEDED, "Styrke sprogarbejdet", True),
            version(2, PlanState.AGREED, "Styrke sprog og leg – “med ro”", True),
        ],
        people={1: anna, 2: lene},
        progress={"i1": ItemStatus.NOT_STARTED},
        kerneopgave="Trygge rammer for børns læring",
    )


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_has_items_follow_up_both_approvals_with_time_and_the_history() -> None:
    document = _document()
    data = render_pdf(document)
    assert data.startswith(b"%PDF-")
    text = " ".join(_pdf_text(data).split())
    assert "Udviklingsplan: Anna Ærø-Østergård" in text
    assert "Styrke sprog og leg" in text and "Styrke sprogarbejdet" in text  # both versions
    assert "Kursus i dialogisk læsning" in text and "Mentor for nye kolleger" in text
    assert "Opfølgningsdato: 8.3.2027" in text
    assert text.count("Godkendt af Lene Leder den 11.1.2027 kl. 10.05") == 2
    assert text.count("Godkendt af Anna Ærø-Østergård den 11.1.2027 kl. 14.30") == 2
    assert "version 1" in text and "version 2" in text and "Alle versioner" in text
    # Everything the text version says is in the PDF too.
    plain = render_text(document)
    for line in plain.splitlines():
        words = " ".join(line.replace("=", "").replace("-" * 60, "").split())
        if words:
            assert words in text, words


def test_the_pdf_in_english() -> None:
    text = " ".join(_pdf_text(render_pdf(_document("en-GB"))).split())
    assert "Development plan" in text or "development plan" in text


def test_without_a_unicode_font_the_pdf_still_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    import conversations.plan_document as plan_document

    monkeypatch.setattr(plan_document, "_unicode_font", lambda: None)
    document = replace(_document(), kerneopgave="Trygge rammer 🌻 for børn")
    text = " ".join(_pdf_text(render_pdf(document)).split())
    assert "Anna Ærø-Østergård" in text and "Trygge rammer ? for børn" in text
