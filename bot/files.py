"""Download links for files a platform cannot be sent (Teams): storage, URLs, the route.

Why here: the Teams adapter only knows "store this, give me a link" (`adapters.teams.files`);
how long a link lives, where the bytes are kept and which server answers are the wiring's
business. The link is a capability: anyone holding it may download the file until it expires,
because a browser following it carries no Teams identity to check. So each link is made for one
person (one token per recipient, shown in the card sent to them only), the token is long and
random (`storage.files`), links expire after `LINK_TTL` (short: the plan document and the data
export can be asked for again, which makes a fresh link after the policy's check), every
download is audited (`file.download`), and the answer is never cached.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

from aiohttp import web

from conversations.messages import Attachment
from conversations.ports import Clock
from storage.files import FileRepo

log = logging.getLogger(__name__)

LINK_TTL = timedelta(days=3)  # a weekend: long enough to open, short in a chat's history
PURGE_EVERY = timedelta(hours=1)
ROUTE = "/files/{token}/{filename}"


def file_url(*, public_url: str, token: str, filename: str) -> str:
    """The absolute link for a stored file; the name is in the path so browsers save it so."""
    return f"{public_url.rstrip('/')}/files/{quote(token, safe='')}/{quote(filename, safe='')}"


@dataclass
class FileLinks:
    """`adapters.teams.files.FileLink`: store an attachment, return its link.

    Expired files are purged on the way (at most every `purge_every`), so no scheduler job is
    needed and a bot that hands out no files does no work.
    """

    repo: FileRepo
    clock: Clock
    public_url: str
    ttl: timedelta = LINK_TTL
    purge_every: timedelta = PURGE_EVERY
    _purged_at: datetime | None = field(default=None, init=False, repr=False)

    async def __call__(self, *, attachment: Attachment, owner_user_id: str | None) -> str:
        now = self.clock.now()
        await self._purge(now=now)
        token = await self.repo.put(
            filename=attachment.filename,
            mime_type=attachment.mime_type,
            content=attachment.content,
            owner_user_id=owner_user_id,
            now=now,
            expires_at=now + self.ttl,
        )
        return file_url(public_url=self.public_url, token=token, filename=attachment.filename)

    async def _purge(self, *, now: datetime) -> None:
        if self._purged_at is not None and now - self._purged_at < self.purge_every:
            return
        self._purged_at = now
        gone = await self.repo.purge(before=now)
        if gone:
            log.info("files: purged %d expired download(s)", gone)


FILES: web.AppKey[FileRepo] = web.AppKey("files", FileRepo)
FILES_CLOCK: web.AppKey[Clock] = web.AppKey("files_clock", Clock)


def _safe_name(filename: str) -> str:
    """An ASCII fallback for `filename=` (the UTF-8 name goes in `filename*=`)."""
    return "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "._- ") else "_" for ch in filename
    )


async def serve_file(request: web.Request) -> web.Response:
    """`GET /files/{token}/{filename}`: the bytes as a download, 404 for unknown or expired.

    The name in the path must match the stored one: a link is used exactly as it was made.
    Each download is audited (by the repository, in the read's transaction); a wrong or
    expired token is not (no file, nobody's data, and no way to fill the log from outside).
    """
    repo = request.app[FILES]
    found = await repo.download(
        token=request.match_info["token"],
        filename=request.match_info["filename"],
        now=request.app[FILES_CLOCK].now(),
    )
    if found is None:
        raise web.HTTPNotFound(
            text="no such file: the link is unknown or has expired",
            headers={"Cache-Control": "private, no-store"},
        )
    disposition = (
        f'attachment; filename="{_safe_name(found.filename)}"; '
        f"filename*=UTF-8''{quote(found.filename, safe='')}"
    )
    return web.Response(
        body=found.content,
        headers={
            # The MIME type as the flow gave it (it may carry a charset).
            "Content-Type": found.mime_type or "application/octet-stream",
            "Content-Disposition": disposition,
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


def add_file_routes(*, app: web.Application, repo: FileRepo, clock: Clock) -> None:
    """Mount the download route on the one aiohttp application."""
    app[FILES] = repo
    app[FILES_CLOCK] = clock
    app.router.add_get(ROUTE, serve_file)
