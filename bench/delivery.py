"""Announcement delivery throughput with the real Telegram sender against the fake Bot API server.

    PYTHONPATH=. python -m bench.delivery [--rate 25] [--seconds 20] [--unlimited 3000] [--database-url URL]

1. Rate-limited: `rate × seconds` subscribers, TROLY_TELEGRAM_RATE=rate; reports the measured sends/s as a
   fraction of the rate (target ≥ 0.9), after the first second too (the limiter allows an initial burst), and
   the busiest one-second window.
2. Without a limit (rate 10⁶): sends/s through the whole outbox (claim, send, record), next to the same sender
   driven directly with the same concurrency, and the difference as overhead per message.
The fake server runs in its own process on 127.0.0.1 (so its CPU is not charged to the sender); outbox rates
are measured from the `finished_at` of the sent rows. The database is a fresh SQLite file unless
--database-url is given (an empty PostgreSQL database: the benchmark creates its tables and rows there).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

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
import asyncio
from tests.support.fake_telegram import FakeTelegram

async def main() -> None:
    fake = FakeTelegram()
    await fake.start()
    print(fake.port, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""
TEXT = "Thông báo: thứ Bảy này từ 8:00 đến 11:00, trụ sở phường hỗ trợ đăng ký định danh điện tử mức 2."


@contextmanager
def fake_server() -> Iterator[str]:
    """The fake Bot API server in a child process; yields its API URL."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    child = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        yield f"http://127.0.0.1:{int(child.stdout.readline())}/bot"
    finally:
        child.terminate()
        child.wait(10)


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


async def through_outbox(troly: Troly, count: int, prefix: str) -> list[float]:
    """Queue `count` subscribers and deliver with one worker; the sent rows' finishing times (epoch seconds)."""
    add_residents(troly, "22-MC", count, channel="telegram", prefix=prefix)
    number = queue(troly, "22-MC")
    senders = make_senders(troly)
    worker = DeliveryWorker(troly.database, senders, troly.policies, DeliveryOptions.from_settings(troly.settings))
    await worker.run(asyncio.Event(), exit_when_idle=True)
    for sender in senders.values():
        await sender.aclose()
    with troly.database.transaction() as session:
        query = select(OutboxItem.finished_at).where(
            OutboxItem.announcement_id == number, OutboxItem.state == OutboxState.SENT
        )
        finished = [moment.timestamp() for moment in session.scalars(query) if moment is not None]
    if len(finished) != count:
        raise RuntimeError(f"only {len(finished)} of {count} sent")
    return sorted(finished)


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
    with fake_server() as api_url, tempfile.TemporaryDirectory(prefix="troly-bench-") as tmp:
        troly = make_app(api_url, args.rate, args.database_url or f"sqlite:///{tmp}/limited.db", Path(tmp))
        count = int(args.rate * args.seconds)
        times = await through_outbox(troly, count, "1")
        troly.close()
        steady = [moment for moment in times if moment >= times[0] + 1.0]
        print(
            f"rate-limited: {count} sends at TROLY_TELEGRAM_RATE={args.rate:g}: {rate_of(times):.2f} sends/s "
            f"= {rate_of(times) / args.rate:.3f} of the limit; after the first second {rate_of(steady):.2f} "
            f"sends/s = {rate_of(steady) / args.rate:.3f}; busiest one-second window: {busiest_second(times)} sends"
        )
        free_url = args.database_url or f"sqlite:///{tmp}/free.db"
        troly = make_app(api_url, 1_000_000, free_url, Path(tmp))
        concurrency = troly.settings.delivery_concurrency
        outbox_rate = rate_of(await through_outbox(troly, args.unlimited, "2"))
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
