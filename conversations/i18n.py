"""What people read, in Danish by default and in English on request.

Strings live in `locales/<lang>.yaml` as data; `t()` formats them. Danish is the fallback for
every key, so a missing English string shows Danish rather than a key name.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

SUPPORTED = ("da", "en")
DEFAULT = "da"


@lru_cache(maxsize=256)
def language(locale: str | None) -> str:
    """Map a platform locale (`da-DK`, `en-US`, `en`) to a supported language (remembered:
    every text a person reads asks again, and there are few locales)."""
    if not locale:
        return DEFAULT
    lang = locale.replace("_", "-").split("-")[0].lower()
    return lang if lang in SUPPORTED else DEFAULT


@cache
def catalog(lang: str) -> dict[str, str]:
    text = resources.files("conversations").joinpath(f"locales/{lang}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"locales/{lang}.yaml: top level must be a mapping")
    return {str(k): str(v) for k, v in data.items()}


_BABEL_LOCALES = {"da": "da_DK", "en": "en_GB"}


def format_number(locale: str | None, value: int | float) -> str:
    """A number as the reader writes it (babel): 20.000 in Danish, 20,000 in English."""
    if type(value) is int and -1000 < value < 1000:
        return str(value)  # no grouping, the same in every supported language: babel is slow
    from babel.numbers import format_decimal

    return str(format_decimal(value, locale=_BABEL_LOCALES[language(locale)]))


@cache
def _texts(lang: str) -> dict[str, str]:
    """The language's catalog over Danish (the fallback for every key): one lookup per text."""
    return {**catalog(DEFAULT), **catalog(lang)}


def t(locale: str | None, key: str, /, **values: Any) -> str:
    """The text for `key` in the person's language, with `{placeholders}` filled in.

    Numbers are formatted for the language ("20.000 tegn"), so no flow formats them by hand.
    """
    lang = language(locale)
    text = _texts(lang)[key]
    if not values:
        return text
    shown = {
        name: value
        if type(value) is str  # most values: a name, a date, the command prefix
        or not isinstance(value, _NUMBERS)
        or isinstance(value, bool)
        else format_number(lang, value)
        for name, value in values.items()
    }
    return text.format(**shown)


_NUMBERS = (int, float)


def format_date(locale: str | None, value: Any) -> str:
    """A date as people write it: 24.12.2026 in Danish, 24 Dec 2026 in English."""
    if language(locale) == "da":
        return f"{value.day}.{value.month}.{value.year}"
    from babel.dates import format_date as babel_format_date

    return str(babel_format_date(value, format="medium", locale="en_GB"))


def format_datetime(locale: str | None, value: Any) -> str:
    """A local date and time; `value` must already be in the reader's time zone."""
    clock = f"{value.hour:02d}.{value.minute:02d}" if language(locale) == "da" else f"{value:%H:%M}"
    return f"{format_date(locale, value)} {t(locale, 'common.at')} {clock}"
