"""Who may post to `/api/messages`, and the bot's own token for the connector.

Inbound: every activity carries a JWT signed by the Bot Framework (RS256, keys published at the
JWKS URI named in an OpenID metadata document). The Agents SDK's `JwtTokenValidator` fetches
those keys with a blocking `PyJWKClient` in a worker thread with a 30 s timeout, has the
metadata URL built in, and remembers no failed fetch, so a flood of forged tokens while
Microsoft's endpoint is slow would queue one fetch after another. The checks here use PyJWT
(which the SDK itself uses) for the token and aiohttp for the keys:

* anything that is not ``Bearer <three base64url parts>`` with ``alg: RS256`` and a key id is
  refused before any key is looked at (``alg: none``, HS256 and garbage never cost a fetch);
* keys are fetched without blocking the event loop, with a timeout, one fetch at a time, kept
  for a day; an unknown key id refetches at most every `refetch_after` seconds, and a failed
  fetch is remembered for `failure_ttl` seconds (requests meanwhile get 503 at once);
* audience = the app id, issuer = the metadata's issuer (or the tenant's Entra issuers for a
  single-tenant bot), expiry with 5 minutes of clock skew, the key's channel endorsements, and
  the token's service URL against the activity's.

Every refusal is one log line naming the reason, never the token and never a traceback.

Outbound: `ClientCredentials` gets the bot's access token for the connector (OAuth client
credentials) with aiohttp and keeps it until shortly before it expires.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from jwt.exceptions import PyJWTError

log = logging.getLogger(__name__)

BOT_FRAMEWORK_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
LOGIN_URL = "https://login.microsoftonline.com"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
BOT_FRAMEWORK_TENANT = "botframework.com"  # the token authority of multi-tenant bots
ALGORITHM = "RS256"
LEEWAY_SECONDS = 300.0  # the clock skew the Bot Framework allows

Clock = Callable[[], float]


class Unauthorized(Exception):
    """The request does not prove it comes from the Bot Framework: answer 401."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeysUnavailable(Exception):
    """The signing keys cannot be fetched now: answer 503, the channel retries."""


@dataclass(slots=True)
class _Keys:
    by_kid: dict[str, tuple[Any, tuple[str, ...]]] = field(default_factory=dict)
    issuer: str | None = None
    fetched_at: float = float("-inf")
    failed_at: float = float("-inf")


class SigningKeys:
    """The Bot Framework's signing keys: fetched asynchronously, cached, failures remembered."""

    def __init__(
        self,
        *,
        metadata_url: str = BOT_FRAMEWORK_METADATA_URL,
        timeout: float = 5.0,
        ttl: float = 24 * 3600.0,
        refetch_after: float = 300.0,
        failure_ttl: float = 30.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.metadata_url = metadata_url
        self.timeout = timeout
        self.ttl = ttl
        self.refetch_after = refetch_after
        self.failure_ttl = failure_ttl
        self.clock = clock
        self.fetches = 0  # attempts, for tests and the curious
        self._keys = _Keys()
        self._inflight: asyncio.Task[None] | None = None

    async def get(self, kid: str) -> tuple[Any, tuple[str, ...]] | None:
        """(key, endorsements) for `kid`; None if the published keys do not have it."""
        now = self.clock()
        keys = self._keys
        found = keys.by_kid.get(kid)
        fresh = now - keys.fetched_at < self.ttl
        if found is not None and fresh:
            return found
        if now - keys.failed_at < self.failure_ttl:
            if found is not None:
                return found  # a day old, and the endpoint is down: better than nothing
            raise KeysUnavailable("the last key fetch failed")
        if found is None and fresh and now - keys.fetched_at < self.refetch_after:
            return None  # fetched a moment ago: an unknown kid is not worth another fetch
        try:
            await self._refresh()
        except KeysUnavailable:
            if found is not None:
                return found
            raise
        return self._keys.by_kid.get(kid)

    async def issuer(self) -> str | None:
        """The metadata document's issuer (fetched with the keys)."""
        if self._keys.issuer is None and self.clock() - self._keys.failed_at >= self.failure_ttl:
            await self._refresh()
        return self._keys.issuer

    async def _refresh(self) -> None:
        """One fetch at a time; everyone waiting shares its result."""
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.create_task(self._fetch())
        try:
            await asyncio.shield(self._inflight)
        except KeysUnavailable:
            raise
        except Exception as error:  # pragma: no cover - _fetch turns everything into one kind
            raise KeysUnavailable(type(error).__name__) from None

    async def _fetch(self) -> None:
        self.fetches += 1
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.get(self.metadata_url) as response:
                    response.raise_for_status()
                    metadata = await response.json(content_type=None)
                jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
                if not isinstance(jwks_uri, str):
                    raise ValueError("no jwks_uri in the OpenID metadata")
                async with session.get(jwks_uri) as response:
                    response.raise_for_status()
                    jwks = await response.json(content_type=None)
            by_kid = _parse_jwks(jwks)
        except (aiohttp.ClientError, TimeoutError, ValueError, TypeError) as error:
            self._keys.failed_at = self.clock()
            log.warning(
                "teams auth: could not fetch signing keys from %s (%s); retrying in %.0fs at "
                "the earliest",
                self.metadata_url,
                type(error).__name__,
                self.failure_ttl,
            )
            raise KeysUnavailable(type(error).__name__) from None
        issuer = metadata.get("issuer")
        self._keys = _Keys(
            by_kid=by_kid,
            issuer=str(issuer) if issuer else None,
            fetched_at=self.clock(),
        )


def _parse_jwks(jwks: Any) -> dict[str, tuple[Any, tuple[str, ...]]]:
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ValueError("not a JWKS document")
    found: dict[str, tuple[Any, tuple[str, ...]]] = {}
    for entry in jwks["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not entry.get("kid"):
            continue
        try:
            key = jwt.PyJWK(entry, algorithm=ALGORITHM).key
        except PyJWTError:
            continue
        endorsements = entry.get("endorsements")
        found[str(entry["kid"])] = (
            key,
            tuple(str(e) for e in endorsements) if isinstance(endorsements, list) else (),
        )
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class Claims:
    """What a verified token says."""

    app_id: str | None
    tenant_id: str | None
    service_url: str | None
    endorsements: tuple[str, ...]
    raw: dict[str, Any]


class TokenValidator:
    """Checks the `Authorization` header of one inbound activity (see the module docstring)."""

    def __init__(
        self,
        *,
        app_id: str,
        keys: SigningKeys,
        tenant_id: str | None = None,
        single_tenant: bool = False,
        login_url: str = LOGIN_URL,
        extra_issuers: Iterable[str] = (),
    ) -> None:
        self.app_id = app_id
        self.keys = keys
        self.tenant_id = tenant_id
        self.single_tenant = single_tenant
        issuers = set(extra_issuers)
        if tenant_id:
            # Tokens Entra issues for the bot's own tenant (single-tenant registrations).
            issuers |= {
                f"{login_url.rstrip('/')}/{tenant_id}/v2.0",
                f"https://sts.windows.net/{tenant_id}/",
            }
        self._tenant_issuers = frozenset(issuers)

    async def validate(self, authorization: str | None) -> Claims:
        """The verified claims, or `Unauthorized` / `KeysUnavailable`.

        Then `check_activity` with the activity the token came with.
        """
        token = _bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError:
            raise Unauthorized("malformed token") from None
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("token algorithm is not RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("token has no key id")
        found = await self.keys.get(kid)
        if found is None:
            raise Unauthorized("token signed with an unknown key")
        key, endorsements = found
        issuers = set(self._tenant_issuers)
        published = await self.keys.issuer()
        if published:
            issuers.add(published)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self.app_id,
                issuer=sorted(issuers),
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("token from an unknown issuer") from None
        except PyJWTError as error:
            raise Unauthorized(f"token rejected ({type(error).__name__})") from None
        tenant = claims.get("tid")
        if self.single_tenant and tenant is not None and tenant != self.tenant_id:
            raise Unauthorized("token for another tenant")
        claimed_url = claims.get("serviceurl")
        return Claims(
            app_id=claims.get("appid") or claims.get("azp"),
            tenant_id=str(tenant) if tenant else None,
            service_url=str(claimed_url) if claimed_url else None,
            endorsements=endorsements,
            raw=claims,
        )

    def check_activity(
        self, claims: Claims, *, channel_id: str | None, service_url: str | None
    ) -> None:
        """The token must fit the activity: the key endorsed for its channel, its service URL."""
        if claims.endorsements and channel_id and channel_id not in claims.endorsements:
            raise Unauthorized("signing key not endorsed for this channel")
        if claims.service_url and service_url and _norm(claims.service_url) != _norm(service_url):
            raise Unauthorized("token for another service URL")


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("no Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        raise Unauthorized("malformed Authorization header")
    if token.count(".") != 2:
        raise Unauthorized("malformed token")
    return token


def _norm(url: str) -> str:
    return str(url).rstrip("/").lower()


class ClientCredentials:
    """The bot's access token for the connector (client credentials), cached until near expiry."""

    def __init__(
        self,
        *,
        app_id: str,
        app_password: str,
        tenant_id: str | None,
        login_url: str = LOGIN_URL,
        scope: str = BOT_FRAMEWORK_SCOPE,
        timeout: float = 10.0,
        clock: Clock = time.monotonic,
    ) -> None:
        authority = tenant_id or BOT_FRAMEWORK_TENANT
        self.token_url = f"{login_url.rstrip('/')}/{authority}/oauth2/v2.0/token"
        self._form = {
            "grant_type": "client_credentials",
            "client_id": app_id,
            "client_secret": app_password,
            "scope": scope,
        }
        self.timeout = timeout
        self.clock = clock
        self._token: str | None = None
        self._expires = float("-inf")
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._lock:
            if self._token is not None and self.clock() < self._expires:
                return self._token
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(self.token_url, data=self._form) as response,
            ):
                if response.status != 200:
                    raise PermissionError(f"token endpoint answered HTTP {response.status}")
                body = await response.json(content_type=None)
            token = body.get("access_token") if isinstance(body, dict) else None
            if not isinstance(token, str):
                raise PermissionError("token endpoint answered without an access token")
            lifetime = float(body.get("expires_in") or 3600)
            self._token = token
            self._expires = self.clock() + max(60.0, lifetime - 300.0)
            return token
