"""Where the synchronous core runs while an async server waits: a thread of the server, or worker processes.

`Troly.handle` does database work and CPU-bound retrieval. In a thread it shares the server's GIL with the
event loop, which then waits for its turn at every socket read and write: one process tops out near one core
(about 130 Telegram updates/s on the 2-core reference machine, bench/telegram_webhook.py). With
`TROLY_CORE_WORKERS=N`, N worker processes run the core beside the server's event loop, each with its own
`Troly` built from the same settings (plugins, database engine, search index). Nothing else changes: each
message id is still claimed in the database in the same transaction as its effects, so exactly-once holds
across processes, and SQLite writers of all processes queue on one lock file (bot.storage.writer_lock).
The server process keeps everything that is per channel: webhooks, rate limiters, per-user ordering, tokens.

The pool is small and hand-made rather than a ProcessPoolExecutor: the executor's manager and feeder threads
compete with the event loop for the server's GIL (a third of the server's time went to waiting for it), and
a dead worker breaks the whole executor. Here the event loop reads the workers' pipes itself, and a dead
worker is replaced alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from bot import texts
from bot.alerts import alerts
from bot.app import Troly
from bot.failures import InfrastructureFailure
from bot.messages import Inbound, Outbound
from bot.metrics import Metrics
from bot.services import ServiceKey
from bot.settings import Settings
from bot.worker_process import CITIZENS, STOP_GRACE, WorkerDied, WorkerProcess, WorkerRole

log = logging.getLogger(__name__)

READY_TIMEOUT = 300.0  # seconds a worker may take to start: imports, plugins and loading the search index
QUEUE_PER_WORKER = 32  # messages handed to one worker ahead of its replies; more wait here (pipes stay small)


class CoreRunner(Protocol):
    """Runs `Troly.handle` off the event loop; InfrastructureFailure passes through, as from `Troly.handle`."""

    async def handle(self, inbound: Inbound) -> list[Outbound]: ...

    def ready(self) -> bool:
        """Whether a message handed over now would be handled (for /readyz)."""
        ...

    async def aclose(self, grace: float = STOP_GRACE) -> None: ...


# Where `troly serve` keeps its runner; channel adapters hand every inbound message to it.
CORE_RUNNER: ServiceKey[CoreRunner] = ServiceKey("core.runner")


class ThreadRunner:
    """The core in a worker thread of this process (TROLY_CORE_WORKERS=0): least memory, one core at most."""

    def __init__(self, troly: Troly) -> None:
        self.troly = troly

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        return await asyncio.to_thread(self.troly.handle, inbound)

    def ready(self) -> bool:
        return True

    async def aclose(self, grace: float = STOP_GRACE) -> None:
        """Nothing to release: the threads belong to the event loop's default executor."""


class ProcessRunner:
    """The core in `size` worker processes; each message goes to the worker with the fewest waiting.

    A worker that dies is replaced, and the messages it had not answered are handed to another worker once.
    That is safe because a message's claim commits with its effects: one whose transaction died with the
    worker is handled again; one that had committed is recognised as a duplicate, and its replies are lost
    with the worker (the one case where a user gets no answer; the log says so).
    """

    def __init__(
        self,
        settings: Settings,
        size: int,
        metrics: Metrics | None = None,
        role: WorkerRole = CITIZENS,
        on_restart: Callable[[str], object] | None = None,
    ) -> None:
        self.settings = settings
        self.size = size
        self.metrics = metrics or Metrics()  # the workers' counts are added here (bot/metrics.py)
        self.role = role
        self.on_restart = on_restart  # called in a thread with what happened: the operators' alert
        self.workers: list[WorkerProcess] = []
        self._slots = asyncio.Semaphore(size * QUEUE_PER_WORKER)
        self._someone_ready = asyncio.Event()
        self._spawned = 0
        self._closing = False
        self._replacements: set[asyncio.Task[None]] = set()
        self._alerts: set[asyncio.Future[object]] = set()

    async def start(self) -> None:
        """Start every worker and wait until each has built its app, so the first messages wait for nothing."""
        started = await asyncio.gather(*(self._spawn() for _ in range(self.size)), return_exceptions=True)
        for worker in started:
            if isinstance(worker, WorkerProcess):
                self._add(worker)
        failure = next((error for error in started if isinstance(error, BaseException)), None)
        if failure is not None:
            await self.aclose()
            raise failure
        log.info("core workers ready (pids %s)", ", ".join(str(worker.pid) for worker in self.workers))

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        async with self._slots:
            for attempt in (1, 2):
                worker = await self._least_busy()
                try:
                    return await worker.submit(inbound)
                except (WorkerDied, OSError) as error:
                    log.error("message %s (attempt %d): %s", inbound.message_id or "-", attempt, error)
                    self._on_dead(worker)
        # Two workers died on this message: it kills whoever handles it, and a redelivery would do the same.
        return [Outbound(texts.APOLOGY)]

    def ready(self) -> bool:
        return bool(self.workers) and not self._closing

    async def aclose(self, grace: float = STOP_GRACE) -> None:
        """Stop every worker once it has answered what it was given (the server stops taking requests first);
        a worker still busy after `grace` seconds is killed."""
        self._closing = True
        self._someone_ready.set()  # a message waiting for a replacement worker gives up instead of hanging
        for task in list(self._replacements):
            task.cancel()
        workers = list(self.workers)
        await asyncio.gather(*(worker.stop(grace) for worker in workers))  # replies keep arriving meanwhile
        for worker in workers:
            self._remove(worker)
            worker.connection.close()

    async def _least_busy(self) -> WorkerProcess:
        while not self.workers:
            if self._closing:
                raise InfrastructureFailure("the core workers are stopping")
            self._someone_ready.clear()
            await self._someone_ready.wait()
        return min(self.workers, key=lambda worker: len(worker.waiting))

    async def _spawn(self) -> WorkerProcess:
        self._spawned += 1
        name = f"{self.role.name}-{self._spawned}"
        return await WorkerProcess.spawn(self.settings, name, READY_TIMEOUT, self.metrics.apply, self.role)

    def _add(self, worker: WorkerProcess) -> None:
        asyncio.get_running_loop().add_reader(worker.connection.fileno(), self._on_readable, worker)
        self.workers.append(worker)
        self._someone_ready.set()

    def _remove(self, worker: WorkerProcess) -> None:
        if worker in self.workers:
            self.workers.remove(worker)
            asyncio.get_running_loop().remove_reader(worker.connection.fileno())
        worker.abandon()

    def _on_readable(self, worker: WorkerProcess) -> None:
        if not worker.read_replies():
            self._on_dead(worker)

    def _on_dead(self, worker: WorkerProcess) -> None:
        """Take a dead worker out (once) and, unless the server is stopping, start its replacement."""
        if worker not in self.workers:
            return
        self._remove(worker)
        if self._closing:
            return
        log.error("core worker pid %s ended (exit code %s); starting a new one", worker.pid, worker.process.exitcode)
        self.metrics.count("troly_core_worker_restarts_total")
        if self.on_restart is not None:
            what = f"pid {worker.pid}, exit code {worker.process.exitcode}"
            alert = asyncio.ensure_future(asyncio.to_thread(self.on_restart, what))
            self._alerts.add(alert)
            alert.add_done_callback(self._alerts.discard)
        task = asyncio.create_task(self._replace(worker), name="core-worker-replace")
        self._replacements.add(task)
        task.add_done_callback(self._replacements.discard)

    async def _replace(self, dead: WorkerProcess) -> None:
        await dead.stop()
        dead.connection.close()
        delay = 1.0
        while not self._closing:
            try:
                self._add(await self._spawn())
                return
            except RuntimeError as error:
                log.error("%s; trying again in %.0f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)


async def start_runner(troly: Troly) -> CoreRunner:
    """Prepare the app here first (plugins' `prepare`: the search index is built once, not by every worker at
    the same time), then start the runner TROLY_CORE_WORKERS asks for."""
    await asyncio.to_thread(troly.prepare)
    size = troly.settings.core_workers
    if size == 0:
        return ThreadRunner(troly)
    runner = ProcessRunner(
        troly.settings, size, troly.metrics, on_restart=lambda what: alert_worker_restarted(troly, what)
    )
    await runner.start()
    return runner


def alert_worker_restarted(troly: Troly, what: str) -> None:
    """The operators' alert (bot/alerts.py) when a core worker, of either lane, died and is being replaced."""
    text = (
        f"Một tiến trình lõi của troly serve đã dừng bất thường ({what}) và đang được khởi động lại; tin nhắn "
        "đang xử lý dở được xử lý lại một lần. Nếu lặp lại nhiều lần, xem nhật ký (thiếu bộ nhớ, lỗi cơ sở dữ liệu)."
    )
    alerts(troly).raise_alert("core.worker_restarted", text, {"what": what})
