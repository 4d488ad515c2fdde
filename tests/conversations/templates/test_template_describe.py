"""`musbot templates show/list` text: everything a leader needs to judge a template."""

from __future__ import annotations

import pytest

from conversations.templates import TemplateLibrary
from conversations.templates.describe import WIDTH, describe, summary_line
from conversations.templates.model import Template


@pytest.fixture(scope="module")
def library() -> TemplateLibrary:
    return TemplateLibrary()


def test_show_toender_has_skema_1_to_3_with_prompts(library: TemplateLibrary) -> None:
    text = describe(template=library.get(name="toender"), locale="da")
    assert text.startswith("toender: Tønder Kommune – MUS-forberedelsesskema\n")
    for heading in ("Skema 1.", "4. Skema 2 – Tønderkulturen", "5. Skema 3 – Tønderkulturen"):
        assert heading in text
    assert text.count("a) Hvad fungerer godt?") == 11
    assert text.count("c) Hvordan kan du bidrage? Hvor skal du understøttes?") == 11
    assert "Til lederen:" in text
    assert "Hvad er din oplevelse af medarbejderen?" in text
    assert "== Udviklingsplan: Handleplan ==" in text
    assert "- Aftale – hvad skal der ske? (skal udfyldes)  [aftale]" in text
    assert "== Dagsorden for fælles opsamling ==" in text


def test_show_kk_buf_has_help_and_plan_fields(library: TemplateLibrary) -> None:
    text = describe(template=library.get(name="kk-buf"), locale="en-GB")
    assert "1. Siden sidste MUS  [siden-sidste-mus]" in text
    assert "4. Frem mod udviklingsplanen  [frem-mod-udviklingsplanen]" in text
    assert "       Help:\n         Spørgsmål til refleksion:\n" in text
    assert "           - Hvad kan du selv gøre?" in text  # nested bullets keep their depth
    for label in (
        "Hvad vil du gerne opnå? (læringsmål) (required)",
        "Hvilke tiltag skal sættes i værk?",
        "Hvem kan støtte dig i processen?",
        "Tidsplan og ansvar",
    ):
        assert f"  - {label}  [" in text
    assert "== Development plan: Personlig udviklingsplan ==" in text


@pytest.mark.parametrize("name", ["generic", "kk-buf", "randers", "toender"])
@pytest.mark.parametrize("locale", ["da", "en"])
def test_every_template_describes_within_the_width(
    library: TemplateLibrary, name: str, locale: str
) -> None:
    template = library.get(name=name)
    text = describe(template=template, locale=locale)
    assert all(len(line) <= WIDTH for line in text.splitlines())
    for theme in template.themes:
        assert f"[{theme.id}]" in text
    for question in (q for t in template.themes for q in t.questions):
        assert f"[{question.id}]" in text


def test_priority_and_length_marks_and_question_order() -> None:
    template = Template.model_validate(
        {
            "name": "mini",
            "title": "Mini",
            "language": "en",
            "description": "A small one.",
            "themes": [
                {
                    "id": "t",
                    "title": "Theme",
                    "questions": [
                        {"id": "a", "text": "Asked second"},
                        {"id": "b", "text": "Asked first", "priority": True, "max_length": 500},
                    ],
                }
            ],
            "plan": {"title": "Plan", "fields": [{"id": "goal", "label": "Goal"}]},
        }
    )
    text = describe(template=template, locale="en")
    assert "   1.1 Asked first (priority, at most 500 characters)  [b]\n" in text
    assert "   1.2 Asked second  [a]\n" in text
    assert "Language: en" in text
    assert "Summary meeting agenda" not in text


def test_unknown_locale_falls_back_to_danish(library: TemplateLibrary) -> None:
    text = describe(template=library.get(name="generic"), locale="de-DE")
    assert "== Temaer og spørgsmål ==" in text


def test_summary_line(library: TemplateLibrary) -> None:
    assert summary_line(template=library.get(name="toender")) == (
        "toender    [da] 7 themes, 22 questions, 44 answers: "
        "Tønder Kommune – MUS-forberedelsesskema"
    )
    lines = [summary_line(template=library.get(name=n)) for n in library.names()]
    assert [line.split()[0] for line in lines] == ["generic", "kk-buf", "randers", "toender"]
