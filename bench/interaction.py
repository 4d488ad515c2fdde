"""The interaction path: a typed DM answer in, the next question out, over real HTTP.

Three servers, each in its own process on the same stand-in Slack API (bench/standin.py, in
this driver process), measured interleaved (bare, floor, MUS-bot; bare, floor, MUS-bot; ...):
- `bare`: slack-bolt's AsyncApp acking the event and posting one message (bench/apps.py);
- `floor`: the minimal durable floor: bare, plus one INSERT of the answer and one SELECT of
  the next question in one transaction through the same driver and database;
- `musbot`: `python -m bot.cli run`: MUS-bot's real Slack adapter on its real aiohttp server,
  with people seeded at question 1 of a kk-buf preparation (bench/seed.py).

Each of `concurrency` simulated people sends a signed DM event, waits for the next question
to reach the stand-in, and sends the next answer (a closed loop). Per run: throughput
(interactions/s), server CPU per interaction (from /proc, the server process only), ack p99
(the HTTP answer to the event) and next-question p99 (event sent -> question posted).

    python -m bench.interaction [--tiny] [--reps 3] [--interactions 400]
        [--concurrency 1,10,50] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.apps import SIGNING_SECRET
from bench.common import (
    create_database,
    drop_database,
    fmt,
    free_port,
    percentile,
    postgres_admin_url,
    ratio,
    start_server,
    summary,
    write_result,
)
from bench.seed import seed_prep, steps_per_person
from bench.standin import BOT_USER_ID, TEAM_ID, TOKEN, SlackStandIn

APPS = ("bare", "floor", "musbot")
WORKERS_APP = "musbot-workers"  # MUS-bot with MUSBOT_WORKERS (--workers, PostgreSQL only)
_ids = itertools.count(1)


def _signed(body: str) -> dict[str, str]:
    import hashlib
    import hmac

    ts = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }


def dm_event(user: str, text: str) -> str:
    channel = "D" + user.removeprefix("U")
    n = next(_ids)
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "AMUS",
            "type": "event_callback",
            "event_id": f"EvB{n:08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
            "event": {
                "type": "message",
                "channel": channel,
                "user": user,
                "text": text,
                "ts": f"{time.time():.6f}",
                "event_ts": f"{time.time():.6f}",
                "channel_type": "im",
            },
        }
    )


def _interactive(payload: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode({"payload": json.dumps(payload)})


def _signed_form(body: str) -> dict[str, str]:
    headers = _signed(body)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return headers


def _user(user: str) -> dict[str, Any]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID}


def button_click(user: str, *, channel: str, ts: str, blocks: str, trigger: str) -> str | None:
    """The block_actions payload for the question's answer button (None: no such button)."""
    for block in json.loads(blocks):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            action_id = str(element.get("action_id", ""))
            if action_id.split("~~")[0] in ("prep.answer", "answer"):
                return _interactive(
                    {
                        "type": "block_actions",
                        "user": _user(user),
                        "api_app_id": "AMUS",
                        "token": "legacy",
                        "trigger_id": trigger,
                        "team": {"id": TEAM_ID, "domain": "bench"},
                        "container": {
                            "type": "message",
                            "message_ts": ts,
                            "channel_id": channel,
                            "is_ephemeral": False,
                        },
                        "channel": {"id": channel, "name": "directmessage"},
                        "message": {"ts": ts, "type": "message", "text": "", "blocks": []},
                        "response_url": "http://127.0.0.1:9/unused",
                        "actions": [
                            {
                                "action_id": action_id,
                                "block_id": block.get("block_id", "b"),
                                "value": element.get("value", ""),
                                "type": "button",
                                "action_ts": f"{time.time():.6f}",
                            }
                        ],
                    }
                )
    return None


def view_submission(user: str, *, view: dict[str, Any], text: str) -> str:
    inputs = [b for b in view.get("blocks", []) if b.get("type") == "input"]
    values = {
        b["block_id"]: {
            b["element"].get("action_id", "value"): {"type": "plain_text_input", "value": text}
        }
        for b in inputs[:1]
    }
    return _interactive(
        {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "bench"},
            "user": _user(user),
            "api_app_id": "AMUS",
            "token": "legacy",
            "trigger_id": f"trig.sub.{next(_ids)}",
            "view": {
                "id": f"V{next(_ids)}",
                "team_id": TEAM_ID,
                "type": "modal",
                "callback_id": view.get("callback_id", ""),
                "private_metadata": view.get("private_metadata", ""),
                "blocks": view.get("blocks", []),
                "state": {"values": values},
                "hash": "h",
            },
            "response_urls": [],
        }
    )


async def start_app(app: str, *, api_url: str, db: str, workers: int = 1) -> Any:
    port = free_port()
    if app.startswith("musbot"):
        env = {
            "MUSBOT_WORKERS": str(workers),
            "MUSBOT_DATABASE_URL": db,
            "MUSBOT_PORT": str(port),
            "MUSBOT_LOG_LEVEL": "WARNING",
            "MUSBOT_WEB_CHAT": "false",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api_url,
        }
        argv = ["python", "-m", "bot.cli", "run"]
        return await start_server(name=app, argv=argv, env=env, port=port, ready_path="/healthz")
    argv = ["python", "-m", "bench.apps", app, "--port", str(port), "--api-url", api_url]
    argv += ["--db", db]
    return await start_server(name=app, argv=argv, env={}, port=port, ready_path="/slack/events")


async def drive(
    *,
    url: str,
    standin: SlackStandIn,
    people: list[str],
    answers_each: int,
    concurrency: int,
    mode: str = "dm",
) -> dict[str, Any]:
    """Closed loop: `concurrency` workers, each through its share of `people`.

    `dm`: each answer is a typed DM. `form`: each person's first answer is a DM (it brings
    the question with its answer button to the stand-in, unmeasured); every further answer
    is a button click that opens the answer modal, and the modal's submission, whose ack
    and next question are what is measured.
    """
    acks: list[float] = []
    nexts: list[float] = []
    errors = 0
    shares = [people[i::concurrency] for i in range(concurrency)]
    text = "Jeg vil gerne lære mere om digitalisering og samarbejde i teamet. " * 3

    async def post(session: aiohttp.ClientSession, body: str, headers: dict[str, str]) -> bool:
        async with session.post(
            url + "/slack/events", data=body.encode(), headers=headers
        ) as response:
            await response.read()
            return response.status == 200

    async def form_step(session: aiohttp.ClientSession, user: str, channel: str, n: int) -> None:
        nonlocal errors
        ts, blocks = standin.last_question[channel]
        trigger = f"trig.{next(_ids)}"
        click = button_click(user, channel=channel, ts=ts, blocks=blocks, trigger=trigger)
        if click is None:
            errors += 1
            return
        opened = standin.expect_view(trigger)
        if not await post(session, click, _signed_form(click)):
            errors += 1
            return
        view = await asyncio.wait_for(opened, timeout=15)
        body = view_submission(user, view=view, text=f"{text} ({n})")
        arrived = standin.expect_question(channel)
        started = time.perf_counter()
        ok = await post(session, body, _signed_form(body))
        acks.append(time.perf_counter() - started)
        if not ok:
            errors += 1
            return
        at = await asyncio.wait_for(arrived, timeout=15)
        nexts.append(at - started)

    async def worker(session: aiohttp.ClientSession, mine: list[str]) -> None:
        nonlocal errors
        for user in mine:
            channel = "D" + user.removeprefix("U")
            for step in range(answers_each + (1 if mode == "form" else 0)):
                if mode == "form" and step > 0:
                    try:
                        await form_step(session, user, channel, step)
                    except (TimeoutError, aiohttp.ClientError, KeyError):
                        errors += 1
                    continue
                body = dm_event(user, f"{text} ({step})")
                arrived = standin.expect_question(channel)
                started = time.perf_counter()
                try:
                    async with session.post(
                        url + "/slack/events", data=body.encode(), headers=_signed(body)
                    ) as response:
                        await response.read()
                        ok = response.status == 200
                    if mode == "form":  # the unmeasured first answer
                        await asyncio.wait_for(arrived, timeout=15)
                        continue
                    acks.append(time.perf_counter() - started)
                    if not ok:
                        errors += 1
                        continue
                    at = await asyncio.wait_for(arrived, timeout=15)
                    nexts.append(at - started)
                except (TimeoutError, aiohttp.ClientError):
                    errors += 1

    connector = aiohttp.TCPConnector(limit=concurrency + 5)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session, mine) for mine in shares))
        wall = time.perf_counter() - started
    done = len(nexts)
    return {
        "interactions": done,
        "errors": errors,
        "wall_s": wall,
        "throughput": done / wall if wall else float("nan"),
        "ack_p50_ms": percentile(acks, 50) * 1e3,
        "ack_p99_ms": percentile(acks, 99) * 1e3,
        "next_p50_ms": percentile(nexts, 50) * 1e3,
        "next_p99_ms": percentile(nexts, 99) * 1e3,
    }


async def one_run(
    app: str,
    *,
    backend: str,
    concurrency: int,
    interactions: int,
    tmp: Path,
    mode: str = "dm",
    workers: int = 1,
) -> dict[str, Any]:
    # The last answer leads to the overview, not a question; the form mode's first is a DM.
    steps = steps_per_person() - (2 if mode == "form" else 1)
    persons = max(concurrency, math.ceil(interactions / steps))
    persons = math.ceil(persons / concurrency) * concurrency
    answers_each = max(1, math.ceil(interactions / persons))
    db = await create_database(backend, tmp=tmp)
    standin = await SlackStandIn().start()
    server = None
    try:
        if app.startswith("musbot"):
            team_size = 15
            teams = math.ceil((persons + 1) / team_size)
            seeded = await seed_prep(url=db, teams=teams, team_size=team_size)
            # One more person, for the warm-up answer (each seeded person answers in turn).
            people, warm = seeded[:persons], seeded[persons]
        else:
            people = [f"U{n}X0" for n in range(persons)]
            warm = people[0]
        server = await start_app(app, api_url=standin.api_url, db=db, workers=workers)
        # One warm-up interaction per run, for every app alike (first-request costs: the
        # database pool's first connection, caches).
        await drive(url=server.url, standin=standin, people=[warm], answers_each=1, concurrency=1)
        cpu0 = server.cpu()
        result = await drive(
            url=server.url,
            standin=standin,
            people=people,
            answers_each=answers_each,
            concurrency=concurrency,
            mode=mode,
        )
        cpu = server.cpu() - cpu0
        result["cpu_ms_per_interaction"] = (
            cpu / result["interactions"] * 1e3 if result["interactions"] else float("nan")
        )
        result["rss_mb_after"] = server.rss()
        return result
    finally:
        if server is not None:
            server.stop()
        await standin.close()
        await drop_database(db)


METRICS = (
    "throughput",
    "cpu_ms_per_interaction",
    "ack_p99_ms",
    "next_p99_ms",
    "ack_p50_ms",
    "next_p50_ms",
    "errors",
    "rss_mb_after",
)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends and postgres_admin_url() is None:
        print("PostgreSQL skipped: MUSBOT_TEST_POSTGRES_URL is not set")
        backends.remove("postgresql")
    levels = [int(c) for c in args.concurrency.split(",")]
    runs: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            for backend in backends:
                for concurrency in levels:
                    apps = list(APPS)
                    if args.workers > 1 and backend == "postgresql":
                        apps.append(WORKERS_APP)
                    for app in apps:  # interleaved: each repetition runs each app
                        result = await one_run(
                            app,
                            backend=backend,
                            concurrency=concurrency,
                            interactions=args.interactions,
                            tmp=Path(tmp),
                            mode=args.mode,
                            workers=args.workers if app == WORKERS_APP else 1,
                        )
                        runs.setdefault(backend, {}).setdefault(str(concurrency), {}).setdefault(
                            app, []
                        ).append(result)
                        print(
                            f"rep {rep + 1} {backend:10} c={concurrency:<3} {app:7} "
                            f"{result['throughput']:7.1f}/s  cpu {fmt(result['cpu_ms_per_interaction'], 2)} ms"
                            f"  ack p99 {fmt(result['ack_p99_ms'])} ms"
                            f"  next p99 {fmt(result['next_p99_ms'])} ms"
                            f"  errors {result['errors']}",
                            flush=True,
                        )
    table: list[dict[str, Any]] = []
    for backend, by_c in runs.items():
        for concurrency, by_app in by_c.items():
            row: dict[str, Any] = {"backend": backend, "concurrency": int(concurrency)}
            for app, results in by_app.items():
                row[app] = {m: summary(r[m] for r in results) for m in METRICS}
            mus, floor, bare = row["musbot"], row["floor"], row["bare"]
            row["ratios"] = {
                "cpu_vs_floor": ratio(
                    mus["cpu_ms_per_interaction"]["median"],
                    floor["cpu_ms_per_interaction"]["median"],
                ),
                "cpu_vs_bare": ratio(
                    mus["cpu_ms_per_interaction"]["median"],
                    bare["cpu_ms_per_interaction"]["median"],
                ),
                "throughput_vs_floor": ratio(
                    mus["throughput"]["median"], floor["throughput"]["median"]
                ),
                "throughput_vs_bare": ratio(
                    mus["throughput"]["median"], bare["throughput"]["median"]
                ),
            }
            if WORKERS_APP in row:
                many = row[WORKERS_APP]
                row["ratios"]["workers_throughput_vs_floor"] = ratio(
                    many["throughput"]["median"], floor["throughput"]["median"]
                )
                row["ratios"]["workers_cpu_vs_floor"] = ratio(
                    many["cpu_ms_per_interaction"]["median"],
                    floor["cpu_ms_per_interaction"]["median"],
                )
            row["targets"] = {
                "cpu_within_3x_floor": row["ratios"]["cpu_vs_floor"] <= 3,
                "throughput_at_least_half_floor": (
                    row["ratios"]["throughput_vs_floor"] >= 0.5 if int(concurrency) >= 10 else None
                ),
                "ack_p99_under_100ms": mus["ack_p99_ms"]["median"] < 100
                if int(concurrency) >= 50
                else None,
                "next_p99_under_500ms": mus["next_p99_ms"]["median"] < 500
                if int(concurrency) >= 50
                else None,
            }
            table.append(row)
    print()
    print(render_table(table))
    payload = {
        "settings": {
            "reps": args.reps,
            "interactions_per_run": args.interactions,
            "concurrency": levels,
            "backends": backends,
            "order": "interleaved: bare, floor, musbot (and musbot-workers) within each repetition",
            "workers": args.workers,
            "mode": args.mode,
            "cpu_count": os.cpu_count(),
        },
        "table": table,
        "runs": runs,
    }
    path = write_result(args.name, payload)
    print(f"\nwritten {path}")
    return payload


def render_table(table: list[dict[str, Any]]) -> str:
    lines = [
        "| backend | c | app | throughput/s | CPU ms/interaction | ack p99 ms | next-question p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table:
        for app in [*APPS, WORKERS_APP]:
            if app not in row:
                continue
            m = row[app]
            lines.append(
                f"| {row['backend']} | {row['concurrency']} | {app} | "
                f"{fmt(m['throughput']['median'])} ({fmt(m['throughput']['min'])}-{fmt(m['throughput']['max'])}) | "
                f"{fmt(m['cpu_ms_per_interaction']['median'], 2)} | "
                f"{fmt(m['ack_p99_ms']['median'])} | {fmt(m['next_p99_ms']['median'])} |"
            )
        r = row["ratios"]
        lines.append(
            f"| {row['backend']} | {row['concurrency']} | **MUS-bot/floor** | "
            f"**{fmt(r['throughput_vs_floor'], 2)}x** | **{fmt(r['cpu_vs_floor'], 2)}x** | | |"
        )
        if "workers_throughput_vs_floor" in r:
            lines.append(
                f"| {row['backend']} | {row['concurrency']} | **MUS-bot workers/floor** | "
                f"**{fmt(r['workers_throughput_vs_floor'], 2)}x** | "
                f"**{fmt(r['workers_cpu_vs_floor'], 2)}x** | | |"
            )
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tiny", action="store_true", help="a few interactions: proves it runs")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--interactions", type=int, default=400)
    p.add_argument("--concurrency", default="1,10,50")
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--mode", choices=["dm", "form"], default="dm", help="typed DM or modal")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="also run MUS-bot with MUSBOT_WORKERS=N on PostgreSQL (an extra row; CPU summed "
        "over its processes)",
    )
    p.add_argument("--name", default=None, help="result file name (default: by mode)")
    return p


def configure(args: argparse.Namespace) -> argparse.Namespace:
    if args.name is None:
        args.name = "interaction" if args.mode == "dm" else "interaction-form"
    if args.tiny:
        args.reps, args.interactions, args.concurrency = 1, 10, "5"
        args.backends, args.name = "sqlite", args.name + "-tiny"
    return args


def main() -> None:
    asyncio.run(main_async(configure(parser().parse_args())))


if __name__ == "__main__":
    main()
