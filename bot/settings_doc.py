"""What each setting means, in one place: `.env.example` and `musbot run --help` are made from it.

A test checks that every field of `bot.config.Settings` is described here and that
`.env.example` is exactly what `render_env_example()` writes, so neither can drift.
Regenerate the file with `python -m bot.settings_doc > .env.example`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from pydantic.fields import FieldInfo


@dataclass(frozen=True)
class SettingDoc:
    field: str
    meaning: str
    example: str | None = None  # shown instead of the default when there is none


GROUPS: dict[str, tuple[SettingDoc, ...]] = {
    "Server and database": (
        SettingDoc(
            "database_url",
            "sqlite:///path.db, or postgresql://user:password@host:5432/db for production",
        ),
        SettingDoc(
            "database_pool_size",
            "PostgreSQL connections each server process keeps, and no more (a busy moment waits "
            "for one): the server's max_connections must cover it times MUSBOT_WORKERS times "
            "replicas, plus a few for migrations and backups",
        ),
        SettingDoc(
            "workers",
            "server processes sharing the port (PostgreSQL only, no web chat): about one per "
            "core; docs/deploy.md, Several cores",
        ),
        SettingDoc("host", "the address the one HTTP server listens on (0.0.0.0: every interface)"),
        SettingDoc("port", "the HTTP port: the web chat, /slack/events, /api/messages, /healthz"),
        SettingDoc("log_level", "DEBUG, INFO, WARNING or ERROR"),
        SettingDoc("log_format", "text, or json (one JSON object a line, for a log collector)"),
        SettingDoc(
            "public_url",
            "the https address this server is reached at; Teams gets files as links under it",
            "https://mus.example.org",
        ),
    ),
    "Who may do what": (
        SettingDoc(
            "leaders", "platform user ids who may start rounds besides admins (comma-separated)"
        ),
        SettingDoc(
            "admins", "platform user ids treated as admins (Teams tells the bot no admin flag)"
        ),
    ),
    "Privacy (docs/privacy.md)": (
        SettingDoc(
            "encryption_keys",
            "encryption keys, newest first (musbot keys new); SQLite without them: a key file "
            "beside the database; PostgreSQL needs them",
        ),
        SettingDoc(
            "content_in_messages",
            "true: answers and notes go into chat messages (kept in the platform's history) "
            "instead of private views",
        ),
        SettingDoc("round_retention_days", "musbot data purge deletes rounds ended this long ago"),
        SettingDoc("audit_retention_days", "audit rows are kept this many days"),
        SettingDoc("event_retention_days", "processed-event ids are kept this many days"),
    ),
    "MUS rounds and reminders": (
        SettingDoc("template_dirs", "extra template directories (docs/templates.md)"),
        SettingDoc("work_start_hour", "reminders go out from this hour, recipient's time zone"),
        SettingDoc("work_end_hour", "... until this hour"),
        SettingDoc("default_timezone", "the time zone of people whose platform tells none"),
        SettingDoc(
            "min_group_size",
            "figures for smaller groups are never shown (channel counts, committee, evaluation)",
        ),
    ),
    "Slack (docs/slack.md)": (
        SettingDoc("slack_bot_token", "the Bot User OAuth Token", "xoxb-..."),
        SettingDoc("slack_signing_secret", "HTTP mode: the app's Signing Secret"),
        SettingDoc(
            "slack_app_token", "Socket Mode (no public URL): an app-level token", "xapp-..."
        ),
        SettingDoc("slack_api_url", "the Web API base URL (GovSlack, tests); default Slack's"),
        SettingDoc(
            "slack_allowed_teams",
            "workspaces served (comma-separated); empty: the bot token's own workspace",
        ),
    ),
    "Microsoft Teams (docs/teams.md)": (
        SettingDoc("microsoft_app_id", "the Azure Bot's Microsoft App ID"),
        SettingDoc("microsoft_app_password", "its client secret"),
        SettingDoc("microsoft_app_tenant_id", "the tenant, for SingleTenant"),
        SettingDoc("microsoft_app_type", "MultiTenant, SingleTenant or UserAssignedMSI"),
        SettingDoc(
            "teams_allow_unauthenticated",
            "accept unsigned Teams activities: local development only, never on a network",
        ),
        SettingDoc(
            "teams_allowed_tenants",
            "tenants served (comma-separated); empty: MICROSOFT_APP_TENANT_ID",
        ),
        SettingDoc(
            "teams_openid_metadata_url",
            "where the Bot Framework publishes its signing keys (sovereign clouds, tests)",
        ),
        SettingDoc(
            "teams_login_url", "the Microsoft Entra login host the bot gets its own token from"
        ),
    ),
    "The web chat (docs/webchat.md)": (
        SettingDoc("web_chat", "true/false; empty: on when neither Slack nor Teams is configured"),
        SettingDoc(
            "web_chat_public",
            "serve the web chat on a non-loopback MUSBOT_HOST (needs the passphrase below)",
        ),
        SettingDoc(
            "web_chat_passphrase",
            "public mode: the shared passphrase visitors must give",
        ),
    ),
}


def env_name(name: str, field: FieldInfo) -> str:
    """The environment variable a field is read from."""
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    if choices:
        return str(choices[0])
    if isinstance(alias, str):
        return alias
    return f"MUSBOT_{name.upper()}"


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
    value = field.default
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rows() -> list[tuple[str, str, str, str]]:
    """(group, variable, default, meaning) for every documented setting."""
    from bot.config import Settings

    fields = Settings.model_fields
    out = []
    for group, docs in GROUPS.items():
        for doc in docs:
            field = fields[doc.field]
            out.append((group, env_name(doc.field, field), _default(field), doc.meaning))
    return out


def undocumented() -> list[str]:
    """Settings fields with no entry here (the test fails on any)."""
    from bot.config import Settings

    known = {doc.field for docs in GROUPS.values() for doc in docs}
    return [name for name in Settings.model_fields if name not in known]


def render_env_example() -> str:
    lines = [
        "# MUS-bot settings: copy to .env (in the directory you run `musbot` from) and edit.",
        "# Every setting with its default; a commented line keeps the default.",
        "# Generated from bot/settings_doc.py: python -m bot.settings_doc > .env.example",
    ]
    group = None
    from bot.config import Settings

    fields = Settings.model_fields
    for doc_group, docs in GROUPS.items():
        for doc in docs:
            field = fields[doc.field]
            if doc_group != group:
                group = doc_group
                lines += ["", f"## {group}"]
            lines.append(f"# {doc.meaning}")
            default = _default(field)
            value = default or (doc.example or "")
            lines.append(f"#{env_name(doc.field, field)}={value}")
    return "\n".join(lines) + "\n"


def help_epilog() -> str:
    """The settings for `musbot run --help`."""
    parts = ["environment variables (or a .env file in the working directory):"]
    group = None
    for row_group, name, default, meaning in rows():
        if row_group != group:
            group = row_group
            parts.append(f"  {group}:")
        shown = f" (default: {default})" if default else ""
        parts.append(f"    {name}{shown}\n        {meaning}")
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render_env_example())
