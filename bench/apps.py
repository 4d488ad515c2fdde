"""The baselines, each a bare slack-bolt AsyncApp on bolt's own aiohttp server:

- `bare`: acknowledges a DM event and posts one message (the next "question") back;
- `floor`: the minimal durable floor: the same, plus storing the answer with one INSERT and
  reading the next question with one SELECT, in one transaction, through the same driver
  and database MUS-bot uses (storage.db.make_engine: aiosqlite / asyncpg);
- `packages` (bench/memory.py): `bare`, plus the packages the project's owner fixed loaded
  as MUS-bot's server loads them (SQLAlchemy's asyncio engine connected through the same
  driver, sqlmodel, APScheduler's asyncio scheduler started) and nothing of MUS-bot's own:
  the memory those packages cost before any of our code.

    python -m bench.apps bare|floor|packages --port P --api-url URL [--db URL]
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.standin import TOKEN

SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
QUESTIONS = 20


def _question(n: int) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"Spørgsmål {n}"}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "answer",
                    "text": {"type": "plain_text", "text": "Svar"},
                    "value": str(n),
                }
            ],
        },
    ]


def _modal(channel: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "answer",
        "private_metadata": channel,
        "title": {"type": "plain_text", "text": "Svar"},
        "submit": {"type": "plain_text", "text": "Gem"},
        "blocks": [
            {
                "type": "input",
                "block_id": "answer",
                "label": {"type": "plain_text", "text": "Dit svar"},
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
            }
        ],
    }


def build(kind: str, *, api_url: str, db: str | None) -> AsyncApp:
    client = AsyncWebClient(token=TOKEN, base_url=api_url)
    # The client carries the token (bolt takes it from there; given twice, bolt warns).
    app = AsyncApp(signing_secret=SIGNING_SECRET, client=client)
    progress: dict[str, int] = {}

    @app.action("answer")
    async def on_answer_button(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        channel = body["container"]["channel_id"]
        await client.views_open(trigger_id=body["trigger_id"], view=_modal(channel))

    if kind in ("bare", "packages"):

        @app.event("message")
        async def on_message(event: dict[str, Any], client: AsyncWebClient) -> None:
            user = event["user"]
            n = progress.get(user, 0) + 1
            progress[user] = n
            await client.chat_postMessage(
                channel=event["channel"], text=f"Spørgsmål {n}", blocks=_question(n)
            )

        @app.view("answer")
        async def on_submit(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
            await ack()
            user = body["user"]["id"]
            n = progress.get(user, 0) + 1
            progress[user] = n
            channel = body["view"]["private_metadata"]
            await client.chat_postMessage(
                channel=channel, text=f"Spørgsmål {n}", blocks=_question(n)
            )

        if kind == "packages":
            app._bench_on_startup = _load_packages(db)  # type: ignore[attr-defined]
        return app

    from sqlalchemy import text

    from storage.db import make_engine

    assert db is not None
    engine = make_engine(url=db)

    @app.event("message")
    async def on_message_floor(event: dict[str, Any], client: AsyncWebClient) -> None:
        user = event["user"]
        n = progress.get(user, 0) + 1
        progress[user] = n
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO answers (user_id, step, body) VALUES (:u, :s, :b)"),
                {"u": user, "s": n, "b": event.get("text", "")},
            )
            row = (
                await conn.execute(
                    text("SELECT body FROM questions WHERE n = :n"), {"n": n % QUESTIONS}
                )
            ).one()
        await client.chat_postMessage(channel=event["channel"], text=row[0], blocks=_question(n))

    @app.view("answer")
    async def on_submit_floor(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()  # then store: the floor's ack does not wait for the database either
        user = body["user"]["id"]
        n = progress.get(user, 0) + 1
        progress[user] = n
        answer = body["view"]["state"]["values"]["answer"]["value"]["value"]
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO answers (user_id, step, body) VALUES (:u, :s, :b)"),
                {"u": user, "s": n, "b": answer},
            )
            row = (
                await conn.execute(
                    text("SELECT body FROM questions WHERE n = :n"), {"n": n % QUESTIONS}
                )
            ).one()
        channel = body["view"]["private_metadata"]
        await client.chat_postMessage(channel=channel, text=row[0], blocks=_question(n))

    async def create_tables(_web_app: Any) -> None:
        serial = "INTEGER PRIMARY KEY" if engine.dialect.name == "sqlite" else "SERIAL PRIMARY KEY"
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS answers (id {serial}, user_id TEXT, "
                    "step INTEGER, body TEXT)"
                )
            )
            await conn.execute(
                text("CREATE TABLE IF NOT EXISTS questions (n INTEGER PRIMARY KEY, body TEXT)")
            )
            await conn.execute(text("DELETE FROM questions"))
            for n in range(QUESTIONS):
                await conn.execute(
                    text("INSERT INTO questions (n, body) VALUES (:n, :b)"),
                    {"n": n, "b": f"Spørgsmål {n}: hvad vil du gerne lære?"},
                )

    app._bench_on_startup = create_tables  # type: ignore[attr-defined]
    return app


def _load_packages(db: str | None) -> Any:
    """The owner-fixed packages as MUS-bot's server has them at rest: an asyncio engine with
    a pooled connection, sqlmodel's declarative layer (and so pydantic and SQLAlchemy's ORM),
    and a started asyncio scheduler."""
    import sqlmodel
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    assert db is not None
    # storage.db.normalise_url does this, but importing storage.db loads MUS-bot's code.
    url = make_url(db)
    driver = "sqlite+aiosqlite" if url.get_backend_name() == "sqlite" else "postgresql+asyncpg"
    engine = create_async_engine(url.set(drivername=driver))

    class Probe(sqlmodel.SQLModel, table=True):
        id: int | None = sqlmodel.Field(default=None, primary_key=True)

    async def connect() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def on_startup(_web_app: Any) -> None:
        await connect()
        scheduler = AsyncIOScheduler()
        scheduler.add_job(connect, "interval", minutes=5)
        scheduler.start()

    return on_startup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["bare", "floor", "packages"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--db")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    app = build(args.kind, api_url=args.api_url, db=args.db)
    server = app.server(port=args.port, path="/slack/events")
    # Run in the server's event loop, before it listens: the floor's tables, the packages' load.
    on_startup = getattr(app, "_bench_on_startup", None)
    if on_startup is not None:
        server.web_app.on_startup.append(on_startup)
    server.start()


if __name__ == "__main__":
    main()
