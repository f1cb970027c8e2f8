"""Where the synchronous core runs while an async server waits: a thread of the server, or worker processes.

`Troly.handle` does database work and CPU-bound retrieval. In a thread it shares the server's GIL with the
event loop, which then waits for its turn at every socket read and write: one process tops out near one core
(about 130 Telegram updates/s on the 2-core reference machine, bench/telegram_webhook.py). With
`TROLY_CORE_WORKERS=N`, N worker processes run the core beside the server's event loop, each with its own
`Troly` built from the same settings (plugins, database engine, search index). Nothing else changes: each
message id is still claimed in the database in the same transaction as its effects, so exactly-once holds
across processes, and SQLite writers of all processes queue on one lock file (bot.storage.writer_lock).
The server process keeps everything that is per channel: webhooks, rate limiters, per-user ordering, tokens.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.synchronize
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from bot import texts
from bot.app import Troly, create_app
from bot.logs import configure_logging
from bot.messages import Inbound, Outbound
from bot.services import ServiceKey
from bot.settings import Settings

log = logging.getLogger(__name__)

READY_TIMEOUT = 300.0  # seconds for every worker to start: imports, plugins and loading the search index


class CoreRunner(Protocol):
    """Runs `Troly.handle` off the event loop."""

    async def handle(self, inbound: Inbound) -> list[Outbound]: ...

    async def aclose(self) -> None: ...


# Where `troly serve` keeps its runner; channel adapters hand every inbound message to it.
CORE_RUNNER: ServiceKey[CoreRunner] = ServiceKey("core.runner")


class ThreadRunner:
    """The core in a worker thread of this process (TROLY_CORE_WORKERS=0): least memory, one core at most."""

    def __init__(self, troly: Troly) -> None:
        self.troly = troly

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        return await asyncio.to_thread(self.troly.handle, inbound)

    async def aclose(self) -> None:
        """Nothing to release: the threads belong to the event loop's default executor."""


class ProcessRunner:
    """The core in `workers` spawned processes. A pool whose worker died is replaced, and the message retried.

    A retry is safe because the message's claim commits with its effects: a message whose transaction died
    with the worker is handled again, one that had committed is recognised as a duplicate (its replies are
    then lost with the worker, which is the one case where a user gets no answer; the log says so).
    """

    def __init__(self, settings: Settings, workers: int) -> None:
        self.settings = settings
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._replacing = asyncio.Lock()

    async def start(self) -> None:
        """Spawn every worker and wait until each has built its app, so the first messages wait for nothing."""
        self._pool = await self._spawn()

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        for attempt in (1, 2):
            pool = self._running_pool()
            try:
                return await asyncio.wrap_future(pool.submit(_handle, inbound))
            except BrokenProcessPool:
                log.error("a core worker process died (attempt %d for message %s)", attempt, inbound.message_id)
                await self._replace(pool)
        return [Outbound(texts.APOLOGY)]

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True)  # messages being handled are finished first

    async def _spawn(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")  # never fork a process that runs threads and a loop
        everyone_ready = context.Barrier(self.workers)
        pool = ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_start_worker, initargs=(self.settings, everyone_ready)
        )
        try:  # N tasks that each wait for the others occupy N distinct workers, all of them started
            pids = await asyncio.gather(*(asyncio.wrap_future(pool.submit(_ready)) for _ in range(self.workers)))
        except BrokenProcessPool as error:
            pool.shutdown(wait=False, cancel_futures=True)
            raise RuntimeError("core worker processes failed to start; their log above says why") from error
        log.info("core workers ready: %d processes (pids %s)", len(pids), ", ".join(map(str, sorted(pids))))
        return pool

    async def _replace(self, broken: ProcessPoolExecutor) -> None:
        async with self._replacing:
            if self._pool is not broken:
                return  # another message already replaced it
            broken.shutdown(wait=False, cancel_futures=True)
            self._pool = await self._spawn()

    def _running_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            raise RuntimeError("the core workers are not running")
        return self._pool


async def start_runner(troly: Troly) -> CoreRunner:
    workers = troly.settings.core_workers
    if workers == 0:
        return ThreadRunner(troly)
    runner = ProcessRunner(troly.settings, workers)
    await runner.start()
    return runner


# Inside a worker process: its app, built once by the pool's initializer. A module-level name is how a
# ProcessPoolExecutor task reaches state of its process; the process itself is the scope.
_worker_app: Troly | None = None
_worker_barrier: multiprocessing.synchronize.Barrier | None = None


def _start_worker(settings: Settings, everyone_ready: multiprocessing.synchronize.Barrier) -> None:
    """Build this worker's app. Signals go to the server, which shuts the pool down in order."""
    global _worker_app, _worker_barrier
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    configure_logging(settings)
    _worker_app = create_app(settings, migrate=False)  # the server migrated before starting the pool
    _worker_app.prepare()
    _worker_barrier = everyone_ready


def _ready() -> int:
    if _worker_barrier is None:
        raise RuntimeError("worker not initialised")
    _worker_barrier.wait(READY_TIMEOUT)
    return os.getpid()


def _handle(inbound: Inbound) -> list[Outbound]:
    if _worker_app is None:
        raise RuntimeError("worker not initialised")
    return _worker_app.handle(inbound)
