"""One core worker process and the server's end of the pipe to it (used by bot.workers.ProcessRunner).

The protocol is a duplex pipe of pickled objects: the worker sends `READY` once its app is built, then
answers each `Inbound` with the `list[Outbound]` of `Troly.handle` (or `HandleFailed` when the database or the
disk failed: the server then raises InfrastructureFailure, as `Troly.handle` would have) and the metric events
recorded meanwhile (bot/metrics.py), in order; `None` asks it to stop. The server reads the pipe from its event
loop (`add_reader`), so no thread of the server waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from bot import texts
from bot.app import Troly, create_app
from bot.failures import HandleFailed, InfrastructureFailure
from bot.logs import configure_logging
from bot.messages import Inbound, Outbound
from bot.metrics import Event
from bot.priority import lower_priority
from bot.settings import Settings

log = logging.getLogger(__name__)

READY = "ready"
STOP_GRACE = 4.0  # seconds a worker gets to finish the message it is handling before it is killed


MetricsSink = Callable[[list[Event]], None]


@dataclass(frozen=True, slots=True)
class WorkerRole:
    """What a core worker is for: citizens' messages (the default), or the reports lane (bot.lanes)."""

    name: str = "troly-core"
    prepare: bool = True  # run the plugins' `prepare` (the search index); the reports lane answers no free text
    nice: int = 0  # added CPU niceness: the reports lane yields the processor to citizens' replies


CITIZENS = WorkerRole()


def settle_heap() -> None:
    """Move what start-up built (the app, the search index: millions of objects that live as long as the
    process) out of the garbage collector's sight. Each full collection walked them all again: measured, a
    province's /baocao took 280-310 ms instead of 185 whenever one fell inside it (gc.freeze, as servers that
    fork do)."""
    gc.collect()
    gc.freeze()


class WorkerDied(Exception):
    """The worker process ended while messages it had been given were unanswered."""


class WorkerProcess:
    """A spawned worker, the messages sent to it that await replies (it answers in order), and its pipe."""

    def __init__(self, process: BaseProcess, connection: Connection, on_metrics: MetricsSink | None = None) -> None:
        self.process = process
        self.connection = connection
        self.on_metrics = on_metrics
        self.waiting: deque[asyncio.Future[list[Outbound]]] = deque()
        self.alive = True

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @classmethod
    async def spawn(
        cls,
        settings: Settings,
        name: str,
        ready_timeout: float,
        on_metrics: MetricsSink | None = None,
        role: WorkerRole = CITIZENS,
    ) -> WorkerProcess:
        """Start a worker and wait until it has built its app; RuntimeError if it dies or takes too long."""
        context = multiprocessing.get_context("spawn")  # never fork a process that runs threads and a loop
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(target=serve, args=(settings, theirs, role), name=name, daemon=True)
        await asyncio.to_thread(process.start)
        theirs.close()
        worker = cls(process, ours, on_metrics)
        try:
            if not await asyncio.to_thread(ours.poll, ready_timeout):
                raise RuntimeError(f"core worker {name} did not start within {ready_timeout:.0f} s")
            try:
                ours.recv()  # READY
            except (EOFError, OSError):
                raise RuntimeError(f"core worker {name} failed to start; its log above says why") from None
        except BaseException:
            await worker.stop()
            ours.close()
            raise
        return worker

    def submit(self, inbound: Inbound) -> asyncio.Future[list[Outbound]]:
        future: asyncio.Future[list[Outbound]] = asyncio.get_running_loop().create_future()
        self.connection.send(inbound)
        self.waiting.append(future)
        return future

    def read_replies(self) -> bool:
        """Hand every reply that has arrived to its waiting message; False once the worker is gone."""
        try:
            while self.connection.poll():
                replies, events = self.connection.recv()
                if self.on_metrics is not None:
                    self.on_metrics(events)
                future = self.waiting.popleft()
                if future.done():
                    continue
                if isinstance(replies, HandleFailed):
                    future.set_exception(InfrastructureFailure(replies.reason))
                else:
                    future.set_result(replies)
        except (EOFError, OSError):
            self.abandon()
        return self.alive

    def abandon(self) -> None:
        """Give up on the worker: every message still waiting for it fails with WorkerDied."""
        self.alive = False
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(WorkerDied(f"core worker {self.process.name} (pid {self.pid}) ended"))

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Ask the worker to finish what it was given and end; kill it if it does not end within `grace`."""
        with contextlib.suppress(OSError):  # already gone
            self.connection.send(None)
        await asyncio.to_thread(self.process.join, grace)
        if self.process.is_alive():
            log.warning("core worker %s did not stop in %.1f s; killing it", self.process.name, grace)
            self.process.kill()
            await asyncio.to_thread(self.process.join)


def serve(settings: Settings, connection: Connection, role: WorkerRole = CITIZENS) -> None:
    """The worker's main: build the app, then answer messages until asked to stop or the server is gone.

    Ctrl-C and SIGTERM are left to the server, which stops its workers once in-flight messages are answered.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    configure_logging(settings)
    if role.nice:
        lower_priority(role.nice)
    troly = create_app(settings, migrate=False)  # the server migrated before starting its workers
    troly.metrics.ship()  # counted here, exposed by the server
    if role.prepare:
        troly.prepare()
    settle_heap()
    connection.send(READY)
    try:
        while True:
            try:
                inbound = connection.recv()
            except EOFError:  # the server is gone
                return
            if inbound is None:
                return
            replies = _handle(troly, inbound)
            connection.send((replies, troly.metrics.drain()))
    finally:
        troly.close()
        _exit_now()


def _handle(troly: Troly, inbound: Inbound) -> list[Outbound] | HandleFailed:
    """`Troly.handle`, with whatever escapes it turned into an answer: a worker never dies of one message."""
    try:
        return troly.handle(inbound)
    except InfrastructureFailure as error:
        return HandleFailed(str(error))
    except Exception:
        log.exception("core worker: message %s failed outside the handler's guard", inbound.message_id or "-")
        return [Outbound(texts.APOLOGY)]


def _exit_now() -> None:
    """End the worker without the interpreter's teardown: freeing the search index's millions of objects took
    seconds of a stopping server's ten, and a worker has nothing left to flush but its log."""
    logging.shutdown()
    os._exit(0)
