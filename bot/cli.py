"""`musbot`: run the server, migrate the database, inspect templates."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.config import ConfigError, Settings, load_settings

log = logging.getLogger("musbot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="musbot", description="MUS-bot: MUS in Slack, Teams and a local web chat."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="serve the bot (health, Slack, Teams, local web chat)")
    sub.add_parser(
        "demo", help="seed the web chat's demo workspace (a leader, five employees, a channel)"
    )
    db = sub.add_parser("db", help="database tasks")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply the schema migrations")
    templates = sub.add_parser("templates", help="the MUS templates")
    t_sub = templates.add_subparsers(dest="templates_command", required=True)
    t_sub.add_parser("list", help="list the templates by name")
    show = t_sub.add_parser("show", help="show one template's questions and plan fields")
    show.add_argument("name")
    show.add_argument("--lang", default=None, help="da or en (default: the template's language)")
    data = sub.add_parser("data", help="the MUS material in the database")
    d_sub = data.add_subparsers(dest="data_command", required=True)
    purge = d_sub.add_parser(
        "purge", help="delete rounds whose conversation period ended before a date (retention)"
    )
    purge.add_argument(
        "--before",
        default=None,
        help="a date: 2024-01-01 or 1.1.2024 (default: today - MUSBOT_ROUND_RETENTION_DAYS)",
    )
    purge.add_argument("--yes", action="store_true", help="really delete (otherwise only list)")
    purge.add_argument(
        "--include-running", action="store_true", help="also delete rounds not yet closed"
    )
    erase = d_sub.add_parser("erase", help="erase everything about one person (GDPR art. 17)")
    erase.add_argument("--person", required=True, help="person id, or platform user id")
    erase.add_argument("--dry-run", action="store_true", help="only list what would go")
    export = d_sub.add_parser(
        "export", help="everything about one person as JSON (GDPR art. 15 access request)"
    )
    export.add_argument("--person", required=True, help="person id, or platform user id")
    export.add_argument("--out", default="-", help="file to write (default: standard output)")
    keys = sub.add_parser("keys", help="encryption keys (MUSBOT_ENCRYPTION_KEYS)")
    k_sub = keys.add_subparsers(dest="keys_command", required=True)
    k_sub.add_parser("new", help="print a new random key")
    k_sub.add_parser("rotate", help="re-encrypt everything with the newest key (safe to run again)")
    audit = sub.add_parser("audit", help="the audit log: who read or changed what, and when")
    audit.add_argument("--person", default=None, help="rows about this person (id or user id)")
    audit.add_argument("--reader", default=None, help="rows by this person (id or user id)")
    audit.add_argument("--since", default=None, help="a date: 2024-01-01 or 1.1.2024")
    audit.add_argument("--refused-only", action="store_true", help="only refused attempts")
    audit.add_argument("--limit", type=int, default=1000)
    manifest = sub.add_parser("manifest", help="platform app packages")
    m_sub = manifest.add_subparsers(dest="manifest_command", required=True)
    teams = m_sub.add_parser("teams", help="write the installable Teams app zip")
    teams.add_argument("--app-id", required=True, help="the Azure Bot's Microsoft App ID")
    teams.add_argument("--out", default=".", help="directory for the zip (default: here)")
    teams.add_argument("--version", default="1.0.0")
    teams.add_argument("--website-url", help="https URL of your MUS-bot information page")
    teams.add_argument("--privacy-url", help="https URL of your privacy statement (Teams shows it)")
    teams.add_argument("--terms-url", help="https URL of your terms of use (Teams shows it)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"musbot: configuration error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Migrations are routine; their chatter would bury the line that says where the bot is.
    for chatty in ("alembic", "apscheduler"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
    from bot.logsafe import hold_content_loggers

    hold_content_loggers()
    from storage.crypto import EncryptionKeyError

    try:
        return _dispatch(settings, args)
    except EncryptionKeyError as error:
        print(f"musbot: encryption key error: {error}", file=sys.stderr)
        return 2


def _dispatch(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "run":
        from bot.run import run

        try:
            return asyncio.run(run(settings=settings))
        except ConfigError as error:
            print(f"musbot: configuration error: {error}", file=sys.stderr)
            return 2
    if args.command == "db":
        return asyncio.run(_upgrade(settings))
    if args.command == "demo":
        return asyncio.run(_demo(settings))
    if args.command == "templates":
        return _templates(settings, args)
    if args.command == "manifest":
        return _teams_package(args)
    if args.command == "data":
        from bot import privacy_cli

        return asyncio.run(privacy_cli.data(settings, args))
    if args.command == "keys":
        from bot import privacy_cli

        return asyncio.run(privacy_cli.keys(settings, args))
    if args.command == "audit":
        from bot import privacy_cli

        return asyncio.run(privacy_cli.audit(settings, args))
    return 2


async def _upgrade(settings: Settings) -> int:
    from storage.db import upgrade

    await upgrade(url=settings.database_url)
    print("database is at the current schema")
    return 0


async def _demo(settings: Settings) -> int:
    from adapters.webchat import load_directory, seed
    from storage.db import create_store, upgrade

    await upgrade(url=settings.database_url)
    directory = load_directory()
    store = await create_store(url=settings.database_url, keys=settings.encryption_keys)
    try:
        count = await seed(store=store, directory=directory)
    finally:
        await store.close()
    print(f"seeded the demo workspace {directory.name!r}: {count} people")
    for person in directory.people:
        print(f"  {person.name}{' (admin, may start rounds)' if person.admin else ''}")
    for channel in directory.channels:
        print(f"  #{channel.name}: {len(channel.members)} members")
    where = f"http://{settings.host}:{settings.port}/"
    if settings.web_chat_enabled:
        print(f"now run `musbot run` and open {where}")
    else:
        print(f"now run `MUSBOT_WEB_CHAT=true musbot run` and open {where}")
    return 0


def _templates(settings: Settings, args: argparse.Namespace) -> int:
    from conversations.templates.describe import describe, summary_line
    from conversations.templates.library import TemplateLibrary, UnknownTemplateError

    library = TemplateLibrary(extra_dirs=settings.template_dirs)
    for problem in library.errors():
        print(f"warning: {problem}", file=sys.stderr)
    if args.templates_command == "list":
        for name in library.names():
            print(summary_line(template=library.get(name=name)))
        return 0
    try:
        template = library.get(name=args.name)
    except UnknownTemplateError as error:
        print(f"musbot: {error}", file=sys.stderr)
        return 1
    print(describe(template=template, locale=args.lang or template.language))
    return 0


def _teams_package(args: argparse.Namespace) -> int:
    from pathlib import Path

    from adapters.teams.package import ManifestError, build_package

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        path = build_package(
            app_id=args.app_id,
            out=out,
            version=args.version,
            privacy_url=args.privacy_url,
            terms_url=args.terms_url,
            **({"website_url": args.website_url} if args.website_url else {}),
        )
    except ManifestError as error:
        print(f"musbot: the Teams manifest is not valid: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
