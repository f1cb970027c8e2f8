"""Benchmark: signed Zalo events through the webhook of a real `troly serve` process to the `message/cs` replies.

The server runs as a subprocess (the real CLI, SQLite or PostgreSQL); this process runs the fake Zalo API and
the load: `--concurrency` clients each POST a signed `user_send_text` from a new user and wait until the fake
records the reply to that user, then send the next, until `--events` are done. Two latencies are reported:
the webhook's acknowledgement (Zalo retries when the 200 takes more than about 2 seconds) and the reply.

    PYTHONPATH=$PWD .venv/bin/python -m bench.zalo_webhook --events 2000 --concurrency 16

TROLY_ZALO_RATE is raised for the run: this measures what the server can process, not Zalo's quota.
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
from tests.support.fake_zalo import FakeZalo, Sent, signed_event, text_event, zalo_settings  # noqa: E402
from tests.support.postgres import free_port  # noqa: E402
from tests.support.serve_process import wait_healthy  # noqa: E402


async def start_server(
    fake: FakeZalo, port: int, data_dir: str, args: argparse.Namespace
) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TROLY_DATA_DIR": data_dir, "TROLY_PORT": str(port)}
    env.update({f"TROLY_{name.upper()}": str(value) for name, value in zalo_settings(fake).items()})
    env.update({"TROLY_ZALO_RATE": "1000000", "TROLY_LOG_LEVEL": "WARNING"})
    env["TROLY_CORE_WORKERS"] = str(args.core_workers)
    if args.database_url:
        env["TROLY_DATABASE_URL"] = args.database_url
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", env=env, cwd=data_dir)


class Load:
    """One event and the wait for its reply (driven by bench.measure.closed_loop), matched by user id."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.users = itertools.count(8_000_000_000_000_000_000)
        self.acks: list[float] = []
        self.replies: list[float] = []

    def on_send(self, sent: Sent) -> None:
        future = self.waiting.pop(sent.user_id, None)
        if future is not None and not future.done():
            future.set_result(time.monotonic())

    async def one(self, question: str) -> None:
        user = str(next(self.users))
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[user] = future
        body, headers = signed_event(text_event(user, question, f"bench-{user}"))
        started = time.monotonic()
        async with self.session.post(f"{self.url}/webhooks/zalo", data=body, headers=headers) as response:
            if response.status != 200:
                raise SystemExit(f"webhook answered {response.status}")
        self.acks.append(time.monotonic() - started)
        self.replies.append(await asyncio.wait_for(future, 60) - started)


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    fake = await FakeZalo().start()
    try:
        with tempfile.TemporaryDirectory(prefix="troly-bench-") as data_dir:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.concurrency * 2)) as session:
                process = await start_server(fake, port, data_dir, args)
                try:
                    await wait_healthy(session, url)
                    load = Load(session, url)
                    fake.listeners.append(load.on_send)
                    await closed_loop(load.one, min(100, args.events), args.concurrency)  # warm up
                    load.acks.clear()
                    load.replies.clear()
                    before = Costs.now(process.pid)
                    elapsed = await closed_loop(load.one, args.events, args.concurrency)
                    costs = Costs.now(process.pid) - before
                finally:
                    process.send_signal(signal.SIGINT)
                    await process.wait()
    finally:
        await fake.close()
    report(args, elapsed, load, costs)


def _percentiles(seconds: list[float]) -> str:
    p50, p99, worst = percentiles(seconds)
    return f"p50 {p50:8.1f} ms   p99 {p99:8.1f} ms   max {worst:8.1f} ms"


def report(args: argparse.Namespace, elapsed: float, load: Load, costs: Costs) -> None:
    database = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    print(
        f"zalo webhook benchmark: {len(load.replies)} events, concurrency {args.concurrency}, {database}, "
        f"{args.core_workers} core workers"
    )
    print(f"  throughput {len(load.replies) / elapsed:8.1f} events/s")
    print(f"  200 ack    {_percentiles(load.acks)}   (Zalo retries after about 2000 ms)")
    print(f"  reply      {_percentiles(load.replies)}")
    costs.report(len(load.replies), "event")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--core-workers", type=int, default=1, help="TROLY_CORE_WORKERS of the server")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temporary directory")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
