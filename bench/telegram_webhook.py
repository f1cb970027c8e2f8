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
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.fake_telegram import ApiCall, FakeTelegram  # noqa: E402
from tests.support.postgres import free_port, running_postgres  # noqa: E402
from tests.support.serve_process import wait_healthy  # noqa: E402
from tests.support.telegram_updates import SECRET_HEADER, text_update  # noqa: E402

SECRET = "bench-secret"
QUESTIONS = (
    "cài vneid thế nào",
    "lam sao de dang ky dinh danh muc 2",
    "chữ ký số từ xa là gì",
    "nộp hồ sơ dịch vụ công trực tuyến ở đâu",
    "bị lừa chuyển tiền qua mạng thì làm gì",
)


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
    """Closed-loop clients; a reply is matched to its update by chat id (one new chat per update)."""

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

    async def run(self, updates: int, concurrency: int) -> float:
        counter = itertools.count()

        async def client() -> None:
            while (n := next(counter)) < updates:
                await self.one(QUESTIONS[n % len(QUESTIONS)])

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return time.monotonic() - started


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="troly-bench-") as data_dir:
        connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
        async with FakeTelegram() as fake, aiohttp.ClientSession(connector=connector) as session:
            process = await start_server(fake, port, data_dir, args)
            try:
                await wait_healthy(session, url)
                load = Load(session, url, args.chats)
                fake.listeners.append(load.on_call)
                await load.run(min(200, args.updates), args.concurrency)  # warm up
                sample = await probe_reply(fake)
                load.latencies.clear()
                before = Costs.now(process.pid)
                elapsed = await load.run(args.updates, args.concurrency)
                costs = Costs.now(process.pid) - before
            finally:
                process.send_signal(signal.SIGINT)
                await process.wait()
    report(args, elapsed, load.latencies, sample, costs)


async def probe_reply(fake: FakeTelegram) -> str:
    texts = fake.plain_texts()
    return texts[-1][:100].replace("\n", " ") if texts else ""


@dataclass(frozen=True)
class Costs:
    """CPU seconds of the server (with its workers) and of this process, and the machine's CPU ticks in all
    and stolen by the hypervisor: on a shared virtual machine steal explains much of the run-to-run spread."""

    server: float
    bench: float
    machine_ticks: int
    stolen_ticks: int

    @classmethod
    def now(cls, server_pid: int) -> Costs:
        ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return cls(tree_cpu_seconds(server_pid), time.process_time(), sum(ticks), ticks[7])

    def __sub__(self, other: Costs) -> Costs:
        return Costs(
            self.server - other.server,
            self.bench - other.bench,
            self.machine_ticks - other.machine_ticks,
            self.stolen_ticks - other.stolen_ticks,
        )


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server and its core worker processes (Linux /proc)."""
    stats = {}
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = path.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        stats[int(path.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, ticks = {pid}, 0
    for child, (parent, used) in sorted(stats.items()):
        if child in tree or parent in tree:
            tree.add(child)
            ticks += used
    return ticks / os.sysconf("SC_CLK_TCK")


def report(args: argparse.Namespace, elapsed: float, latencies: list[float], sample: str, costs: Costs) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    database = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    chats = f"{args.chats} chats" if args.chats else "a new chat per update"
    print(
        f"telegram webhook benchmark: {len(ordered)} updates, concurrency {args.concurrency}, {chats}, {database}, "
        f"{args.core_workers} core workers"
    )
    print(f"  throughput   {len(ordered) / elapsed:8.1f} updates/s")
    print(f"  latency p50  {p50:8.1f} ms")
    print(f"  latency p99  {p99:8.1f} ms")
    print(f"  max          {ordered[-1] * 1000:8.1f} ms")
    server, own = (seconds / len(ordered) * 1000 for seconds in (costs.server, costs.bench))
    stolen = costs.stolen_ticks / max(1, costs.machine_ticks) * 100
    print(f"  server CPU   {server:8.2f} ms per update, core workers included")
    print(f"  bench CPU    {own:8.2f} ms per update (fake Bot API and clients)")
    print(f"  machine      load average {os.getloadavg()[0]:.1f}, {stolen:.1f} % of CPU time stolen by the hypervisor")
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
