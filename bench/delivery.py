"""Announcement delivery throughput with the real Telegram sender against the fake Bot API server.

    PYTHONPATH=. python -m bench.delivery [--rate 25] [--seconds 20] [--unlimited 3000] [--database-url URL]

1. Rate-limited: `rate × seconds` subscribers, TROLY_TELEGRAM_RATE=rate; reports the measured sends/s as a
   fraction of the rate (target ≥ 0.9), after the first second too (the limiter allows an initial burst), and
   the busiest one-second window.
2. Without a limit (rate 10⁶): sends/s through the whole outbox (claim, send, record), next to the same sender
   driven directly with the same concurrency, and the difference as overhead per message.
The fake server runs in its own process on 127.0.0.1 (so its CPU is not charged to the sender); rates are
measured from the arrival times of the sends at the server. The database is a fresh SQLite file unless
--database-url is given (an empty PostgreSQL database: the benchmark creates its tables and rows there).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from bot.app import Troly, create_app
from bot.messages import Outbound
from bot.plugins import make_senders
from bot.settings import Settings
from handlers.announcements.models import OutboxItem, OutboxState
from handlers.announcements.worker import DeliveryOptions, DeliveryWorker
from tests.announce_helpers import add_residents, import_sample
from tests.test_announce_outbox import queue

TOKEN = "123456:TEST-token"
SERVER = """
import asyncio, json, sys
from tests.support.fake_telegram import FakeTelegram

async def main() -> None:
    fake = FakeTelegram()
    await fake.start()
    print(fake.port, flush=True)
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, sys.stdin.readline):  # each line: report arrival times, forget them
        print(json.dumps([call.at for call in fake.sent()]), flush=True)
        fake.clear()

asyncio.run(main())
"""
TEXT = "Thông báo: thứ Bảy này từ 8:00 đến 11:00, trụ sở phường hỗ trợ đăng ký định danh điện tử mức 2."


class FakeServer:
    """The fake Bot API server in a child process (its CPU is not charged to the sender)."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        self.child = subprocess.Popen(
            [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        assert self.child.stdout is not None and self.child.stdin is not None
        self.stdin, self.stdout = self.child.stdin, self.child.stdout
        self.api_url = f"http://127.0.0.1:{int(self.stdout.readline())}/bot"

    def arrivals(self) -> list[float]:
        """Arrival times (monotonic seconds) of the sends accepted since the last call."""
        self.stdin.write("dump\n")
        self.stdin.flush()
        return sorted(json.loads(self.stdout.readline()))

    def close(self) -> None:
        self.stdin.close()
        self.child.wait(10)


@contextmanager
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer()
    try:
        yield server
    finally:
        server.close()


def make_app(api_url: str, rate: float, database_url: str, data_dir: Path) -> Troly:
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        telegram_token=TOKEN,  # type: ignore[arg-type]
        telegram_api_url=api_url,
        telegram_rate=rate,
        delivery_poll_seconds=0.05,
    )
    troly = create_app(settings)
    import_sample(troly)
    return troly


async def through_outbox(troly: Troly, server: FakeServer, count: int, area: str) -> list[float]:
    """Queue `count` subscribers and deliver with one worker; the arrival times of the sends at the server."""
    server.arrivals()
    add_residents(troly, area, count, channel="telegram", prefix=f"{area}-")
    number = queue(troly, area)
    senders = make_senders(troly)
    worker = DeliveryWorker(troly.database, senders, troly.policies, DeliveryOptions.from_settings(troly.settings))
    await worker.run(asyncio.Event(), exit_when_idle=True)
    for sender in senders.values():
        await sender.aclose()
    with troly.database.transaction() as session:
        query = select(func.count()).where(OutboxItem.announcement_id == number, OutboxItem.state == OutboxState.SENT)
        sent = session.scalar(query)
    arrivals = server.arrivals()
    if sent != count or len(arrivals) != count:
        raise RuntimeError(f"{sent} rows sent, {len(arrivals)} sends received, of {count}")
    return arrivals


async def sender_alone(troly: Troly, count: int, concurrency: int) -> float:
    """The same sender driven without the outbox, `concurrency` sends at a time: the channel's own cost."""
    sender = make_senders(troly)["telegram"]
    chats = iter(range(10_000_000, 10_000_000 + count))

    async def lane() -> None:
        for chat in chats:
            await sender.send(str(chat), Outbound(TEXT), bulk=True)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await sender.aclose()
    return count / elapsed


def rate_of(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0])


def busiest_second(times: list[float]) -> int:
    """The most sends finished within any one-second window."""
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def main(args: argparse.Namespace) -> None:
    with fake_server() as server, tempfile.TemporaryDirectory(prefix="troly-bench-") as tmp:
        troly = make_app(server.api_url, args.rate, args.database_url or f"sqlite:///{tmp}/limited.db", Path(tmp))
        count = int(args.rate * args.seconds)
        times = await through_outbox(troly, server, count, "22-MC")
        troly.close()
        steady = [moment for moment in times if moment >= times[0] + 1.0]
        print(
            f"rate-limited: {count} sends at TROLY_TELEGRAM_RATE={args.rate:g}: {rate_of(times):.2f} sends/s "
            f"= {rate_of(times) / args.rate:.3f} of the limit; after the first second {rate_of(steady):.2f} "
            f"sends/s = {rate_of(steady) / args.rate:.3f}; busiest one-second window: {busiest_second(times)} sends"
        )
        free_url = args.database_url or f"sqlite:///{tmp}/free.db"
        troly = make_app(server.api_url, 1_000_000, free_url, Path(tmp))
        concurrency = troly.settings.delivery_concurrency
        outbox_rate = rate_of(await through_outbox(troly, server, args.unlimited, "22-UB"))
        direct_rate = await sender_alone(troly, args.unlimited, concurrency)
        troly.close()
    overhead_ms = (1 / outbox_rate - 1 / direct_rate) * 1000
    print(
        f"no limit, {args.unlimited} sends, {concurrency} in flight: through the outbox {outbox_rate:.0f} sends/s, "
        f"the sender alone {direct_rate:.0f} sends/s; outbox overhead {overhead_ms:.2f} ms per message"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--unlimited", type=int, default=3000)
    parser.add_argument("--database-url", default="")
    asyncio.run(main(parser.parse_args()))
