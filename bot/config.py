"""Configuration from the environment (and an optional `.env`), checked at start-up.

A half-configured platform is refused with the name of what is missing, because a bot that
starts and then silently ignores Slack is worse than one that does not start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MUSBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite:///musbot.db"
    # PostgreSQL connections each process keeps (and no more; SQLite ignores it); the same
    # default as storage.db.POSTGRES_POOL_SIZE (tests/storage/test_pool.py).
    database_pool_size: int = Field(default=10, ge=1, le=100)
    # Server processes sharing the port (PostgreSQL only; see docs/deploy.md, "Several cores").
    workers: int = Field(default=1, ge=1, le=32)
    host: str = "127.0.0.1"
    port: int = Field(default=3978, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # "json": one JSON object per log line, for a log collector.
    log_format: Literal["text", "json"] = "text"
    # Extra template directories (comma-separated); a file there overrides a built-in of the same name.
    # MUSBOT_TEMPLATES_DIR is accepted too (a single directory kept in git, say).
    template_dirs: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("MUSBOT_TEMPLATE_DIRS", "MUSBOT_TEMPLATES_DIR"),
    )
    # Platform user ids who may start rounds besides workspace admins (comma-separated).
    leaders: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Platform user ids treated as admins besides the platform's own (Teams has no admin flag).
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Figures for groups smaller than this are never shown (channel counts, committee, evaluation).
    min_group_size: int = Field(default=3, ge=2)
    # The local web chat: None = on when no platform is configured.
    web_chat: bool | None = None
    # The web chat has no login: serve it on a non-loopback MUSBOT_HOST only when this is true.
    web_chat_public: bool = False
    # In public mode, visitors must give this shared passphrase (or a per-person link).
    web_chat_passphrase: str | None = None
    # The https base URL this server is reached at (the Teams messaging endpoint's host):
    # Teams gets files as download links under it. Without it Teams cannot be given files.
    public_url: str | None = None
    # Encryption at rest: Fernet keys, newest first (comma-separated). Unset with SQLite: a key
    # file beside the database (`<database>.key`, 0600). PostgreSQL needs them set.
    encryption_keys: Annotated[list[str], NoDecode] = Field(default_factory=list, repr=False)
    # Privacy (docs/privacy.md): show confidential content only in private views (modal, App
    # Home, dialog), not in chat messages that the platform keeps in its history.
    content_in_messages: bool = False
    # Retention, in days: audit rows, processed-event ids, and files handed out by link.
    audit_retention_days: int = Field(default=1825, ge=1)
    event_retention_days: int = Field(default=7, ge=1)
    # Rounds whose conversation period ended this long ago are what `musbot data purge` deletes.
    round_retention_days: int = Field(default=1095, ge=1)
    # Reminders: working hours in the recipient's time zone.
    work_start_hour: int = Field(default=8, ge=0, le=23)
    work_end_hour: int = Field(default=16, ge=1, le=24)
    default_timezone: str = "Europe/Copenhagen"

    slack_bot_token: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN")
    )
    slack_signing_secret: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET")
    )
    slack_app_token: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN")
    )
    slack_api_url: str | None = Field(default=None, validation_alias=AliasChoices("SLACK_API_URL"))

    microsoft_app_id: str | None = Field(
        default=None, validation_alias=AliasChoices("MICROSOFT_APP_ID")
    )
    microsoft_app_password: str | None = Field(
        default=None, validation_alias=AliasChoices("MICROSOFT_APP_PASSWORD")
    )
    microsoft_app_tenant_id: str | None = Field(
        default=None, validation_alias=AliasChoices("MICROSOFT_APP_TENANT_ID")
    )
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        default="MultiTenant", validation_alias=AliasChoices("MICROSOFT_APP_TYPE")
    )
    # Accept unsigned Teams activities (local development only; logged loudly).
    teams_allow_unauthenticated: bool = False
    # Where the Bot Framework publishes its token signing keys (sovereign clouds, test stand-ins).
    teams_openid_metadata_url: str = (
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    )
    # Where the bot gets its own access token for replies (Microsoft Entra login host).
    teams_login_url: str = "https://login.microsoftonline.com"
    # One organisation per installation: tenants / workspaces served (comma-separated).
    # Empty: MICROSOFT_APP_TENANT_ID for Teams, the bot token's workspace for Slack.
    teams_allowed_tenants: Annotated[list[str], NoDecode] = Field(default_factory=list)
    slack_allowed_teams: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator(
        "template_dirs",
        "leaders",
        "admins",
        "teams_allowed_tenants",
        "slack_allowed_teams",
        "encryption_keys",
        mode="before",
    )
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split(value)

    @field_validator("slack_api_url")
    @classmethod
    def _slash(cls, value: str | None) -> str | None:
        if value and not value.endswith("/"):
            return value + "/"
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        """An absolute https URL (http only for this machine, when trying things out)."""
        if not value:
            return None
        parts = urlsplit(value.strip())
        local = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise ValueError("must be an https:// URL, e.g. https://mus.example.org")
        if not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be a base URL like https://mus.example.org (no ?query or #)")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _whole_platforms(self) -> Settings:
        slack = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
        }
        given = [k for k, v in slack.items() if v]
        if (
            given
            and len(given) < len(slack)
            and not (self.slack_app_token and self.slack_bot_token)
        ):
            missing = [k for k, v in slack.items() if not v]
            raise ValueError(
                f"Slack is half configured: {', '.join(given)} is set but {', '.join(missing)} is missing"
            )
        if self.slack_app_token and not self.slack_bot_token:
            raise ValueError("SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is missing")
        if self.microsoft_app_password and not self.microsoft_app_id:
            raise ValueError("MICROSOFT_APP_PASSWORD is set but MICROSOFT_APP_ID is missing")
        if (
            self.microsoft_app_type == "SingleTenant"
            and self.microsoft_app_id
            and not self.microsoft_app_tenant_id
        ):
            raise ValueError("MICROSOFT_APP_TYPE=SingleTenant needs MICROSOFT_APP_TENANT_ID")
        if self.workers > 1 and not self.database_url.startswith("postgres"):
            raise ValueError(
                "MUSBOT_WORKERS above 1 needs PostgreSQL (MUSBOT_DATABASE_URL): SQLite takes one "
                "writer at a time, and its writes queue inside one process"
            )
        if self.workers > 1 and self.web_chat_enabled:
            raise ValueError(
                "MUSBOT_WORKERS above 1 cannot serve the web chat (its live updates stay inside "
                "one process): set MUSBOT_WEB_CHAT=false or MUSBOT_WORKERS=1"
            )
        if self.work_end_hour <= self.work_start_hour:
            raise ValueError("MUSBOT_WORK_END_HOUR must be after MUSBOT_WORK_START_HOUR")
        return self

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    @property
    def teams_enabled(self) -> bool:
        return bool(self.microsoft_app_id) or self.teams_allow_unauthenticated

    @property
    def web_chat_enabled(self) -> bool:
        if self.web_chat is not None:
            return self.web_chat
        return not (self.slack_enabled or self.teams_enabled)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one readable `ConfigError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            where = ".".join(str(p) for p in problem["loc"]) or "settings"
            name = (
                where.upper()
                if where.startswith(("slack", "microsoft"))
                else f"MUSBOT_{where.upper()}"
            )
            if where == "settings" or not problem["loc"]:
                lines.append(str(problem["msg"]).removeprefix("Value error, "))
            else:
                message = str(problem["msg"]).removeprefix("Value error, ")
                got = "" if "key" in where else f" (got {problem.get('input')!r})"
                lines.append(f"{name}: {message}{got}")
        raise ConfigError("; ".join(lines)) from None
