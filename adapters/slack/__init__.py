"""Slack adapter: slack-bolt in, neutral events to the core, Block Kit out.

Public API: `SlackSettings` (config), `build_slack_app` / `SlackApp` (app), `SlackPort` and
`build_web_client` (port), `add_slack_routes`, `run_socket_mode`, `start_socket_mode`, `stop_socket_mode` (server).
"""

from adapters.slack.app import SlackApp, build_slack_app
from adapters.slack.config import SlackConfigError, SlackSettings
from adapters.slack.port import SlackPort, build_web_client
from adapters.slack.server import (
    add_slack_routes,
    run_socket_mode,
    start_socket_mode,
    stop_socket_mode,
)

__all__ = [
    "SlackApp",
    "SlackConfigError",
    "SlackPort",
    "SlackSettings",
    "add_slack_routes",
    "build_slack_app",
    "build_web_client",
    "run_socket_mode",
    "start_socket_mode",
    "stop_socket_mode",
]
