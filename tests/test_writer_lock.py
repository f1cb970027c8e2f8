"""SQLite writers queue on one lock across threads and processes (bot.storage.writer_lock)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

from bot.storage.db import Database
from bot.storage.writer_lock import WriterLock

HOLD = 0.6


def hold_lock(path: Path, holding: multiprocessing.synchronize.Event) -> None:
    with WriterLock(path):
        holding.set()
        time.sleep(HOLD)


def test_a_writer_of_another_process_waits_for_the_holder(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    holding = context.Event()
    lock_path = tmp_path / "troly.db.lock"
    holder = context.Process(target=hold_lock, args=(lock_path, holding))
    holder.start()
    assert holding.wait(60)
    started = time.monotonic()
    with WriterLock(lock_path):
        waited = time.monotonic() - started
    holder.join(10)
    assert waited >= HOLD * 0.5  # it queued behind the other process instead of writing at once


def test_threads_queue_and_one_thread_may_reenter(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path / "troly.db.lock")
    order: list[str] = []
    with lock, lock:  # re-entrant: a nested transaction of the same thread does not deadlock
        other = threading.Thread(target=lambda: _record(lock, order))
        other.start()
        time.sleep(0.2)
        order.append("first done")
    other.join(5)
    assert order == ["first done", "second"]
    lock.close()


def _record(lock: WriterLock, order: list[str]) -> None:
    with lock:
        order.append("second")


def test_a_sqlite_database_locks_a_file_beside_it_and_memory_needs_none(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'data.db'}")
    with database.transaction():
        assert (tmp_path / "data.db.lock").exists()
    database.dispose()
    memory = Database("sqlite://")
    with memory.transaction():
        pass
    memory.dispose()
    assert {path.name for path in tmp_path.glob("*.lock")} == {"data.db.lock"}  # none for the in-memory one
