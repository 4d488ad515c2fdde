"""Slack settings from the environment, checked as a whole.

All or nothing: with no Slack variable set the bot simply does not serve Slack; with some but
not all of the required ones it must refuse to start and say which is missing, because a
half-configured app fails later and far less clearly (401s, or silence).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

NAMES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL")


class SlackConfigError(ValueError):
    """The Slack settings are incomplete or malformed; the message says what to fix."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SlackSettings:
    """What the Slack adapter needs to run for one workspace."""

    bot_token: str = field(repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    """Verifies that HTTP requests come from Slack; not used in Socket Mode."""
    app_token: str | None = field(default=None, repr=False)
    """An app-level token (xapp-…) switches on Socket Mode: no public URL needed."""
    api_url: str | None = None
    """The Web API base URL; Slack's own by default (GovSlack, or a test stand-in)."""
    command: str = "/mus"

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SlackSettings | None:
        """None when Slack is not configured at all; `SlackConfigError` when half of it is."""
        env = os.environ if environ is None else environ
        values = {name: (env.get(name) or "").strip() for name in NAMES}
        if not any(values.values()):
            return None
        missing = [
            name
            for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
            if not values[name]
            and not (name == "SLACK_SIGNING_SECRET" and values["SLACK_APP_TOKEN"])
        ]
        if missing:
            raise SlackConfigError(
                f"Slack is half configured: {', '.join(missing)} missing (set SLACK_BOT_TOKEN"
                " and SLACK_SIGNING_SECRET, or SLACK_BOT_TOKEN and SLACK_APP_TOKEN for Socket"
                " Mode, or none of the SLACK_ variables)"
            )
        if not values["SLACK_BOT_TOKEN"].startswith("xoxb-"):
            raise SlackConfigError("SLACK_BOT_TOKEN must be the bot token, starting with xoxb-")
        app_token = values["SLACK_APP_TOKEN"] or None
        if app_token is not None and not app_token.startswith("xapp-"):
            raise SlackConfigError(
                "SLACK_APP_TOKEN must be an app-level token, starting with xapp-"
            )
        api_url = values["SLACK_API_URL"] or None
        if api_url is not None and not api_url.startswith(("https://", "http://")):
            raise SlackConfigError(
                "SLACK_API_URL must be an http(s) URL, like https://slack.com/api/"
            )
        return cls(
            bot_token=values["SLACK_BOT_TOKEN"],
            signing_secret=values["SLACK_SIGNING_SECRET"] or None,
            app_token=app_token,
            api_url=api_url,
        )
