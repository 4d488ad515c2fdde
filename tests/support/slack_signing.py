"""Slack request signing (v0 HMAC-SHA256) for tests: genuine, forged and stale requests.

https://api.slack.com/authentication/verifying-requests-from-slack
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
STALE_SECONDS = 10 * 60  # bolt rejects timestamps older than five minutes


def signature(*, body: str, secret: str, timestamp: int) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Headers Slack would send with `body`."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature(body=body, secret=secret, timestamp=ts),
    }


def forged_headers(body: str, **kwargs: Any) -> dict[str, str]:
    """Signed with the wrong secret: what an attacker without the secret can produce."""
    return signed_headers(body, secret="not-the-signing-secret", **kwargs)


def stale_headers(body: str, **kwargs: Any) -> dict[str, str]:
    """Correctly signed, but ten minutes old: a replayed request."""
    return signed_headers(body, timestamp=int(time.time()) - STALE_SECONDS, **kwargs)


def tampered_headers(body: str, **kwargs: Any) -> dict[str, str]:
    """A genuine signature over a different body."""
    return signed_headers(body + "&x=1", **kwargs)


# ---------------------------------------------------------------- bodies as Slack sends them


def form_body(fields: dict[str, Any]) -> str:
    """Slash commands: application/x-www-form-urlencoded fields."""
    return urlencode({k: v for k, v in fields.items() if v is not None})


def interactive_body(payload: dict[str, Any]) -> str:
    """Interactivity (block_actions, view_submission): a form field `payload` holding JSON."""
    return urlencode({"payload": json.dumps(payload)})


def event_body(payload: dict[str, Any]) -> str:
    """Events API: a JSON body."""
    return json.dumps(payload)
