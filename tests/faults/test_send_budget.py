"""The shared send budget itself: several processes' budgets on one database stay within the channel's rate.

Each "process" here is a SendBudget with its own event loop in its own thread and its own database engine,
like separate `troly serve` and `troly deliver` processes; the multi-process test with real processes is
test_send_budget_processes.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from bot.app import open_database
from bot.sendbudget import BudgetClosed, Limits, SendBudget
from bot.settings import Settings
from tests.faults.timeline import busiest_second


@pytest.fixture
def database_for(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Callable[[], object]]:
    """A new database handle (engine) per simulated process, all on the same database."""
    opened = []

    def open_one() -> object:
        database = open_database(make_settings(database_url=database_url), migrate=not opened)
        opened.append(database)
        return database

    yield open_one
    for database in opened:
        database.dispose()


def run_process(database: object, limits: Limits, work: Callable[[SendBudget], object]) -> threading.Thread:
    def main() -> None:
        async def go() -> None:
            budget = SendBudget(database, "telegram", limits)  # type: ignore[arg-type]
            try:
                await work(budget)  # type: ignore[misc]
            finally:
                await budget.aclose()

        asyncio.run(go())

    thread = threading.Thread(target=main)
    thread.start()
    return thread


def test_three_processes_together_stay_within_the_rate(database_for: Callable[[], object]) -> None:
    rate, per_process = 10.0, 12
    sent: list[float] = []
    lock = threading.Lock()

    async def send_many(budget: SendBudget, bulk: bool) -> None:
        async def one(n: int) -> None:
            assert await budget.acquire(f"chat-{id(budget)}-{n}", bulk=bulk) == 0.0
            with lock:
                sent.append(time.monotonic())

        await asyncio.gather(*(one(n) for n in range(per_process)))

    databases = [database_for() for _ in range(3)]
    threads = [
        run_process(database, Limits(rate=rate), lambda budget, bulk=bulk: send_many(budget, bulk))
        for database, bulk in zip(databases, (False, True, True), strict=True)
    ]
    for thread in threads:
        thread.join(60)
    assert len(sent) == 3 * per_process
    assert busiest_second(sent) <= rate
    assert max(sent) - min(sent) < 3 * per_process / rate * 1.5  # and the budget is used, not wasted


def test_one_chat_gets_a_burst_then_one_message_a_second_across_processes(
    database_for: Callable[[], object],
) -> None:
    limits = Limits(rate=100.0, chat_rate=1.0, chat_burst=3)
    sent: list[float] = []
    lock = threading.Lock()

    async def to_the_same_chat(budget: SendBudget) -> None:
        async def one() -> None:
            assert await budget.acquire("42") == 0.0
            with lock:
                sent.append(time.monotonic())

        await asyncio.gather(*(one() for _ in range(3)))

    threads = [run_process(database_for(), limits, to_the_same_chat) for _ in range(2)]
    for thread in threads:
        thread.join(60)
    sent.sort()
    assert len(sent) == 6
    assert sent[2] - sent[0] < 0.5  # the burst of three
    after_first = [round(moment - sent[0], 3) for moment in sent]
    assert all(after_first[n] >= n - 2 - 0.1 for n in range(3, 6)), after_first  # then about one a second


async def test_a_pause_from_one_process_holds_every_process(database_for: Callable[[], object]) -> None:
    limits = Limits(rate=50.0)
    first = SendBudget(database_for(), "telegram", limits)  # type: ignore[arg-type]
    second = SendBudget(database_for(), "telegram", limits)  # type: ignore[arg-type]
    try:
        await first.pause(1.0)
        assert 0.8 < await second.acquire("7", bulk=True) <= 1.0  # bulk: told to come back, nothing held
        started = time.monotonic()
        assert await second.acquire("7") == 0.0  # a reply waits the pause out
        assert 0.7 < time.monotonic() - started < 2.0
    finally:
        await first.aclose()
        await second.aclose()


async def test_replies_in_one_process_go_before_bulk_sends_of_another(database_for: Callable[[], object]) -> None:
    limits = Limits(rate=10.0)
    deliverer = SendBudget(database_for(), "telegram", limits)  # type: ignore[arg-type]
    server = SendBudget(database_for(), "telegram", limits)  # type: ignore[arg-type]
    order: list[tuple[str, float]] = []

    async def send(budget: SendBudget, name: str, bulk: bool) -> None:
        assert await budget.acquire(name, bulk=bulk) == 0.0
        order.append((name, time.monotonic()))

    try:
        bulk = [asyncio.create_task(send(deliverer, f"bulk{n}", True)) for n in range(10)]
        await asyncio.sleep(0.2)
        asked = time.monotonic()
        replies = [asyncio.create_task(send(server, f"reply{n}", False)) for n in range(4)]
        await asyncio.gather(*bulk, *replies)
    finally:
        await deliverer.aclose()
        await server.aclose()
    last_reply = max(at for name, at in order if name.startswith("reply"))
    overtaken = [name for name, at in order if name.startswith("bulk") and asked < at < last_reply]
    # Only the bulk slots already handed out (0.25 s ahead, about 3 at this rate) may go between the replies.
    assert len(overtaken) <= 4, order
    assert sum(1 for name, at in order if name.startswith("bulk") and at > last_reply) >= 3  # the rest waited


async def test_closing_releases_every_waiting_send(database_for: Callable[[], object]) -> None:
    budget = SendBudget(database_for(), "telegram", Limits(rate=2.0))  # type: ignore[arg-type]
    waiting = [asyncio.create_task(budget.acquire(f"c{n}")) for n in range(6)]
    await asyncio.sleep(0.3)
    budget.close()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert sum(isinstance(result, BudgetClosed) for result in results) >= 4
    with pytest.raises(BudgetClosed):
        await budget.acquire("late")
    await budget.aclose()


def test_per_chat_rows_that_no_longer_limit_anything_are_pruned(database_for: Callable[[], object]) -> None:
    from bot.storage import budget as store

    database = database_for()
    rules = Limits(rate=100.0, chat_rate=1.0, chat_burst=3).rules()
    store.claim(database, "telegram", [store.Ask("old", False), store.Ask("new", False)], rules)  # type: ignore[arg-type]
    with database.core_transaction() as connection:  # type: ignore[attr-defined]
        connection.exec_driver_sql("UPDATE send_budget_chats SET next_at = next_at - 3600 WHERE chat_id = 'old'")
    assert store.prune(database, "telegram") == 1  # type: ignore[arg-type]
    with database.core_transaction() as connection:  # type: ignore[attr-defined]
        assert [row[0] for row in connection.exec_driver_sql("SELECT chat_id FROM send_budget_chats")] == ["new"]
