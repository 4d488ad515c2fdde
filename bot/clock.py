"""The real clock (tests use `adapters.inproc.ManualClock`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conversations.ports import Clock


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock:
    """Another clock moved forward by hand: the web chat demo's "run time forward".

    Only ever ahead, never back: the outbox and the processed-event ids assume time goes on.
    """

    def __init__(self, base: Clock | None = None) -> None:
        self.base: Clock = base or SystemClock()
        self.offset = timedelta()

    def now(self) -> datetime:
        return self.base.now() + self.offset

    def advance(self, by: timedelta) -> None:
        if by <= timedelta():
            raise ValueError("the clock only moves forward")
        self.offset += by
