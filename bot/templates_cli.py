"""`musbot templates ...`: validate, import, export, retire and approve organisation templates.

Whoever runs the CLI has the server's configuration and database: the admin. Leaders never
import or retire organisation templates; they only offer their own for an admin to approve.
Messages are Danish by default; `--lang en` for English.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from storage.db import SqlStore

_WORDS: dict[str, dict[str, str]] = {
    "da": {
        "valid": "{file}: i orden – '{name}', {themes} temaer, {questions} spørgsmål",
        "invalid": "{count} fejl i {file}:",
        "imported": "importeret '{name}' som version {version}",
        "unchanged": "'{name}' er uændret; version {version} gælder stadig",
        "unknown": "der er ingen skabelon med navnet '{name}'",
        "retired": "'{name}' tilbydes ikke længere til nye runder; runder, der bruger den, beholder deres kopi",
        "already_retired": "'{name}' er allerede trukket tilbage",
        "approved": "'{name}' tilbydes nu til hele organisationen",
        "not_pending": "'{name}' venter ikke på godkendelse",
        "wrote": "skrev {path}",
        "origin.builtin": "indbygget",
        "origin.dir": "fil",
        "status.active": "i brug",
        "status.pending": "venter på godkendelse",
        "status.retired": "trukket tilbage",
        "scope.org": "organisation",
        "scope.own": "leders egen",
    },
    "en": {
        "valid": "{file}: valid – '{name}', {themes} themes, {questions} questions",
        "invalid": "{count} problem(s) in {file}:",
        "imported": "imported '{name}' as version {version}",
        "unchanged": "'{name}' is unchanged; version {version} still applies",
        "unknown": "there is no template named '{name}'",
        "retired": "'{name}' is no longer offered for new rounds; rounds using it keep their copy",
        "already_retired": "'{name}' is already retired",
        "approved": "'{name}' is now offered to the whole organisation",
        "not_pending": "'{name}' is not waiting for approval",
        "wrote": "wrote {path}",
        "origin.builtin": "built-in",
        "origin.dir": "file",
        "status.active": "active",
        "status.pending": "awaiting approval",
        "status.retired": "retired",
        "scope.org": "organisation",
        "scope.own": "a leader's own",
    },
}


def add_parsers(t_sub: argparse._SubParsersAction) -> None:
    """The subcommands next to `list` and `show`."""
    lang = {"default": "da", "choices": ("da", "en"), "help": "message language (default: da)"}
    validate = t_sub.add_parser(
        "validate", help="check a template file; errors name line and field"
    )
    validate.add_argument("file")
    validate.add_argument("--lang", **lang)
    imp = t_sub.add_parser("import", help="store a template file in the database (a new version)")
    imp.add_argument("file")
    imp.add_argument("--lang", **lang)
    exp = t_sub.add_parser("export", help="write a template out as YAML")
    exp.add_argument("name")
    exp.add_argument("--out", default=None, help="file to write (default: print)")
    exp.add_argument("--lang", **lang)
    retire = t_sub.add_parser("retire", help="stop offering a template for new rounds")
    retire.add_argument("name")
    retire.add_argument("--lang", **lang)
    approve = t_sub.add_parser(
        "approve", help="offer a leader's saved template to the whole organisation"
    )
    approve.add_argument("name")
    approve.add_argument("--lang", **lang)
    t_sub.add_parser("schema", help="print the JSON Schema for template files")


def handles(command: str) -> bool:
    return command in ("validate", "import", "export", "retire", "approve", "schema")


def _say(lang: str, key: str, **values: object) -> str:
    return _WORDS[lang][key].format(**values)


def run(settings: Settings, args: argparse.Namespace) -> int:
    command = args.templates_command
    if command == "schema":
        from conversations.templates.export import json_schema_text

        sys.stdout.write(json_schema_text())
        return 0
    if command == "validate":
        return validate(path=Path(args.file), lang=args.lang)
    return asyncio.run(_with_store(settings, args))


def validate(*, path: Path, lang: str) -> int:
    from conversations.templates.library import TemplateError, parse_template, read_text

    try:
        template = parse_template(text=read_text(path=path, file=str(path)), file=str(path))
    except TemplateError as error:
        print(_say(lang, "invalid", count=len(error.problems), file=path), file=sys.stderr)
        print(error.render(lang), file=sys.stderr)
        return 1
    questions = sum(len(t.questions) for t in template.themes)
    print(
        _say(
            lang,
            "valid",
            file=path,
            name=template.name,
            themes=len(template.themes),
            questions=questions,
        )
    )
    return 0


async def _with_store(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import create_store

    store = await create_store(url=settings.database_url, migrate=True)
    try:
        if args.templates_command == "import":
            return await import_file(store=store, path=Path(args.file), lang=args.lang)
        if args.templates_command == "export":
            return await export(
                store=store, settings=settings, name=args.name, out=args.out, lang=args.lang
            )
        if args.templates_command == "retire":
            return await retire(store=store, settings=settings, name=args.name, lang=args.lang)
        if args.templates_command == "approve":
            return await approve(store=store, name=args.name, lang=args.lang)
    finally:
        await store.close()
    return 2


async def import_file(*, store: SqlStore, path: Path, lang: str) -> int:
    """Validate and store; an identical file adds no version."""
    from bot.clock import SystemClock
    from conversations.templates.library import TemplateError, parse_template, read_text
    from conversations.templates.stored import Scope, Status

    try:
        text = await asyncio.to_thread(read_text, path=path, file=str(path))
        template = parse_template(text=text, file=str(path))
    except TemplateError as error:
        print(_say(lang, "invalid", count=len(error.problems), file=path), file=sys.stderr)
        print(error.render(lang), file=sys.stderr)
        return 1
    data = template.model_dump(mode="json")
    async with store.transaction() as tx:
        latest = await tx.templates.latest(name=template.name)
        if (
            latest is not None
            and latest.status != Status.RETIRED
            and latest.data == data
            and latest.source_text == text
        ):
            print(_say(lang, "unchanged", name=template.name, version=latest.version))
            return 0
        stored = await tx.templates.add(
            name=template.name,
            data=data,
            source_text=text,
            scope=Scope.ORG,
            status=Status.ACTIVE,
            owner_id=None,
            at=SystemClock().now(),
        )
        await tx.audit.record(
            at=SystemClock().now(),
            actor_id=None,
            action="template.import",
            subject=f"template:{stored.name}",
            detail=f"version {stored.version}",
        )
    print(_say(lang, "imported", name=stored.name, version=stored.version))
    return 0


async def export_text(*, store: SqlStore, settings: Settings, name: str) -> str | None:
    """The file as imported (comments and all), or the built-in/directory file, or for a
    template saved from a round the canonical YAML. None when no such template exists."""
    from conversations.templates.export import to_yaml
    from conversations.templates.library import TemplateLibrary

    async with store.transaction() as tx:
        stored = await tx.templates.latest(name=name)
    if stored is not None and stored.data:
        return stored.source_text or to_yaml(stored.template())
    library = TemplateLibrary(extra_dirs=settings.template_dirs)
    if name not in library.names():
        return None
    return library.text(name=name)


async def export(
    *, store: SqlStore, settings: Settings, name: str, out: str | None, lang: str
) -> int:
    text = await export_text(store=store, settings=settings, name=name)
    if text is None:
        print(f"musbot: {_say(lang, 'unknown', name=name)}", file=sys.stderr)
        return 1
    if out is None:
        sys.stdout.write(text)
        return 0
    await asyncio.to_thread(Path(out).write_text, text, encoding="utf-8")
    print(_say(lang, "wrote", path=out), file=sys.stderr)
    return 0


async def retire(*, store: SqlStore, settings: Settings, name: str, lang: str) -> int:
    """Every version stops being offered; a built-in or file template is retired by a row
    that says so (the file itself is left alone)."""
    from bot.clock import SystemClock
    from conversations.templates.library import TemplateLibrary
    from conversations.templates.stored import Scope, Status

    now = SystemClock().now()
    async with store.transaction() as tx:
        latest = await tx.templates.latest(name=name)
        if latest is not None and latest.status == Status.RETIRED:
            print(_say(lang, "already_retired", name=name))
            return 0
        if latest is None:
            library = TemplateLibrary(extra_dirs=settings.template_dirs)
            if name not in library.names():
                print(f"musbot: {_say(lang, 'unknown', name=name)}", file=sys.stderr)
                return 1
            await tx.templates.add(
                name=name,
                data=library.snapshot(name=name),
                source_text=library.text(name=name),
                scope=Scope.ORG,
                status=Status.RETIRED,
                owner_id=None,
                at=now,
            )
        else:
            await tx.templates.set_status(name=name, status=Status.RETIRED)
        await tx.audit.record(
            at=now, actor_id=None, action="template.retire", subject=f"template:{name}"
        )
    print(_say(lang, "retired", name=name))
    return 0


async def approve(*, store: SqlStore, name: str, lang: str) -> int:
    from bot.clock import SystemClock
    from conversations.templates.stored import Scope, Status

    async with store.transaction() as tx:
        latest = await tx.templates.latest(name=name)
        if latest is None or latest.status != Status.PENDING:
            print(f"musbot: {_say(lang, 'not_pending', name=name)}", file=sys.stderr)
            return 1
        await tx.templates.set_status(name=name, status=Status.ACTIVE, scope=Scope.ORG)
        await tx.audit.record(
            at=SystemClock().now(),
            actor_id=None,
            action="template.approve",
            subject=f"template:{name}",
        )
    print(_say(lang, "approved", name=name))
    return 0


async def stored_lines(*, settings: Settings, lang: str) -> list[str]:
    """`templates list`: the database's templates after the files, with version and status."""
    from storage.db import create_store

    store = await create_store(url=settings.database_url, migrate=True)
    try:
        async with store.transaction() as tx:
            found = await tx.templates.all_latest()
    finally:
        await store.close()
    lines = []
    for stored in found:
        title = stored.data.get("title", "")
        lines.append(
            f"{stored.name:<10} v{stored.version} "
            f"[{_say(lang, 'scope.' + stored.scope.value)}, "
            f"{_say(lang, 'status.' + stored.status.value)}]: {title}"
        )
    return lines
