"""The baselines, each a bare slack-bolt AsyncApp on bolt's own aiohttp server:

- `bare`: acknowledges a DM event and posts one message (the next "question") back;
- `floor`: the minimal durable floor: the same, plus storing the answer with one INSERT and
  reading the next question with one SELECT, in one transaction, through the same driver
  and database MUS-bot uses (storage.db.make_engine: aiosqlite / asyncpg).

    python -m bench.apps bare|floor --port P --api-url URL [--db URL]
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

    if kind == "bare":

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

    async def create_tables() -> None:
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
        await engine.dispose()  # the server runs on another event loop

    app._bench_setup = create_tables  # type: ignore[attr-defined]
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["bare", "floor"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--db")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    app = build(args.kind, api_url=args.api_url, db=args.db)
    setup = getattr(app, "_bench_setup", None)
    if setup is not None:
        import asyncio

        asyncio.run(setup())
    app.start(port=args.port, path="/slack/events")


if __name__ == "__main__":
    main()
