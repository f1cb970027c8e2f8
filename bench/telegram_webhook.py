"""Benchmark: Telegram updates through the webhook of a real `troly serve` process to the replies it sends.

The server runs as a subprocess (the real CLI, PTB and SQLite or PostgreSQL); this process runs the fake Bot
API server and the load: `--concurrency` clients each POST an update and wait until the fake server records
the `sendMessage` to that chat, then send the next, until `--updates` are done. Updates come from `--chats`
citizens in turn (returning users, as in real use; 0: a new chat for every update).
Latency is from the start of the POST to the arrival of the reply at the fake Bot API.

    PYTHONPATH=$PWD .venv/bin/python -m bench.telegram_webhook --updates 3000 --concurrency 16

The per-chat limit (1/s) does not bind while chats are many more than clients; the overall limit
(TROLY_TELEGRAM_RATE, about 25/s in production) is raised for the run, since Telegram itself would refuse a
single bot more than about 30 messages/s: this measures what the server can process, not Telegram's quota.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measure import Costs, closed_loop, percentiles  # noqa: E402
from tests.support.fake_telegram import ApiCall, FakeTelegram  # noqa: E402
from tests.support.postgres import free_port, running_postgres  # noqa: E402
from tests.support.serve_process import wait_healthy  # noqa: E402
from tests.support.telegram_updates import SECRET_HEADER, text_update  # noqa: E402

SECRET = "bench-secret"


async def start_server(
    fake: FakeTelegram, port: int, data_dir: str, args: argparse.Namespace
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TROLY_DATA_DIR": data_dir,
        "TROLY_PORT": str(port),
        "TROLY_TELEGRAM_TOKEN": fake.token,
        "TROLY_TELEGRAM_API_URL": fake.api_url,
        "TROLY_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TROLY_TELEGRAM_RATE": "1000000",
        "TROLY_LOG_LEVEL": "WARNING",
        "TROLY_CORE_WORKERS": str(args.core_workers),
    }
    if args.database_url:
        env["TROLY_DATABASE_URL"] = args.database_url
    command = [sys.executable, *os.environ.get("BENCH_PYTHON_ARGS", "").split(), "-m", "bot", "serve"]  # e.g. cProfile
    return await asyncio.create_subprocess_exec(*command, env=env, cwd=data_dir)


class Load:
    """One update and the wait for its reply (driven by bench.measure.closed_loop), matched by chat id."""

    def __init__(self, session: aiohttp.ClientSession, url: str, chats: int) -> None:
        self.session, self.url = session, url
        self.waiting: dict[str, asyncio.Future[float]] = {}
        numbers = itertools.count()
        self.next_chat = (lambda: 10_000_000 + next(numbers) % chats) if chats else (lambda: 10_000_000 + next(numbers))
        self.latencies: list[float] = []

    def on_call(self, call: ApiCall) -> None:
        future = self.waiting.pop(call.chat_id or "", None) if call.method == "sendMessage" and call.ok else None
        if future is not None and not future.done():
            future.set_result(call.at)

    async def one(self, question: str) -> None:
        chat = self.next_chat()
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[str(chat)] = future
        started = time.monotonic()
        async with self.session.post(
            f"{self.url}/webhooks/telegram", json=text_update(chat, question), headers={SECRET_HEADER: SECRET}
        ) as response:
            if response.status != 200:
                raise SystemExit(f"webhook answered {response.status}")
        arrived = await asyncio.wait_for(future, 30)
        self.latencies.append(arrived - started)


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="troly-bench-") as data_dir:
        connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
        async with FakeTelegram() as fake, aiohttp.ClientSession(connector=connector) as session:
            process = await start_server(fake, port, data_dir, args)
            try:
                await wait_healthy(session, url)
                print(f"server on {url} (curl {url}/metrics during the run)", flush=True)
                load = Load(session, url, args.chats)
                fake.listeners.append(load.on_call)
                await closed_loop(load.one, min(200, args.updates), args.concurrency)  # warm up
                sample = await probe_reply(fake)
                load.latencies.clear()
                counted = await scrape_metrics(session, url)
                before = Costs.now(process.pid)
                elapsed = await closed_loop(load.one, args.updates, args.concurrency)
                costs = Costs.now(process.pid) - before
                moved = metric_changes(counted, await scrape_metrics(session, url))
            finally:
                process.send_signal(signal.SIGINT)
                await process.wait()
    report(args, elapsed, load.latencies, sample, costs)
    print("  /metrics during the run (what moved):")
    for line in moved:
        print(f"    {line}")


# Counters whose change over the run is printed: what an operator would watch on /metrics.
WATCHED = (
    "troly_inbound_total",
    "troly_replies_total",
    "troly_answers_total",
    "troly_sends_total",
    "troly_handle_seconds_count",
    "troly_core_seconds_count",
    "troly_channel_throttled_total",
)


async def scrape_metrics(session: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """GET /metrics of the server, as {"name{labels}": value} for the watched series."""
    async with session.get(f"{url}/metrics") as response:
        text = await response.text()
    values = {}
    for line in text.splitlines():
        if line.startswith(WATCHED):
            series, _, value = line.rpartition(" ")
            values[series] = float(value)
    return values


def metric_changes(before: dict[str, float], after: dict[str, float]) -> list[str]:
    return [
        f"{series} +{after[series] - before.get(series, 0.0):g}"
        for series in sorted(after)
        if after[series] != before.get(series, 0.0)
    ]


async def probe_reply(fake: FakeTelegram) -> str:
    texts = fake.plain_texts()
    return texts[-1][:100].replace("\n", " ") if texts else ""


def report(args: argparse.Namespace, elapsed: float, latencies: list[float], sample: str, costs: Costs) -> None:
    p50, p99, worst = percentiles(latencies)
    database = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    chats = f"{args.chats} chats" if args.chats else "a new chat per update"
    print(
        f"telegram webhook benchmark: {len(latencies)} updates, concurrency {args.concurrency}, {chats}, "
        f"{database}, {args.core_workers} core workers"
    )
    print(f"  throughput   {len(latencies) / elapsed:8.1f} updates/s")
    print(f"  latency p50  {p50:8.1f} ms")
    print(f"  latency p99  {p99:8.1f} ms")
    print(f"  max          {worst:8.1f} ms")
    costs.report(len(latencies), "update")
    print(f"  sample reply {sample!r}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--chats", type=int, default=1000, help="distinct chats taking turns (0: all new)")
    parser.add_argument("--core-workers", type=int, default=1, help="TROLY_CORE_WORKERS of the server")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temporary directory")
    parser.add_argument("--postgres", action="store_true", help="start a throw-away PostgreSQL server and use it")
    args = parser.parse_args()
    if args.chats and args.chats < args.concurrency * 4:
        parser.error("--chats must be at least 4 x --concurrency (one chat gets about one message a second)")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.postgres:
        with running_postgres() as admin_url:
            arguments.database_url = admin_url
            asyncio.run(main(arguments))
    else:
        asyncio.run(main(arguments))
