"""The adapters' own words (notes about platform limits, file links, the web page's chrome)
come from the core's locale files, complete in Danish and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.slack.render import note_text
from adapters.teams.files import words
from adapters.webchat.server import page_texts
from conversations import i18n

ADAPTERS = Path(__file__).resolve().parents[2] / "adapters"


@pytest.mark.parametrize("locale", ["da-DK", "en-GB"])
@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("view_cut", {}),
        ("form_cut", {}),
        ("options_cut", {}),
        ("initial_cut", {"limit": 3000}),
        ("form_expired", {}),
        ("form_late", {}),
    ],
)
def test_slack_notes_are_complete(locale: str, key: str, values: dict[str, int]) -> None:
    text = note_text(locale, key, **values)
    assert text and "{" not in text
    assert text == i18n.t(
        locale, f"surface.{key}", platform="Slack", limit=values.get("limit", 100)
    )


@pytest.mark.parametrize("locale", ["da-DK", "en-GB"])
def test_teams_file_words_are_complete(locale: str) -> None:
    for key in ("download", "unavailable"):
        text = words(locale, key, filename="plan.docx")
        assert "plan.docx" in text and "{" not in text


def test_the_web_page_gets_every_word_it_asks_for() -> None:
    script = (ADAPTERS / "webchat" / "static" / "app.js").read_text("utf-8")
    html = (ADAPTERS / "webchat" / "static" / "index.html").read_text("utf-8")
    asked = set(re.findall(r'\bt\("(\w+)"', script)) | set(re.findall(r'data-i18n="(\w+)"', html))
    texts = page_texts(command="mus")
    for lang in ("da", "en"):
        assert asked <= set(texts[lang]), asked - set(texts[lang])
    assert "{mus}" not in texts["da"]["dmLabel"] and "mus hjælp" in texts["da"]["dmLabel"]


def test_no_adapter_holds_a_danish_word_or_command() -> None:
    found = []
    for path in ADAPTERS.rglob("*"):
        if path.suffix not in (".py", ".js", ".html"):
            continue
        text = path.read_text("utf-8")
        for word in ("hjem", "forbered", "hjælp", "ledere", "opsamling", "påmind", "æ", "ø", "å"):
            if word in text.lower():
                found.append(f"{path.relative_to(ADAPTERS)}: {word}")
    assert found == []
