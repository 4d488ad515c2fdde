"""The demo workspace: people and channels from a small YAML file instead of a platform's API.

The web chat has no accounts; whoever opens the page may act as any of these people. That is
the point of a demo, and why the server only listens on loopback unless told otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conversations import i18n
from conversations.events import Actor, Platform
from conversations.ports import Store

PLATFORM: Platform = "web"
DEFAULT_DEMO = Path(__file__).with_name("demo.yaml")


class DirectoryError(ValueError):
    """The demo definition is unusable; the message names the file and the field."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoPerson:
    id: str
    name: str
    admin: bool = False
    locale: str = "da-DK"
    timezone: str = "Europe/Copenhagen"

    def public(self) -> dict[str, Any]:
        """What the page needs to show the person switcher and the people picker."""
        return {"id": self.id, "name": self.name, "admin": self.admin, "locale": self.locale}


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoChannel:
    id: str
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Directory:
    """One workspace's people and channels, in the order the file gives them."""

    workspace_id: str
    name: str
    people: tuple[DemoPerson, ...]
    channels: tuple[DemoChannel, ...]

    def person(self, user_id: str) -> DemoPerson | None:
        return next((p for p in self.people if p.id == user_id), None)

    def channel(self, channel_id: str) -> DemoChannel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def channels_of(self, user_id: str) -> list[DemoChannel]:
        return [c for c in self.channels if user_id in c.members]

    def actor(self, user_id: str) -> Actor | None:
        """The full profile, as a platform's user lookup would give it."""
        found = self.person(user_id)
        if found is None:
            return None
        return Actor(
            platform=PLATFORM,
            workspace_id=self.workspace_id,
            user_id=found.id,
            display_name=found.name,
            locale=found.locale,
            timezone=found.timezone,
            is_admin=found.admin,
        )


def load_directory(*, path: Path = DEFAULT_DEMO) -> Directory:
    """Read and check a demo definition (see `demo.yaml`)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise DirectoryError(f"{path}: {error}") from error
    return parse_directory(raw, source=str(path))


def parse_directory(raw: object, *, source: str = "demo") -> Directory:
    """Build a `Directory` from parsed YAML, refusing anything ambiguous."""
    if not isinstance(raw, dict):
        raise DirectoryError(f"{source}: expected a mapping with people and channels")
    zone = str(raw.get("timezone") or "Europe/Copenhagen")
    people: list[DemoPerson] = []
    for i, item in enumerate(raw.get("people") or []):
        if not isinstance(item, dict) or not item.get("id") or not item.get("name"):
            raise DirectoryError(f"{source}: people[{i}] needs an id and a name")
        people.append(
            DemoPerson(
                id=str(item["id"]),
                name=str(item["name"]),
                admin=bool(item.get("admin", False)),
                locale=str(item.get("locale") or "da-DK"),
                timezone=str(item.get("timezone") or zone),
            )
        )
    ids = [p.id for p in people]
    if not people:
        raise DirectoryError(f"{source}: people is empty")
    if len(set(ids)) != len(ids):
        raise DirectoryError(f"{source}: people ids must be unique")
    channels: list[DemoChannel] = []
    for i, item in enumerate(raw.get("channels") or []):
        if not isinstance(item, dict) or not item.get("id"):
            raise DirectoryError(f"{source}: channels[{i}] needs an id")
        members = tuple(str(m) for m in item.get("members") or [])
        unknown = [m for m in members if m not in ids]
        if unknown:
            raise DirectoryError(
                f"{source}: channels[{i}].members names unknown people: {', '.join(unknown)}"
            )
        channels.append(
            DemoChannel(
                id=str(item["id"]), name=str(item.get("name") or item["id"]), members=members
            )
        )
    return Directory(
        workspace_id=str(raw.get("workspace") or "demo"),
        name=str(raw.get("name") or "Demo"),
        people=tuple(people),
        channels=tuple(channels),
    )


async def is_seeded(*, store: Store, directory: Directory) -> bool:
    """True when the database already knows every demo person (nothing to seed)."""
    async with store.transaction() as tx:
        workspace = await tx.workspaces.get_or_create(
            platform=PLATFORM, external_id=directory.workspace_id
        )
        for person in directory.people:
            if await tx.people.get_by_user_id(workspace_id=workspace.id, user_id=person.id) is None:
                return False
    return True


async def seed(*, store: Store, directory: Directory) -> int:
    """Store the workspace and its people (upsert: safe to run again). Returns how many."""
    async with store.transaction() as tx:
        workspace = await tx.workspaces.get_or_create(
            platform=PLATFORM, external_id=directory.workspace_id, name=directory.name
        )
        for person in directory.people:
            await tx.people.upsert(
                workspace_id=workspace.id,
                user_id=person.id,
                display_name=person.name,
                locale=i18n.language(person.locale),
                timezone=person.timezone,
                is_admin=person.admin,
            )
    return len(directory.people)
