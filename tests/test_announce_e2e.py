"""End to end with the real Telegram sender (python-telegram-bot) talking HTTP to the fake Bot API server.

The issue's "done when": 2,000 subscribers, `troly announce`, 429s and 403s injected by the server, the
`troly deliver` worker killed with SIGKILL midway and restarted; then every subscriber who did not block
the bot got the text exactly once apart from the sends reported uncertain, blocked users are marked, and
`troly announce status --json` matches what the server recorded. Also: the loop inside `troly serve`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from bot.app import create_app
from bot.settings import Settings
from bot.storage.models import User
from handlers.announcements.models import OutboxItem
from handlers.announcements.status import load_status
from tests.announce_helpers import add_residents, import_sample
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import serving, telegram_settings
from tests.test_announce_outbox import queue

ROOT = Path(__file__).resolve().parents[1]
SUBSCRIBERS = 2000
TEXT = "Cảnh báo: kẻ gian giả danh cán bộ gọi điện đề nghị «cập nhật VNeID». Không cung cấp mã OTP cho ai <bất kỳ>."


def _env(database_url: str, fake: FakeTelegram) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TROLY_DATABASE_URL": database_url,
        "TROLY_TELEGRAM_TOKEN": fake.token,
        "TROLY_TELEGRAM_API_URL": fake.api_url,
        "TROLY_TELEGRAM_RATE": "2000",
        "TROLY_DELIVERY_LEASE_SECONDS": "1.5",
        "TROLY_DELIVERY_POLL_SECONDS": "0.1",
        "TROLY_LOG_LEVEL": "WARNING",
    }


def _troly(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bot", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def _deliver(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bot", "deliver", "--exit-when-idle"]
    with log.open("ab") as sink:
        return subprocess.Popen(command, env=env, stdout=sink, stderr=sink)


def test_killed_worker_restarts_and_completes_exactly_once(
    make_settings: Callable[..., Settings], database_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(database_url=database_url))
    import_sample(app)
    chats = add_residents(app, "22-MC-K1", SUBSCRIBERS // 2, channel="telegram", prefix="10")
    chats += add_residents(app, "22-MC-K2", SUBSCRIBERS // 2, channel="telegram", prefix="20")
    add_residents(app, "22-UB", 50, channel="telegram", prefix="30")  # another ward: must receive nothing
    blocked = set(chats[7::97])  # ~20 users blocked the bot, spread over the run
    with FakeTelegram().in_thread() as fake:
        for chat in blocked:
            fake.block(chat)
        fake.rate_limit(retry_after=1, times=2)
        env = _env(database_url, fake)
        queued = _troly(env, "announce", "--area", "22-MC", "--text", TEXT)
        assert queued.returncode == 0, queued.stderr
        number = int(queued.stdout.strip().splitlines()[-1])

        log = tmp_path / "deliver.log"
        first = _deliver(env, log)
        deadline = time.monotonic() + 60
        while len(fake.sent()) < SUBSCRIBERS // 3 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.005)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        sent_at_kill = len(fake.sent())
        assert first.returncode == -signal.SIGKILL
        assert 0 < sent_at_kill < SUBSCRIBERS - len(blocked), "the kill did not happen midway"

        second = _deliver(env, log)
        assert second.wait(90) == 0, log.read_text(errors="replace")
        report = _troly(env, "announce", "status", str(number), "--json")
        assert report.returncode == 0, report.stderr
        status = json.loads(report.stdout)
        accepted = [call for call in fake.sent() if call.chat_id is not None]
        refusals = Counter(call.error_code for call in fake.calls("sendMessage") if not call.ok)

    received = Counter(call.chat_id for call in accepted)
    assert set(fake.plain_texts()) == {TEXT}
    reachable = set(chats) - blocked
    assert set(received) == reachable, "a subscriber was missed or a stranger was messaged"
    duplicates = {chat for chat, times in received.items() if times > 1}
    with app.database.transaction() as session:
        uncertain = set(session.scalars(select(User.chat_id).join(OutboxItem).where(OutboxItem.uncertain.is_(True))))
        marked = set(session.scalars(select(User.chat_id).where(User.blocked.is_(True))))
    assert duplicates <= uncertain, "a duplicate that was not reported as uncertain"
    assert status["uncertain"] == len(uncertain)
    assert marked == blocked
    assert refusals[429] == 2 and refusals[403] >= len(blocked)
    assert status["done"] is True
    assert status["states"] == {
        "queued": 0,
        "sending": 0,
        "sent": len(received),
        "failed": 0,
        "skipped": len(blocked),
    }
    assert status["channels"] == {"telegram": status["states"]}
    assert status["reasons"] == {"blocked": len(blocked)}
    assert sum(received.values()) - len(received) <= status["uncertain"]
    print(f"sent before kill {sent_at_kill}, uncertain {status['uncertain']}, duplicates {len(duplicates)}")
    app.close()


async def test_serve_runs_the_delivery_loop(make_settings: Callable[..., Settings], database_url: str) -> None:
    async with FakeTelegram() as fake:
        settings = telegram_settings(make_settings, fake, database_url=database_url, delivery_poll_seconds=0.05)
        troly = create_app(settings)
        import_sample(troly)
        chats = add_residents(troly, "31-HB", 40, channel="telegram", prefix="5")
        fake.block(chats[3])
        number = queue(troly, "31-HB")
        async with serving(troly):
            sent = await fake.wait_for("sendMessage", count=39, timeout=20)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with troly.database.transaction() as session:
                    status = load_status(session, number)
                assert status is not None
                if status.done:
                    break
                await asyncio.sleep(0.05)
        assert sorted(call.chat_id for call in sent) == sorted(set(chats) - {chats[3]})
        assert status.count("sent") == 39 and status.reasons == {"blocked": 1}
        troly.close()
