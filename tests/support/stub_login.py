"""A local stand-in for Microsoft's sign-in side of the Bot Framework.

Serves what the Teams adapter fetches: the OpenID metadata document, the JWKS with real RSA
public keys, and the OAuth token endpoint the bot gets its own access token from. It mints
RS256 tokens the way the Bot Framework channel signs its requests, and can be told to hang
or fail so tests see what the bot does while Microsoft's endpoint is down.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
KID = "stand-in-key-1"
ACCESS_TOKEN = "stand-in-access-token"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class StubLogin:
    """Metadata at `/metadata`, keys at `/keys`, tokens at `/<tenant>/oauth2/v2.0/token`."""

    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    endorsements: tuple[str, ...] = ("msteams",)
    hits: dict[str, int] = field(default_factory=lambda: {"metadata": 0, "keys": 0, "token": 0})
    token_requests: list[dict[str, str]] = field(default_factory=list)
    hang: asyncio.Event | None = None  # see `hold`
    fail_status: int | None = None
    token_status: int | None = None  # the token endpoint answers this instead (a revoked secret)
    asked: asyncio.Event = field(default_factory=asyncio.Event)  # set at the first metadata GET
    _server: TestServer | None = None

    async def start(self) -> StubLogin:
        app = web.Application()
        app.router.add_get("/metadata", self._metadata)
        app.router.add_get("/keys", self._keys)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        if self.hang is not None:
            self.hang.set()
        if self._server is not None:
            await self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("")).rstrip("/")

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/metadata"

    # ---------------------------------------------------------- test API

    def hold(self) -> asyncio.Event:
        """From now on metadata requests hang until the returned event is set."""
        self.hang = asyncio.Event()
        return self.hang

    def token(
        self,
        *,
        audience: str,
        service_url: str,
        issuer: str = ISSUER,
        kid: str = KID,
        key: rsa.RSAPrivateKey | None = None,
        expires_in: float = 3600,
        **claims: Any,
    ) -> str:
        """A token as the channel sends it (signed with this stand-in's key unless `key`)."""
        now = int(time.time())
        body = {
            "iss": issuer,
            "aud": audience,
            "serviceurl": service_url,
            "iat": now - 10,
            "nbf": now - 10,
            "exp": int(now + expires_in),
            **claims,
        }
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": kid})

    # ---------------------------------------------------------- handlers

    async def _wait(self) -> web.Response | None:
        if self.hang is not None:
            await self.hang.wait()
        if self.fail_status is not None:
            return web.json_response({"error": "injected"}, status=self.fail_status)
        return None

    async def _metadata(self, request: web.Request) -> web.Response:
        self.hits["metadata"] += 1
        self.asked.set()
        if (failed := await self._wait()) is not None:
            return failed
        return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.url}/keys"})

    async def _keys(self, request: web.Request) -> web.Response:
        self.hits["keys"] += 1
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update({"kid": KID, "use": "sig", "endorsements": list(self.endorsements)})
        return web.json_response({"keys": [jwk]})

    async def _token(self, request: web.Request) -> web.Response:
        self.hits["token"] += 1
        form = dict(await request.post())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        if self.token_status is not None:
            return web.json_response({"error": "invalid_client"}, status=self.token_status)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3600, "access_token": ACCESS_TOKEN}
        )
