"""The outbox against a rate-limiting stand-in Slack or Teams: the share of the allowed rate.

The Slack stand-in (bench/standin.py) enforces Slack's limits for chat.postMessage: a token
bucket per channel (1 message a second, bursts of 3) and a global one (30/s, bursts of 30),
and answers HTTP 429 with Retry-After over them. The Teams stand-in does the same for the Bot
Framework connector with Teams' limits: 7/s per conversation (bursts of 7) and 30/s per
tenant (bursts of 30); the replica sends through the real Teams port (Agents SDK connector
client, its limiter), to 1:1 chats stored as if each person had talked to the bot before. The baseline is what those limits allow: the
shortest time the workload could take (per channel: (n - burst) / rate; globally:
(N - burst) / rate; the larger), computed for the same workload in the same run. Reported:
`fraction = shortest possible time / time taken`.

Workloads: reminders (prep nudges) due now for `people` people, `per_person` each, either
*spread* (due in round-robin order over people) or *person-ordered* (each person's messages
queued together). Each replica is `python -m bench.outbox_worker` (production wiring and
scheduler). The kill scenario runs two replicas on PostgreSQL and SIGKILLs one `kills` times
(restarting it), then counts lost messages (rows never sent) and duplicates (posts beyond
what a DM channel should get).

    python -m bench.outbox [--tiny] [--reps 3] [--people 60] [--per-person 10] [--kills 20]
                           [--platforms slack,teams] [--backends sqlite,postgresql]
                           [--orders spread,person]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from bench.apps import SIGNING_SECRET
from bench.common import (
    ROOT,
    create_database,
    drop_database,
    fmt,
    postgres_admin_url,
    summary,
    write_result,
)
from bench.seed import seed_prep
from bench.standin import TEAM_ID, TOKEN, Limits, SlackStandIn, TeamsLimits, TeamsStandIn
from conversations.reminders import PREP_NUDGE
from storage.db import SqlStore, create_store
from storage.models import people as people_table
from storage.models import round_people

LIMITS = Limits(per_channel_rate=1.0, per_channel_burst=3.0, global_rate=30.0, global_burst=30.0)
TEAMS_LIMITS = TeamsLimits(
    per_conversation_rate=7.0, per_conversation_burst=7.0, tenant_rate=30.0, tenant_burst=30.0
)
TEAMS_BOT = "28:musbot-bench"


def shortest_time(counts: list[int], limits: Limits | TeamsLimits) -> float:
    if isinstance(limits, TeamsLimits):
        limits = Limits(
            per_channel_rate=limits.per_conversation_rate,
            per_channel_burst=limits.per_conversation_burst,
            global_rate=limits.tenant_rate,
            global_burst=limits.tenant_burst,
        )
    per_channel = max(
        (max(0.0, n - limits.per_channel_burst) / limits.per_channel_rate for n in counts),
        default=0.0,
    )
    overall = max(0.0, sum(counts) - limits.global_burst) / limits.global_rate
    return max(per_channel, overall)


def channel_of(user: str, *, platform: str) -> str:
    """Where a person's DMs land on the stand-in."""
    return f"a:dm-{user}" if platform == "teams" else "D" + user.removeprefix("U")


async def seed(
    *,
    url: str,
    people: int,
    per_person: int,
    order: str,
    platform: str = "slack",
    service_url: str = "",
) -> tuple[list[str], int]:
    """People at question 1, and `per_person` prep nudges each, due now. On Teams also the
    refs a bot has once people have talked to it: the tenant's and each person's 1:1 chat."""
    users = await seed_prep(
        url=url, teams=-(-people // 15), team_size=min(15, people), platform=platform
    )
    users = users[:people]
    store = await create_store(url=url)
    now = datetime.now(UTC)
    today = now.date().isoformat()
    try:
        async with store.transaction() as tx:
            rows = (
                await tx.conn.execute(  # type: ignore[attr-defined]
                    select(people_table.c.user_id, people_table.c.id, round_people.c.round_id)
                    .join(round_people, round_people.c.person_id == people_table.c.id)
                    .where(people_table.c.user_id.in_(users))
                )
            ).all()
            where = {user_id: (person_id, round_id) for user_id, person_id, round_id in rows}
            if platform == "teams":
                refs = {"tenant": {"service_url": service_url, "bot_id": TEAMS_BOT}}
                for user in users:
                    refs[f"dm:{user}"] = {
                        "conversation_id": channel_of(user, platform=platform),
                        "service_url": service_url,
                    }
                    refs[f"user:{user}"] = {"teams_id": f"29:{user}", "locale": "da-DK"}
                for key, ref in refs.items():
                    await tx.conversation_refs.save(
                        platform="teams", workspace_id=TEAM_ID, key=key, ref=ref
                    )
            total = 0
            for p, user in enumerate(users):
                person_id, round_id = where[user]
                for i in range(per_person):
                    slot = p * per_person + i if order == "person" else i * len(users) + p
                    await tx.outbox.schedule(
                        key=f"bench:{user}:{i}:{today}",
                        kind=PREP_NUDGE,
                        round_id=round_id,
                        recipient_id=person_id,
                        subject_id=None,
                        due_at=now - timedelta(seconds=60) + timedelta(milliseconds=slot),
                    )
                    total += 1
    finally:
        await store.close()
    return users, total


async def outstanding(store: SqlStore) -> tuple[int, int]:
    """(rows not yet sent or failed, rows failed) among the benchmark's reminders."""
    if True:
        async with store.transaction() as tx:
            row = (
                await tx.conn.execute(  # type: ignore[attr-defined]
                    text(
                        "SELECT SUM(CASE WHEN state IN ('pending','sending') THEN 1 ELSE 0 END),"
                        " SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END)"
                        " FROM reminders WHERE key LIKE 'bench:%'"
                    )
                )
            ).one()
    return int(row[0] or 0), int(row[1] or 0)


def spawn_worker(*, url: str, api_url: str, platform: str = "slack") -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MUSBOT_DATABASE_URL": url,
        "MUSBOT_WEB_CHAT": "false",
        "MUSBOT_LOG_LEVEL": "WARNING",
    }
    if platform == "teams":  # unsigned local mode: the connector is on a loopback address
        env.update(MUSBOT_TEAMS_ALLOW_UNAUTHENTICATED="true", MUSBOT_HOST="127.0.0.1")
    else:
        env.update(
            SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=api_url
        )
    process = subprocess.Popen(
        ["python", "-m", "bench.outbox_worker"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return process


async def ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    line = await asyncio.to_thread(process.stdout.readline)
    if line.strip() != "ready":
        raise RuntimeError(f"outbox worker did not start: {line!r}")


def go(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("go\n")
    process.stdin.flush()


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def scenario(
    *,
    backend: str,
    order: str,
    replicas: int,
    people: int,
    per_person: int,
    kills: int,
    give_up_after: float,
    tmp: Path,
    platform: str = "slack",
) -> dict[str, Any]:
    url = await create_database(backend, tmp=tmp)
    limits: Limits | TeamsLimits
    standin: SlackStandIn | TeamsStandIn
    if platform == "teams":
        limits = TEAMS_LIMITS
        teams = await TeamsStandIn(limits=TEAMS_LIMITS).start()
        standin, api_url = teams, teams.url
    else:
        limits = LIMITS
        slack = await SlackStandIn(limits=LIMITS).start()
        standin, api_url = slack, slack.api_url
    workers: list[subprocess.Popen[str]] = []
    watch: SqlStore | None = None
    try:
        users, total = await seed(
            url=url,
            people=people,
            per_person=per_person,
            order=order,
            platform=platform,
            service_url=api_url,
        )
        watch = await create_store(url=url)
        workers = [
            spawn_worker(url=url, api_url=api_url, platform=platform) for _ in range(replicas)
        ]
        await asyncio.gather(*(ready(w) for w in workers))
        started = time.perf_counter()
        for w in workers:
            go(w)
        killed = 0
        next_kill = started + 1.0
        left, failed = total, 0
        while time.perf_counter() - started < give_up_after:
            await asyncio.sleep(0.2)
            if killed < kills and time.perf_counter() >= next_kill:
                victim = killed % len(workers)
                workers[victim].kill()  # SIGKILL: no shutdown, rows left mid-send
                workers[victim].wait()
                workers[victim] = spawn_worker(url=url, api_url=api_url, platform=platform)
                await ready(workers[victim])
                go(workers[victim])
                killed += 1
                next_kill = time.perf_counter() + 1.0
            left, failed = await outstanding(watch)
            if left == 0 and killed >= kills:
                break
        taken = time.perf_counter() - started
        counts = standin.posts_by_channel()
        expected = {channel_of(u, platform=platform): per_person for u in users}
        duplicates = sum(max(0, counts.get(c, 0) - n) for c, n in expected.items())
        ideal = shortest_time(list(expected.values()), limits)
        done = left == 0
        return {
            "platform": platform,
            "backend": backend,
            "order": order,
            "replicas": replicas,
            "kills": killed,
            "messages": total,
            "sent_posts": len(standin.posts),
            "rejected_429": standin.rejected,
            "seconds": taken,
            "shortest_possible_seconds": ideal,
            "fraction_of_allowed_rate": ideal / taken if done else float("nan"),
            "finished": done,
            "lost": left + failed,
            "duplicates": duplicates,
        }
    finally:
        for w in workers:
            stop(w)
        if watch is not None:
            await watch.close()
        await standin.close()
        await drop_database(url)


def plan_runs(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Which scenarios this run measures (the options narrow them down)."""
    backends = ["sqlite"] + (["postgresql"] if postgres_admin_url() and not args.tiny else [])
    if args.tiny and postgres_admin_url():
        backends = ["postgresql"]
    if args.backends:
        backends = [b for b in args.backends.split(",") if b]
    platforms = [p for p in args.platforms.split(",") if p]
    orders = [o for o in args.orders.split(",") if o]
    plans: list[dict[str, Any]] = []
    for platform in platforms:
        for backend in [] if args.tiny else backends:
            for order in orders:
                plans.append(
                    {
                        "platform": platform,
                        "backend": backend,
                        "order": order,
                        "replicas": 1,
                        "kills": 0,
                    }
                )
            if backend == "postgresql" and platform == "slack" and "spread" in orders:
                plans.append(
                    {
                        "platform": platform,
                        "backend": backend,
                        "order": "spread",
                        "replicas": 2,
                        "kills": 0,
                    }
                )
        if args.tiny:  # the hardest case only: one person's messages queued together
            plans.append(
                {
                    "platform": platform,
                    "backend": backends[0],
                    "order": "person",
                    "replicas": 1,
                    "kills": 0,
                }
            )
    if args.kill_only:
        plans = []
    if postgres_admin_url() and args.kills and "postgresql" in backends:
        plans.append(
            {
                "platform": platforms[0],
                "backend": "postgresql",
                "order": "spread",
                "replicas": 2,
                "kills": args.kills,
            }
        )
    return plans


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    plans = plan_runs(args)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            for plan in plans:
                if plan["kills"] and rep:
                    continue  # one kill run: it is long, and its counts are what matter
                r = await scenario(
                    **plan,
                    people=args.people,
                    per_person=args.per_person,
                    give_up_after=args.timeout,
                    tmp=Path(tmp),
                )
                results.append(r)
                print(
                    f"rep {rep + 1} {r['platform']:5} {r['backend']:10} {r['order']:6}"
                    f" replicas={r['replicas']}"
                    f" kills={r['kills']:<2} {r['messages']} msgs in {r['seconds']:6.1f} s"
                    f" (shortest {r['shortest_possible_seconds']:5.1f} s):"
                    f" fraction {fmt(r['fraction_of_allowed_rate'], 2)}"
                    f"  429s {r['rejected_429']}  lost {r['lost']}  duplicates {r['duplicates']}",
                    flush=True,
                )
    table = []
    for plan in plans:
        rs = [r for r in results if all(r[k] == v for k, v in plan.items())]
        table.append(
            {
                **plan,
                "fraction_of_allowed_rate": summary(r["fraction_of_allowed_rate"] for r in rs),
                "seconds": summary(r["seconds"] for r in rs),
                "shortest_possible_seconds": rs[0]["shortest_possible_seconds"],
                "lost": sum(r["lost"] for r in rs),
                "duplicates": sum(r["duplicates"] for r in rs),
                "rejected_429": summary(r["rejected_429"] for r in rs),
                "target_0.9_met": summary(r["fraction_of_allowed_rate"] for r in rs)["median"]
                >= 0.9,
            }
        )
    print()
    print(
        "| platform | backend | order | replicas | kills | fraction of allowed rate | lost |"
        " duplicates |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in table:
        f = row["fraction_of_allowed_rate"]
        print(
            f"| {row['platform']} | {row['backend']} | {row['order']} | {row['replicas']} |"
            f" {row['kills']} | "
            f"{fmt(f['median'], 2)} ({fmt(f['min'], 2)}-{fmt(f['max'], 2)}) | {row['lost']} | "
            f"{row['duplicates']} |"
        )
    payload = {
        "settings": {
            "reps": args.reps,
            "people": args.people,
            "per_person": args.per_person,
            "limits": LIMITS.__dict__,
            "teams_limits": TEAMS_LIMITS.__dict__,
            "baseline": "the stand-in's limits: shortest possible time for the same workload",
        },
        "table": table,
        "runs": results,
    }
    path = write_result(args.name, payload)
    print(f"written {path}")
    return payload


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--people", type=int, default=60)
    p.add_argument("--per-person", type=int, default=10)
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--name", default="outbox")
    p.add_argument("--platforms", default="slack,teams", help="comma-separated: slack,teams")
    p.add_argument("--backends", default="", help="comma-separated (default: all available)")
    p.add_argument("--orders", default="spread,person", help="comma-separated: spread,person")
    p.add_argument("--kill-only", action="store_true", help="only the SIGKILL scenario")
    return p


def configure(args: argparse.Namespace) -> argparse.Namespace:
    if args.tiny:
        args.reps, args.people, args.per_person, args.kills = 1, 4, 5, 0
        args.timeout, args.name = 20.0, "outbox-tiny"
    return args


def main() -> None:
    asyncio.run(main_async(configure(parser().parse_args())))


if __name__ == "__main__":
    main()
