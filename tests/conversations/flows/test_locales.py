"""Every string the code asks for exists in Danish and English, with the same placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from conversations import i18n

ROOT = Path(__file__).resolve().parents[3] / "conversations"
NAMESPACES = "common|delivery|error|help|install|kickoff|leaders|notes|prep|round|start|status|text|home|booking|plan|reminder|summary|adapt"
KEY = re.compile(rf"^({NAMESPACES})\.[a-z_.]+$")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_da_and_en_have_the_same_keys_and_placeholders() -> None:
    da, en = i18n.catalog("da"), i18n.catalog("en")
    assert set(da) == set(en)
    for key in da:
        assert _fields(da[key]) == _fields(en[key]), key


def test_every_literal_key_in_the_code_exists() -> None:
    """Literal keys passed to t()/say()/Refuse(); dynamic ones are checked by the flow tests."""
    known = set(i18n.catalog("da"))
    missing = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name not in {"t", "say", "dm", "Refuse"}:
                continue
            for arg in node.args[:2]:
                value = arg.value if isinstance(arg, ast.Constant) else None
                if isinstance(value, str) and KEY.match(value) and value not in known:
                    missing.append(f"{path.name}: {value}")
    assert missing == []


def test_english_falls_back_to_danish_for_unknown_languages() -> None:
    assert i18n.language("de-DE") == "da"
    assert i18n.language("en_US") == "en"
    assert i18n.t("fr", "prep.saved") == i18n.t("da", "prep.saved")


def test_numbers_read_as_babel_writes_them_in_each_language() -> None:
    """Small integers skip babel (it is slow on every message): the text must not change."""
    from babel.numbers import format_decimal

    for lang, babel_locale in (("da", "da_DK"), ("en", "en_GB")):
        for value in (*range(-1200, 1200, 7), 0, 999, -999, 1000, 20000, 2.5, 1234.5):
            assert i18n.format_number(lang, value) == format_decimal(value, locale=babel_locale)
    assert i18n.t("da", "error.too_long", length=20000, limit=999).count("20.000") == 1
