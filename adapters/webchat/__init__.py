"""The local web chat: play a whole MUS round in a browser, no Slack or Teams needed.

A third adapter beside Slack and Teams, on the same aiohttp server: a demo directory (people
and a team channel from `demo.yaml`), a `PlatformPort` that delivers into in-memory panes,
server-sent events to the page, and a page that renders only neutral messages and forms.
"""

from adapters.webchat.directory import (
    DEFAULT_DEMO,
    DemoChannel,
    DemoPerson,
    Directory,
    DirectoryError,
    is_seeded,
    load_directory,
    parse_directory,
    seed,
)
from adapters.webchat.hub import ChatHub
from adapters.webchat.port import WebChatPort
from adapters.webchat.server import WebChat, add_webchat_routes, exposure_problem, is_loopback

__all__ = [
    "DEFAULT_DEMO",
    "ChatHub",
    "DemoChannel",
    "DemoPerson",
    "Directory",
    "DirectoryError",
    "WebChat",
    "WebChatPort",
    "add_webchat_routes",
    "exposure_problem",
    "is_loopback",
    "is_seeded",
    "load_directory",
    "parse_directory",
    "seed",
]
