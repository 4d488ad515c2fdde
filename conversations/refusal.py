"""The one way the core stops handling an event and tells the actor why."""

from __future__ import annotations


class Refuse(Exception):
    """Stop handling and tell the actor why, in their language (`key` is an i18n key).

    Raised inside the handler's transaction and answered by the router there, so what was
    written before it (the audit row of a refused read) is kept.
    """

    def __init__(self, key: str, /, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values
