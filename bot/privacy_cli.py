"""`musbot data …`, `musbot keys …`, `musbot audit`: what an administrator (or the DPO) runs.

Output names ids, counts, dates and actions, never an answer, note or plan: a terminal's
scrollback is a copy too. Only `data export` writes content, to the file it is asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, date, datetime, timedelta

from bot.clock import SystemClock
from bot.config import Settings
from storage.db import SqlStore, create_store


async def _open(settings: Settings) -> SqlStore:
    return await create_store(
        url=settings.database_url, migrate=True, keys=settings.encryption_keys
    )


def _day(text: str, *, flag: str) -> date | None:
    from conversations.parsing import ParseError, parse_date

    try:
        return parse_date(text=text, today=date.today())
    except ParseError:
        print(f"musbot: {flag}: cannot read {text!r} as a date", file=sys.stderr)
        return None


async def _person_id(store: SqlStore, given: str) -> int | None:
    """A person id, or a platform user id that names exactly one person."""
    from sqlalchemy import select

    from storage.models import people

    async with store.transaction() as tx:
        if given.isdigit():
            found = (
                (await tx.conn.execute(select(people.c.id).where(people.c.id == int(given))))
                .scalars()
                .all()
            )
        else:
            found = (
                (await tx.conn.execute(select(people.c.id).where(people.c.user_id == given)))
                .scalars()
                .all()
            )
    if len(found) != 1:
        what = "no person" if not found else f"{len(found)} people (give the numeric id)"
        print(f"musbot: --person {given}: {what}", file=sys.stderr)
        return None
    return int(found[0])


# ---------------------------------------------------------------- data


async def data(settings: Settings, args: argparse.Namespace) -> int:
    if args.data_command == "purge":
        return await _purge(settings, args)
    store = await _open(settings)
    try:
        person_id = await _person_id(store, args.person)
        if person_id is None:
            return 1
        if args.data_command == "erase":
            return await _erase(store, person_id=person_id, dry_run=args.dry_run)
        return await _export(store, person_id=person_id, out=args.out)
    finally:
        await store.close()


async def _erase(store: SqlStore, *, person_id: int, dry_run: bool) -> int:
    from storage.privacy import erase_person

    async with store.transaction() as tx:
        tally = await erase_person(conn=tx.conn, person_id=person_id, dry_run=dry_run)
        if tally is not None and not dry_run:
            await tx.audit.record(
                at=SystemClock().now(), actor_id=None, action="person.erase", subject="person"
            )
    assert tally is not None
    verb = "would be erased" if dry_run else "erased"
    print(f"person {person_id}: {tally.total} row(s) {verb}")
    for line in tally.lines():
        print(f"  {line}")
    if dry_run:
        print("nothing was changed; run again without --dry-run to erase")
    return 0


async def _export(store: SqlStore, *, person_id: int, out: str) -> int:
    from conversations.flows.mydata import collect

    async with store.transaction() as tx:
        person = await tx.people.get(person_id=person_id)
        assert person is not None
        document = await collect(tx=tx, person=person, include_notes=True)
        await tx.audit.record(
            at=SystemClock().now(),
            actor_id=None,
            action="person.export",
            subject=f"person:{person_id}",
        )
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    if out == "-":
        print(text)
    else:
        await asyncio.to_thread(_write_private, out, text + "\n")
        print(f"wrote everything about person {person_id} to {out}", file=sys.stderr)
    return 0


def _write_private(path: str, text: str) -> None:
    """Owner-only from the first byte: the export is a copy of everything about a person."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


async def _purge(settings: Settings, args: argparse.Namespace) -> int:
    """Retention: MUS material is kept only as long as the workplace needs it."""
    from storage.privacy import purge, rounds_ended_before

    if args.before is None:
        day: date | None = date.today() - timedelta(days=settings.round_retention_days)
    else:
        day = _day(args.before, flag="--before")
    if day is None:
        return 2
    now = SystemClock().now()
    store = await _open(settings)
    try:
        async with store.transaction() as tx:
            found = await rounds_ended_before(conn=tx.conn, day=day)
            running = [r for r in found if r.running]
            for line in found:
                flag = "  WARNING: still running" if line.running else ""
                print(
                    f"round {line.id}: {line.template_name}, conversations "
                    f"{line.conversations_from}..{line.conversations_to}, "
                    f"{line.employees} employees, phase {line.phase}{flag}"
                )
            chosen = [r.id for r in found if args.include_running or not r.running]
            if running and not args.include_running:
                print(
                    f"WARNING: {len(running)} round(s) are still running and are kept; "
                    "add --include-running to delete them too"
                )
            tally = await purge(
                conn=tx.conn,
                round_ids=chosen,
                now=now,
                audit_before=now - timedelta(days=settings.audit_retention_days),
                events_before=now - timedelta(days=settings.event_retention_days),
                dry_run=not args.yes,
            )
            if args.yes:
                for round_id in chosen:
                    await tx.audit.record(
                        at=now,
                        actor_id=None,
                        action="round.purge",
                        subject=f"round:{round_id}",
                        detail=f"ended before {day}",
                    )
    finally:
        await store.close()
    if not found:
        print(f"no rounds ended before {day}")
    elif args.yes:
        print(f"deleted {len(chosen)} round(s) and everything in them")
    else:
        print(f"{len(chosen)} round(s) would be deleted; add --yes to delete them")
    for counted in tally.lines():
        print(f"  {counted}")
    return 0


# ---------------------------------------------------------------- keys


async def keys(settings: Settings, args: argparse.Namespace) -> int:
    from storage.crypto import new_key

    if args.keys_command == "new":
        print(new_key())
        print(
            "put it first in MUSBOT_ENCRYPTION_KEYS (keep the old keys after it), restart, "
            "then run `musbot keys rotate`",
            file=sys.stderr,
        )
        return 0
    from storage.rotation import RotationReport, rotate

    store = await _open(settings)
    report = RotationReport()
    try:
        await rotate(store=store, report=report)
    finally:
        await store.close()
    print(f"re-encrypted {report.total} row(s) with the newest key")
    for table, count in sorted(report.resealed.items()):
        print(f"  {table}: {count}")
    print("every value now opens with the newest key alone; older keys may be removed")
    return 0


# ---------------------------------------------------------------- audit


async def audit(settings: Settings, args: argparse.Namespace) -> int:
    from storage.privacy import audit_lines

    since = None
    if args.since is not None:
        day = _day(args.since, flag="--since")
        if day is None:
            return 2
        since = datetime(day.year, day.month, day.day, tzinfo=UTC)
    store = await _open(settings)
    try:
        person_id = reader_id = None
        if args.person is not None and (person_id := await _person_id(store, args.person)) is None:
            return 1
        if args.reader is not None and (reader_id := await _person_id(store, args.reader)) is None:
            return 1
        async with store.transaction() as tx:
            lines = await audit_lines(
                conn=tx.conn,
                person_id=person_id,
                reader_id=reader_id,
                since=since,
                refused_only=args.refused_only,
                limit=args.limit,
            )
    finally:
        await store.close()
    for line in lines:
        who = f"{line.actor} (person {line.actor_id})" if line.actor_id else "system"
        mark = "  REFUSED" if line.refused else ""
        detail = f"  [{line.detail}]" if line.detail else ""
        print(
            f"{line.at.isoformat(timespec='seconds')}  {who}  {line.action}  {line.subject}{detail}{mark}"
        )
    print(f"{len(lines)} row(s)", file=sys.stderr)
    return 0
