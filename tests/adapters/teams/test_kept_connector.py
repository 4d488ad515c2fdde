"""The connector kept per service URL: one HTTP session for many requests, renewed with the token."""

from __future__ import annotations

from typing import Any, cast

from adapters.teams import connector as connector_module
from adapters.teams.connector import ConnectorFactory


class Tokens:
    def __init__(self) -> None:
        self.value = "token-1"

    async def token(self) -> str:
        return self.value


async def test_one_client_per_service_url_until_the_token_changes(monkeypatch: Any) -> None:
    tokens = Tokens()
    factory = ConnectorFactory(credentials=cast(Any, tokens))
    url = "https://smba.trafficmanager.net/emea/"
    first = await factory.kept_client(service_url=url)
    assert await factory.kept_client(service_url=url) is first
    other = await factory.kept_client(service_url="https://smba.trafficmanager.net/amer/")
    assert other is not first
    assert first.client.headers["Authorization"] == "Bearer token-1"

    tokens.value = "token-2"  # renewed: a new client; the old one stays open for a while
    second = await factory.kept_client(service_url=url)
    assert second is not first and second.client.headers["Authorization"] == "Bearer token-2"
    assert not first.client.closed

    later = connector_module.time.monotonic() + connector_module.RETIRED_CLIENT_GRACE + 1
    monkeypatch.setattr(connector_module.time, "monotonic", lambda: later)
    tokens.value = "token-3"
    third = await factory.kept_client(service_url=url)
    assert first.client.closed  # past its grace: requests begun on it are over
    assert not second.client.closed  # just retired

    await factory.close()
    assert all(c.client.closed for c in (second, third, other))


async def test_the_local_mode_keeps_one_client_for_a_loopback_url() -> None:
    factory = ConnectorFactory(credentials=None)
    url = "http://127.0.0.1:9/"
    client = await factory.kept_client(service_url=url)
    assert await factory.kept_client(service_url=url) is client
    assert "Authorization" not in client.client.headers
    await factory.close()
    assert client.client.closed
