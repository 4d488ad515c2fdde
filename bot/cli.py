"""`musbot`: run the server, migrate the database, inspect templates."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Iterator, Sequence

from bot.config import ConfigError, Settings, load_settings
from bot.templates_cli import add_parsers as add_template_parsers

log = logging.getLogger("musbot")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("musbot")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    from bot.settings_doc import help_epilog

    parser = argparse.ArgumentParser(
        prog="musbot", description="MUS-bot: MUS in Slack, Teams and a local web chat."
    )
    parser.add_argument("--version", action="version", version=f"musbot {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "run",
        help="serve the bot (health, metrics, Slack, Teams, local web chat)",
        description="Serve the bot: /healthz, /readyz, /metrics, plus Slack, Teams and the "
        "web chat as configured. Stop it with Ctrl-C (or SIGTERM).",
        epilog=help_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo = sub.add_parser(
        "demo", help="seed the web chat's demo workspace (a leader, five employees, a channel)"
    )
    demo.add_argument(
        "--links",
        action="store_true",
        help="print a link per demo person for the public web chat (needs "
        "MUSBOT_WEB_CHAT_PASSPHRASE; each link acts as that person only)",
    )
    db = sub.add_parser("db", help="database tasks")
    db_sub = db.add_subparsers(dest="db_command", metavar="TASK")
    db_sub.add_parser("upgrade", help="apply the schema migrations")
    templates = sub.add_parser("templates", help="the MUS templates")
    t_sub = templates.add_subparsers(dest="templates_command", metavar="TASK")
    t_sub.add_parser("list", help="list the templates by name")
    show = t_sub.add_parser("show", help="show one template's questions and plan fields")
    show.add_argument("name")
    show.add_argument(
        "--lang", default=None, choices=("da", "en"), help="da or en (default: the template's)"
    )
    add_template_parsers(t_sub)
    data = sub.add_parser("data", help="the MUS material in the database")
    d_sub = data.add_subparsers(dest="data_command", metavar="TASK")
    purge = d_sub.add_parser(
        "purge", help="delete rounds whose conversation period ended before a date (retention)"
    )
    purge.add_argument(
        "--before",
        default=None,
        help="a date: 2024-01-01 or 1.1.2024 (default: today - MUSBOT_ROUND_RETENTION_DAYS)",
    )
    purge.add_argument("--yes", action="store_true", help="really delete (otherwise only list)")
    backup = d_sub.add_parser(
        "backup", help="write everything in the database to a JSON file (SQLite or PostgreSQL)"
    )
    backup.add_argument("file", help="where to write it, e.g. musbot-backup-2025-06-01.json")
    restore = d_sub.add_parser(
        "restore", help="load a backup into an empty database (made with `data backup`)"
    )
    restore.add_argument("file")
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
    k_sub = keys.add_subparsers(dest="keys_command", metavar="TASK")
    k_sub.add_parser("new", help="print a new random key")
    k_sub.add_parser("rotate", help="re-encrypt everything with the newest key (safe to run again)")
    audit = sub.add_parser("audit", help="the audit log: who read or changed what, and when")
    audit.add_argument("--person", default=None, help="rows about this person (id or user id)")
    audit.add_argument("--reader", default=None, help="rows by this person (id or user id)")
    audit.add_argument("--since", default=None, help="a date: 2024-01-01 or 1.1.2024")
    audit.add_argument("--refused-only", action="store_true", help="only refused attempts")
    audit.add_argument("--limit", type=int, default=1000)
    manifest = sub.add_parser("manifest", help="platform app packages")
    m_sub = manifest.add_subparsers(dest="manifest_command", metavar="PLATFORM")
    teams = m_sub.add_parser("teams", help="write the installable Teams app zip")
    teams.add_argument("--app-id", required=True, help="the Azure Bot's Microsoft App ID")
    teams.add_argument("--out", default=".", help="directory for the zip (default: here)")
    teams.add_argument("--version", default="1.0.0")
    teams.add_argument("--website-url", help="https URL of your MUS-bot information page")
    teams.add_argument("--privacy-url", help="https URL of your privacy statement (Teams shows it)")
    teams.add_argument("--terms-url", help="https URL of your terms of use (Teams shows it)")
    return parser


def _missing_subcommand(parser: argparse.ArgumentParser, args: argparse.Namespace) -> bool:
    """`musbot` or `musbot db` alone: print that level's help instead of an argparse error."""
    if args.command is None:
        parser.print_help()
        return True
    inner = {
        "db": "db_command",
        "templates": "templates_command",
        "data": "data_command",
        "manifest": "manifest_command",
        "keys": "keys_command",
    }.get(args.command)
    if inner and getattr(args, inner, None) is None:
        sub_action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        sub_action.choices[args.command].print_help()
        return True
    return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if _missing_subcommand(parser, args):
        return 0 if args.command is None else 2
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"musbot: configuration error: {error}", file=sys.stderr)
        return 2
    from bot.logging_setup import configure_logging
    from bot.logsafe import hold_content_loggers
    from storage.crypto import EncryptionKeyError

    configure_logging(level=settings.log_level, fmt=settings.log_format)
    hold_content_loggers()
    try:
        return _dispatch(settings, args)
    except EncryptionKeyError as error:
        print(f"musbot: encryption key error: {error}", file=sys.stderr)
        return 2
    except ConfigError as error:
        print(f"musbot: configuration error: {error}", file=sys.stderr)
        return 2
    except CliError as error:
        print(f"musbot: {error}", file=sys.stderr)
        return 1


class CliError(Exception):
    """A failure the user can act on; printed as one line, no traceback."""


def _dispatch(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "templates":
        return _templates(settings, args)
    if args.command == "manifest":
        return _teams_package(args)
    if args.command == "demo" and args.links:
        return _demo_links(settings)
    check_database_url(settings.database_url)
    with database_errors(settings.database_url):
        if args.command == "run":
            from bot.workers import serve

            return serve(settings=settings)
        if args.command == "db":
            return asyncio.run(_upgrade(settings))
        if args.command == "demo":
            return asyncio.run(_demo(settings))
        if args.command == "data" and args.data_command in ("backup", "restore"):
            return _backup_or_restore(settings, args)
        from bot import privacy_cli

        if args.command == "data":
            return asyncio.run(privacy_cli.data(settings, args))
        if args.command == "keys":
            return asyncio.run(privacy_cli.keys(settings, args))
        if args.command == "audit":
            return asyncio.run(privacy_cli.audit(settings, args))
    return 2


def redact_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable URL>"


def check_database_url(url: str) -> None:
    """An unsupported database URL (mysql://...) is refused before anything connects."""
    from storage.db import normalise_url

    try:
        normalise_url(url)
    except ValueError as error:
        raise ConfigError(f"MUSBOT_DATABASE_URL: {error}") from None


@contextlib.contextmanager
def database_errors(url: str) -> Iterator[None]:
    """An unreachable database is one line naming where, not a driver traceback."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from bot.run import PortInUseError

    try:
        yield
    except PortInUseError as error:
        raise CliError(str(error)) from None
    except (OperationalError, DBAPIError, ConnectionError, TimeoutError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise CliError(
            f"cannot reach the database {redact_url(url)}: {reason} "
            "(check MUSBOT_DATABASE_URL and that the server is running)"
        ) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise CliError(
            f"cannot reach the database {redact_url(url)}: {reason} "
            "(check MUSBOT_DATABASE_URL and that the server is running)"
        ) from None


async def _upgrade(settings: Settings) -> int:
    from bot.health import head_revision, revision_at
    from storage.db import upgrade

    before = await revision_at(url=settings.database_url)
    await upgrade(url=settings.database_url)
    head = head_revision()
    where = redact_url(settings.database_url)
    if before is None:
        print(f"created the database schema (revision {head}) in {where}")
    elif before == head:
        print(f"the database {where} is already at the current schema (revision {head})")
    else:
        print(f"upgraded the database {where} from revision {before} to {head}")
    return 0


def _demo_links(settings: Settings) -> int:
    from adapters.webchat import load_directory
    from adapters.webchat.server import person_links

    if not settings.web_chat_passphrase:
        raise CliError("--links needs MUSBOT_WEB_CHAT_PASSPHRASE (the links are made from it)")
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    directory = load_directory()
    links = person_links(
        secret=settings.web_chat_passphrase, base_url=base, people=[p.id for p in directory.people]
    )
    for person in directory.people:
        print(f"{person.name}: {links[person.id]}")
    print(
        "each link opens the web chat as that person only; keep them as private as the passphrase"
    )
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
    from bot import templates_cli
    from conversations.templates.describe import describe, summary_line
    from conversations.templates.library import TemplateLibrary, UnknownTemplateError

    if templates_cli.handles(args.templates_command):
        return templates_cli.run(settings, args)
    library = TemplateLibrary(extra_dirs=settings.template_dirs)
    for problem in library.errors():
        print(f"warning: {problem}", file=sys.stderr)
    if args.templates_command == "list":
        print(
            "name       [language] themes, questions, answers (answer boxes the employee "
            "fills in: a question with several sub-prompts has one for each): title"
        )
        for name in library.names():
            print(summary_line(template=library.get(name=name)))
        for line in asyncio.run(templates_cli.stored_lines(settings=settings, lang="da")):
            print(line)
        return 0
    try:
        template = library.get(name=args.name)
    except UnknownTemplateError as error:
        print(f"musbot: {error}", file=sys.stderr)
        return 1
    print(describe(template=template, locale=args.lang or template.language))
    return 0


def _backup_or_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Backups and restores; docs/deploy.md says when and how."""
    from pathlib import Path

    from bot.backup import BackupError, backup, restore

    path = Path(args.file)
    where = redact_url(settings.database_url)
    keys = settings.encryption_keys or None
    try:
        if args.data_command == "backup":
            counts = asyncio.run(backup(url=settings.database_url, path=path, keys=keys))
            print(f"wrote {path}: {sum(counts.values())} rows from {where} (readable by you only)")
        else:
            counts = asyncio.run(restore(url=settings.database_url, path=path, keys=keys))
            print(f"restored {sum(counts.values())} rows from {path} into {where}")
    except BackupError as error:
        raise CliError(str(error)) from None
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
