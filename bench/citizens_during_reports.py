"""Benchmark: citizens' replies while an official reads the province's /baocao and its monthly XLSX is exported.

    PYTHONPATH=. .venv/bin/python -m bench.citizens_during_reports --database-url sqlite:///PATH/province.db
    PYTHONPATH=. .venv/bin/python -m bench.citizens_during_reports --database-url postgresql://.../province

A real `troly serve` (default TROLY_CORE_WORKERS) on a generated province (bench.province_data; generated here
at `--scale` into a temporary SQLite file when no URL is given; a SQLite file given is copied, not changed).
`--chats` citizens (1,000) ask questions through the Telegram webhook in a closed loop of `--concurrency`
clients. Phase 1: citizens alone. Phase 2: the same, while a province official sends /baocao again as soon as
each report arrives, and `troly report visits --format xlsx` exports last month for the province, again and
again. Reported: citizens' p50/p99/max in each phase, the reports' and exports' own times.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import Costs, closed_loop, percentiles  # noqa: E402
from bench.province_data import Scale, generate  # noqa: E402
from bot import texts  # noqa: E402
from handlers.visits.records import VIETNAM  # noqa: E402
from tests.support.fake_telegram import ApiCall, FakeTelegram  # noqa: E402
from tests.support.postgres import free_port  # noqa: E402
from tests.support.serve_process import wait_healthy  # noqa: E402
from tests.support.telegram_updates import SECRET_HEADER, text_update  # noqa: E402

SECRET = "bench-secret"
CITIZEN_BASE = 10_000_000


class Traffic:
    """Posts updates and matches the replies the fake Bot API receives, by chat."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.notices = 0
        # Update ids the database has not seen: a PostgreSQL province is reused from run to run, and the core
        # rightly ignores an update id it already handled.
        self.update_ids = itertools.count(time.time_ns() // 1000)

    def on_call(self, call: ApiCall) -> None:
        if call.method not in {"sendMessage", "sendPhoto"} or not call.ok:
            return
        if call.text == texts.PREPARING:
            self.notices += 1
            return
        future = self.waiting.pop(call.chat_id or "", None)
        if future is not None and not future.done():
            future.set_result(call.at)

    async def ask(self, chat: int, text: str) -> float:
        """Seconds from posting `text` as `chat` to the first reply (a report's text, not its 'preparing')."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[str(chat)] = future
        started = time.monotonic()
        headers = {SECRET_HEADER: SECRET}
        update = text_update(chat, text, update_id=next(self.update_ids))
        async with self.session.post(f"{self.url}/webhooks/telegram", json=update, headers=headers):
            pass
        return await asyncio.wait_for(future, 120) - started


class Citizens:
    def __init__(self, traffic: Traffic, chats: int) -> None:
        self.traffic = traffic
        numbers = itertools.count()
        self.next_chat = lambda: CITIZEN_BASE + next(numbers) % chats
        self.latencies: list[float] = []

    async def one(self, question: str) -> None:
        self.latencies.append(await self.traffic.ask(self.next_chat(), question))


async def official_reports(traffic: Traffic, official: int, stop: asyncio.Event) -> list[float]:
    """/baocao again as soon as the last report arrived, until told to stop."""
    seconds = []
    while not stop.is_set():
        seconds.append(await traffic.ask(official, "/baocao"))
        await asyncio.sleep(0.2)  # the chart follows the text
    return seconds


async def exports(env: dict[str, str], area: str, month: tuple[date, date], stop: asyncio.Event) -> list[float]:
    """The province's monthly XLSX, again and again, as an operator would run it beside the bot."""
    seconds = []
    with tempfile.TemporaryDirectory() as folder:
        while not stop.is_set():
            span = ["--from", month[0].isoformat(), "--to", month[1].isoformat()]
            args = ["report", "visits", "--area", area, *span, "--format", "xlsx", "-o", f"{folder}/thang.xlsx"]
            started = time.monotonic()
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *args, env=env, stderr=asyncio.subprocess.PIPE
            )
            _, errors = await process.communicate()
            if process.returncode != 0:  # counted, not fatal: the code before issue 17 met "database is locked"
                failed = errors.decode().strip().splitlines()
                print(f"  export failed after {time.monotonic() - started:.1f} s: {failed[-1] if failed else '?'}")
                continue
            seconds.append(time.monotonic() - started)
    return seconds


async def run(args: argparse.Namespace, database_url: str) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="troly-bench-") as data_dir:
        async with FakeTelegram() as fake, aiohttp.ClientSession() as session:
            env = server_env(fake, port, data_dir, database_url, args)
            process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", env=env, cwd=data_dir)
            try:
                await wait_healthy(session, url, process, within=300)
                traffic = Traffic(session, url)
                fake.listeners.append(traffic.on_call)
                await closed_loop(Citizens(traffic, args.chats).one, 200, args.concurrency)  # warm up
                alone = Citizens(traffic, args.chats)
                await closed_loop(alone.one, args.updates, args.concurrency)
                busy, reports, made, costs = await with_reports(traffic, env, args, process.pid)
            finally:
                process.send_signal(signal.SIGINT)
                await process.wait()
    report(args, database_url, alone.latencies, busy.latencies, reports, made, traffic.notices, costs)


async def with_reports(
    traffic: Traffic, env: dict[str, str], args: argparse.Namespace, server: int
) -> tuple[Citizens, list[float], list[float], Costs]:
    stop = asyncio.Event()
    today = datetime.now(VIETNAM).date()
    last = today.replace(day=1) - timedelta(days=1)
    reading = asyncio.create_task(official_reports(traffic, args.official, stop))
    exporting = asyncio.create_task(exports(env, args.area, (last.replace(day=1), last), stop))
    await asyncio.sleep(1.0)  # both under way
    busy = Citizens(traffic, args.chats)
    before = Costs.now(server)
    await closed_loop(busy.one, args.updates, args.concurrency)
    costs = Costs.now(server) - before
    stop.set()
    return busy, await reading, await exporting, costs


def server_env(fake: FakeTelegram, port: int, data_dir: str, database_url: str, args: argparse.Namespace) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": args.code or str(ROOT),
        "TROLY_DATA_DIR": data_dir,
        "TROLY_DATABASE_URL": database_url,
        "TROLY_PORT": str(port),
        "TROLY_TELEGRAM_TOKEN": fake.token,
        "TROLY_TELEGRAM_API_URL": fake.api_url,
        "TROLY_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TROLY_TELEGRAM_RATE": "1000000",
        "TROLY_LOG_LEVEL": "WARNING",
    }
    if args.core_workers is not None:
        env["TROLY_CORE_WORKERS"] = str(args.core_workers)
    return env


def report(
    args: argparse.Namespace,
    database_url: str,
    alone: list[float],
    busy: list[float],
    reports: list[float],
    made: list[float],
    notices: int,
    costs: Costs,
) -> None:
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    workers = args.core_workers if args.core_workers is not None else "default"
    print(f"citizens during reports: {database}, core workers {workers}, {args.chats} citizens, "
          f"concurrency {args.concurrency}, {args.updates} questions per phase")  # fmt: skip
    for label, seconds in (("citizens alone", alone), ("with reports", busy)):
        p50, p99, worst = percentiles(seconds)
        print(f"  {label:15} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  max {worst:7.1f} ms")
    if reports:
        p50, p99, worst = percentiles(reports)
        print(
            f"  /baocao (province) x{len(reports)}: p50 {p50:6.0f} ms, max {worst:6.0f} ms; 'preparing' sent {notices}x"
        )
    if made:
        print(f"  monthly XLSX x{len(made)}: " + ", ".join(f"{seconds:.1f} s" for seconds in made))
    costs.report(len(busy), "question (phase 2)")


@contextmanager
def province(args: argparse.Namespace) -> Iterator[str]:
    """The database to serve: a copy of a given SQLite file, a given PostgreSQL URL, or a generated province."""
    with tempfile.TemporaryDirectory(prefix="troly-province-") as folder:
        if args.database_url.startswith("sqlite:///"):
            copy = Path(folder) / "province.db"
            shutil.copyfile(args.database_url.removeprefix("sqlite:///"), copy)
            yield f"sqlite:///{copy}"
        elif args.database_url:
            yield args.database_url
        else:
            url = f"sqlite:///{folder}/province.db"
            generate(url, Scale() if args.scale == 1 else Scale.of(args.scale))
            yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="a generated province (default: generate one)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--chats", type=int, default=1000, help="distinct citizens taking turns")
    parser.add_argument("--concurrency", type=int, default=4, help="citizens' messages in flight")
    parser.add_argument("--updates", type=int, default=2000, help="citizens' questions per phase")
    parser.add_argument("--core-workers", type=int, default=None, help="TROLY_CORE_WORKERS (default: the default)")
    parser.add_argument("--official", type=int, default=500_000_000, help="Telegram id of a province official")
    parser.add_argument("--area", default="MP", help="the province's code")
    parser.add_argument("--code", default="", help="serve and export with the troly checkout in this directory")
    args = parser.parse_args()
    with province(args) as url:
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
