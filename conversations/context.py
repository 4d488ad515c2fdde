"""Everything one handler needs for one event, so flows take a single argument."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from conversations import i18n
from conversations.domain import Person, Workspace
from conversations.events import InboundEvent
from conversations.ports import PlatformPort, Tx
from conversations.templates.model import Template

if TYPE_CHECKING:  # the directory (with its forms) is needed once an event is handled
    from conversations.directory import Directory
    from conversations.schedule import WorkingHours


class TemplateSource(Protocol):
    """The template library as the flows see it (implemented by `TemplateLibrary`)."""

    def names(self) -> list[str]: ...

    def get(self, *, name: str) -> Template: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CoreSettings:
    """Rules of the process that a workplace may tune."""

    # Platform user ids named as leaders by configuration (MUSBOT_LEADERS), besides admins.
    configured_leaders: frozenset[str] = frozenset()
    # Platform user ids treated as admins (MUSBOT_ADMINS): for Teams, which tells no admin flag.
    configured_admins: frozenset[str] = frozenset()
    # Aggregates shown to a group never cover fewer people than this.
    min_group_size: int = 3
    # Reminders go out on working days between these hours, in the recipient's time zone.
    work_start_hour: int = 8
    work_end_hour: int = 16
    # Confidential content in chat messages (kept in the platform's history) instead of only
    # in private views reached from a message that says there is something to read.
    content_in_messages: bool = False

    def hours(self) -> WorkingHours:
        from conversations.schedule import WorkingHours

        end = time(23, 59) if self.work_end_hour >= 24 else time(self.work_end_hour, 0)
        return WorkingHours(start=time(self.work_start_hour, 0), end=end)


@dataclass(slots=True, kw_only=True)
class Ctx:
    tx: Tx
    event: InboundEvent
    workspace: Workspace
    person: Person
    now: datetime
    templates: TemplateSource
    platform: PlatformPort
    directory: Directory
    settings: CoreSettings = field(default_factory=CoreSettings)

    @property
    def locale(self) -> str:
        return self.person.locale

    def t(self, key: str, /, **values: Any) -> str:
        """The person's language; `{mus}` is how they type commands on their platform."""
        values.setdefault("mus", self.platform.command_prefix)
        return i18n.t(self.person.locale, key, **values)

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.person.timezone)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def is_admin(self) -> bool:
        from conversations.policy import is_admin

        return is_admin(self.person, configured=self.settings.configured_admins)

    def may_lead(self) -> bool:
        return (
            self.is_admin()
            or self.person.can_lead
            or self.person.user_id in self.settings.configured_leaders
        )

    async def people_by_id(self, ids: Sequence[int]) -> dict[int, Person]:
        return {p.id: p for p in await self.tx.people.get_many(person_ids=list(ids))}

    async def audit(self, *, action: str, subject: str, detail: str | None = None) -> None:
        """Every read or change of confidential data leaves a line in the audit log."""
        await self.tx.audit.record(
            at=self.now, actor_id=self.person.id, action=action, subject=subject, detail=detail
        )


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Europe/Copenhagen")
    except (KeyError, ValueError):
        return ZoneInfo("Europe/Copenhagen")
