"""Soak benchmark: a real `troly serve` under mixed traffic from many users, one flooder and one killed core
worker, for `--minutes`; counts what was processed, lost and duplicated, and the well-behaved users' latency.

    PYTHONPATH=. .venv/bin/python -m bench.soak                 # 10 minutes, 1,000 users (the README figures)
    PYTHONPATH=. .venv/bin/python -m bench.soak --minutes 1     # a short run

The users talk through the fake Bot API's webhook as Telegram does: an answer other than 200 means the update
comes again later (tests.support.processes.TelegramDelivery). Each user waits for the reply before writing
again; their messages are a mix of questions, greetings, thanks, /trogiup and stickers, at `--rate` updates/s
overall. One more user floods at `--flood-rate`. Halfway through, one core worker process is killed (SIGKILL).

Counted: *processed*, the updates acknowledged with 200 whose id the core recorded; *lost*, acknowledged updates
of well-behaved users that were never processed or never fully answered; *duplicated*, replies beyond the
expected parts (a message answered twice); *latency*, from the first POST of an update to the arrival of the
last part of its reply at the fake Bot API. The send budget's busiest one-second window is reported too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import QUESTIONS, percentiles  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.messages import Attachment, Inbound  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.faults.timeline import busiest_second  # noqa: E402
from tests.support.fake_telegram import ApiCall, FakeTelegram  # noqa: E402
from tests.support.postgres import free_port, running_postgres  # noqa: E402
from tests.support.processes import TelegramDelivery, start_serve, stop, troly_env  # noqa: E402
from tests.support.telegram_updates import message_update, text_update  # noqa: E402

NAME = "Lan Nguyễn"  # the display name of every user built by tests.support.telegram_updates
MIX: tuple[tuple[str, float], ...] = (
    *((question, 0.14) for question in QUESTIONS),
    ("xin chào", 0.1),
    ("/trogiup", 0.1),
    ("cảm ơn bạn nhiều", 0.05),
    ("sticker", 0.05),
)
FLOODER = 99_999_999
STICKER = {"file_id": "s1", "file_unique_id": "s1", "type": "regular", "width": 1, "height": 1,
           "is_animated": False, "is_video": False}  # fmt: skip


@dataclass
class Pending:
    update_id: int
    parts: int
    started: float
    arrived: int = 0
    done: asyncio.Future[float] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    acked: set[int] = field(default_factory=set)
    unanswered: set[int] = field(default_factory=set)
    duplicated: int = 0
    flood_posted: int = 0
    pending: dict[str, Pending] = field(default_factory=dict)

    def on_call(self, call: ApiCall) -> None:
        if not call.ok or call.method not in ("sendMessage", "sendPhoto") or call.chat_id is None:
            return
        waiting = self.pending.get(call.chat_id)
        if waiting is None or waiting.done.done():
            if int(call.chat_id) != FLOODER:
                self.duplicated += 1  # nothing was waiting for a message to this chat
            return
        waiting.arrived += 1
        if waiting.arrived == waiting.parts:
            waiting.done.set_result(call.at)


def expected_parts(data_dir: Path) -> dict[str, int]:
    """How many messages each kind of message gets back (from the same core, on a scratch database)."""
    app = create_app(Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'reference.db'}"))
    try:
        parts = {}
        for number, (message, _weight) in enumerate(MIX):
            attachments = (Attachment("sticker"),) if message == "sticker" else ()
            inbound = Inbound("console", f"ref{number}", f"ref{number}", "" if attachments else message,
                              message_id=f"ref{number}", user_name=NAME, attachments=attachments)  # fmt: skip
            parts[message] = len(app.handle(inbound))
        return parts
    finally:
        app.close()


def update_for(chat: int, message: str) -> dict[str, Any]:
    if message == "sticker":
        return message_update(chat, sticker=STICKER)
    return text_update(chat, message)


async def user_traffic(
    calls: TelegramDelivery, tally: Tally, parts: dict[str, int], args: argparse.Namespace, until: float
) -> None:
    """Updates at `args.rate` per second (Poisson), each from a user who is not waiting for a reply."""
    idle = list(range(10_000_000, 10_000_000 + args.users))
    random.shuffle(idle)
    messages, weights = zip(*MIX, strict=True)
    tasks: set[asyncio.Task[None]] = set()

    async def one(chat: int) -> None:
        message = random.choices(messages, weights)[0]
        update = update_for(chat, message)
        waiting = Pending(update["update_id"], parts[message], time.monotonic())
        tally.pending[str(chat)] = waiting
        if await calls.deliver(update, within=600):
            tally.acked.add(waiting.update_id)
        try:
            tally.latencies.append(await asyncio.wait_for(waiting.done, 120) - waiting.started)
        except TimeoutError:
            tally.unanswered.add(waiting.update_id)
        await asyncio.sleep(random.uniform(0.5, 2.0))  # reading the answer (a late duplicate would show now)
        tally.pending.pop(str(chat), None)
        idle.append(chat)

    while time.monotonic() < until:
        await asyncio.sleep(random.expovariate(args.rate))
        if idle:
            task = asyncio.create_task(one(idle.pop(0)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)


async def flood(calls: TelegramDelivery, tally: Tally, rate: float, until: float) -> None:
    while time.monotonic() < until:
        await asyncio.sleep(1 / rate)
        tally.flood_posted += 1
        asyncio.create_task(calls.deliver(text_update(FLOODER, "xin chào"), within=30))  # noqa: RUF006


async def kill_a_worker(serve: asyncio.subprocess.Process, at: float) -> str:
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    workers = [pid for pid in child_pids(serve.pid) if "spawn_main" in _command_line(pid)]
    if not workers:
        return "no core worker found to kill"
    victim = workers[0]
    with contextlib.suppress(ProcessLookupError):
        os.kill(victim, signal.SIGKILL)
    return f"core worker pid {victim} killed at {time.strftime('%H:%M:%S')}"


def child_pids(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                children.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return children


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def processed_ids(database_url: str) -> set[int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT message_id FROM processed_messages WHERE channel = 'telegram'"))
            return {int(row[0]) for row in rows}
    finally:
        engine.dispose()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="troly-soak-") as tmp:
        data_dir = Path(tmp) / "var"
        database_url = args.database_url or f"sqlite:///{data_dir / 'troly.db'}"
        parts = expected_parts(Path(tmp))
        create_app(Settings(data_dir=data_dir, database_url=database_url)).close()  # migrate
        port = free_port()
        tally = Tally()
        async with FakeTelegram() as fake, aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:
            fake.listeners.append(tally.on_call)
            env = troly_env(data_dir, database_url, fake, telegram_rate=args.telegram_rate,
                            core_workers=args.core_workers)  # fmt: skip
            serve = await start_serve(env, port, Path(tmp) / "serve.log")
            calls = TelegramDelivery(session, f"http://127.0.0.1:{port}")
            started = time.monotonic()
            until = started + args.minutes * 60
            killed = asyncio.create_task(kill_a_worker(serve, started + args.minutes * 30))
            await asyncio.gather(
                user_traffic(calls, tally, parts, args, until), flood(calls, tally, args.flood_rate, until)
            )
            elapsed = time.monotonic() - started
            await asyncio.sleep(3.0)  # late duplicates would arrive now
            code, stop_seconds = await stop(serve)
            log_tail = (Path(tmp) / "serve.log").read_text(errors="replace")[-1500:]
        processed = processed_ids(database_url)
        outcome = Outcome(processed, elapsed, killed.result(), (code, stop_seconds), calls.redelivered(), log_tail)
        report(args, tally, fake, outcome)


@dataclass(frozen=True)
class Outcome:
    processed: set[int]
    elapsed: float
    killed: str
    stopped: tuple[int | None, float]
    redelivered: int
    log_tail: str


def report(args: argparse.Namespace, tally: Tally, fake: FakeTelegram, outcome: Outcome) -> None:
    processed = outcome.processed
    lost = {update for update in tally.acked if update not in processed} | tally.unanswered
    p50, p99, worst = percentiles(tally.latencies) if tally.latencies else (0.0, 0.0, 0.0)
    flooder = fake.plain_texts(FLOODER)
    told = sum(1 for text in flooder if "nhanh quá" in text)
    database = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    sends = [call.at for call in fake.sent()]
    print(f"soak: {outcome.elapsed / 60:.1f} min, {args.users} users at {args.rate:g} updates/s, one flooder at "
          f"{args.flood_rate:g}/s, {database}, {args.core_workers} core workers, "
          f"TROLY_TELEGRAM_RATE={args.telegram_rate:g}")  # fmt: skip
    print(f"  well-behaved  {len(tally.latencies) + len(tally.unanswered)} updates, {len(tally.acked)} acknowledged, "
          f"{sum(1 for update in tally.acked if update in processed)} processed")  # fmt: skip
    print(f"  lost          {len(lost)}")
    print(f"  duplicated    {tally.duplicated}")
    print(f"  latency       p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {worst:.0f} ms (POST to the reply's last part)")
    print(f"  redelivered   {outcome.redelivered} updates needed more than one POST")
    print(
        f"  flooder       {tally.flood_posted} posted, {len(flooder) - told} answered, told to slow down {told} time(s)"
    )
    print(f"  sends         {len(sends)}; busiest one-second window {busiest_second(sends)} "
          f"(limit {args.telegram_rate:g})")  # fmt: skip
    print(f"  worker kill   {outcome.killed}")
    print(f"  shutdown      exit code {outcome.stopped[0]}, {outcome.stopped[1]:.1f} s after SIGTERM")
    if lost or tally.duplicated:
        print("  server log (end):\n" + outcome.log_tail)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=12.0, help="updates/s from the well-behaved users together")
    parser.add_argument("--flood-rate", type=float, default=50.0, help="updates/s from the flooder")
    parser.add_argument("--telegram-rate", type=float, default=25.0, help="TROLY_TELEGRAM_RATE of the server")
    parser.add_argument("--core-workers", type=int, default=2)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temporary directory")
    parser.add_argument("--postgres", action="store_true", help="start a throw-away PostgreSQL server and use it")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.postgres:
        with running_postgres() as admin_url:
            arguments.database_url = admin_url
            asyncio.run(main(arguments))
    else:
        asyncio.run(main(arguments))
