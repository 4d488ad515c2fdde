"""Templates kept in the database (organisation templates and leaders' own), and the state of
one round's form while the team adapts it. Plain values: storage maps its rows to these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from conversations.templates.model import Template


class Scope(StrEnum):
    ORG = "org"  # offered to every leader of the organisation
    OWN = "own"  # one leader's own template, offered only to them


class Status(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # a leader's template offered to the organisation, awaiting an admin
    RETIRED = "retired"  # no longer offered; rounds that used it keep their snapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredTemplate:
    """One version of a template in the database. Versions are never changed; an import of the
    same name adds the next version."""

    id: int
    name: str
    version: int
    scope: Scope
    status: Status
    owner_id: int | None
    data: dict[str, Any]
    source_text: str | None
    created_at: datetime

    def template(self) -> Template:
        return Template.model_validate(self.data)

    @property
    def offered(self) -> bool:
        return self.status != Status.RETIRED


@dataclass(frozen=True, slots=True, kw_only=True)
class FormGroup:
    """A sub-group of a round's members (faggruppe, function, team) with its own form."""

    key: str
    name: str
    member_ids: tuple[int, ...]
    template: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundForm:
    """A round's form while the team adapts it, and whether preparation is out yet.

    `held`: members see "preparation opens soon" until the leader releases it (or
    `release_on` comes). `used_ids` holds every question id the round has ever had, so an id
    is never given to another question and no answer ever appears under a question its author
    never saw. A round without a `RoundForm` row was released when it started.
    """

    round_id: int
    held: bool = False
    release_on: date | None = None
    released_at: datetime | None = None
    groups: tuple[FormGroup, ...] = ()
    used_ids: tuple[str, ...] = ()
    original: dict[str, Any] = field(default_factory=dict)

    def group_of(self, person_id: int) -> FormGroup | None:
        return next((g for g in self.groups if person_id in g.member_ids), None)

    def group(self, key: str) -> FormGroup | None:
        return next((g for g in self.groups if g.key == key), None)

    def with_group(self, group: FormGroup) -> RoundForm:
        groups = [group if g.key == group.key else g for g in self.groups]
        if all(g.key != group.key for g in self.groups):
            groups.append(group)
        return replace(self, groups=tuple(groups))

    def with_ids(self, ids: Sequence[str]) -> RoundForm:
        return replace(self, used_ids=tuple(dict.fromkeys((*self.used_ids, *ids))))

    def to_data(self) -> dict[str, Any]:
        return {
            "groups": [
                {
                    "key": g.key,
                    "name": g.name,
                    "member_ids": list(g.member_ids),
                    "template": g.template,
                }
                for g in self.groups
            ],
            "used_ids": list(self.used_ids),
            "original": self.original,
        }

    @classmethod
    def from_data(
        cls,
        data: dict[str, Any],
        *,
        round_id: int,
        held: bool,
        release_on: date | None,
        released_at: datetime | None,
    ) -> RoundForm:
        groups = tuple(
            FormGroup(
                key=str(g["key"]),
                name=str(g["name"]),
                member_ids=tuple(int(m) for m in g.get("member_ids", ())),
                template=dict(g["template"]),
            )
            for g in data.get("groups", ())
        )
        return cls(
            round_id=round_id,
            held=held,
            release_on=release_on,
            released_at=released_at,
            groups=groups,
            used_ids=tuple(data.get("used_ids", ())),
            original=dict(data.get("original") or {}),
        )
