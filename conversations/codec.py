"""Button values and form state: small, explicit, and checked when they come back.

Values are plain `a:b:c` strings so they fit every platform's limits. A value that does not
decode (an old button, a forged payload) raises `BadValue`, which the router turns into a
friendly message.
"""

from __future__ import annotations


class BadValue(ValueError):
    pass


def encode(*parts: object) -> str:
    return ":".join(str(p) for p in parts)


def decode_ints(value: str, *, count: int) -> tuple[int, ...]:
    parts = value.split(":")
    if len(parts) < count:
        raise BadValue(value)
    try:
        return tuple(int(p) for p in parts[:count])
    except ValueError:
        raise BadValue(value) from None


def part(value: str, index: int) -> str:
    parts = value.split(":")
    if index >= len(parts):
        raise BadValue(value)
    return parts[index]
