"""A redelivery that arrives while the first delivery is still being handled is processed once, on both databases.

Channels hand the core their own message id (Telegram: the update id); the core claims it in the same
transaction as the handler's effects. SQLite serialises writers (BEGIN IMMEDIATE), so the second delivery
waits and then sees the claim; PostgreSQL blocks the second insert of the same key until the first commits,
then reports a unique violation, which the core takes as a duplicate.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bot.app import Troly
from bot.context import Context, Reply
from bot.storage.models import AuditLog
from tests.helpers import inbound


def test_concurrent_redelivery_runs_the_handler_once(app: Troly) -> None:
    started = threading.Event()
    runs: list[str] = []

    def slow(ctx: Context) -> Reply:
        runs.append(ctx.inbound.message_id)
        ctx.audit("slow.ran", ctx.inbound.message_id)
        started.set()
        time.sleep(0.4)  # the redelivery arrives while this transaction is still open
        return "xong"

    app.router.command("cham", slow, description="Lệnh chậm để thử")
    message = inbound("/cham", channel="telegram", user="900", message_id="update-77")
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(app.handle, message)
        assert started.wait(5)
        second = pool.submit(app.handle, message)
        replies = [first.result(10), second.result(10)]
    assert [len(r) for r in replies] == [1, 0]
    assert runs == ["update-77"]
    with app.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "slow.ran")) == 1
