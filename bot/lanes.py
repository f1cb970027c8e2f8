"""Two lanes through the core: citizens' messages, and read-only commands (reports, exports) with workers of their own.

Measured before this (issue 17): one province-wide /baocao made every citizen's reply wait behind it, for
seconds, because it ran in the same core worker and, on SQLite, inside the one write transaction. Now the
server sends a message that invokes a read-only command (bot.router `read_only=True`) to the reports lane:
its own worker process (a thread with TROLY_CORE_WORKERS=0), where `Troly.handle` runs it in a read-only
session without the writer lock. Citizens' messages never queue behind it.

When a report takes longer than `NOTICE_AFTER`, the lane tells the user it is being prepared (through the
channel's sender) and the result follows when ready, on the same request: the message is still recorded only
with its result, so a crash before that leaves the channel's redelivery to try again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING

from bot import texts
from bot.messages import Inbound, Outbound
from bot.senders import SENDERS
from bot.worker_process import STOP_GRACE, WorkerRole
from bot.workers import CoreRunner, ProcessRunner, alert_worker_restarted, start_runner

if TYPE_CHECKING:
    from bot.app import Troly

log = logging.getLogger(__name__)

NOTICE_AFTER = 1.0  # seconds a read-only command may take before the user is told it is being prepared
REPORTS_NICE = 10  # a report yields the CPU to citizens' replies (on 2 cores it otherwise takes one whole)
REPORTS = WorkerRole(name="troly-reports", prepare=False, nice=REPORTS_NICE)


class LaneRunner:
    """A CoreRunner that sends read-only commands to `reports` and everything else to `citizens`."""

    def __init__(self, troly: Troly, citizens: CoreRunner, reports: CoreRunner) -> None:
        self.troly = troly
        self.citizens = citizens
        self.reports = reports
        self.notice_after = NOTICE_AFTER

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        if self.troly.read_only_command(inbound) is None:
            return await self.citizens.handle(inbound)
        result = asyncio.ensure_future(self.reports.handle(inbound))
        try:
            return await asyncio.wait_for(asyncio.shield(result), self.notice_after)
        except TimeoutError:
            await self._notice(inbound)
            return await result

    def ready(self) -> bool:
        return self.citizens.ready() and self.reports.ready()

    async def aclose(self, grace: float = STOP_GRACE) -> None:
        await asyncio.gather(self.citizens.aclose(grace), self.reports.aclose(grace))

    async def _notice(self, inbound: Inbound) -> None:
        """ "Đang tổng hợp…" now, through the channel's sender (none in the console: the result just follows)."""
        senders = self.troly[SENDERS] if SENDERS in self.troly else {}  # noqa: SIM401 - Troly is not a Mapping
        sender = senders.get(inbound.channel)
        if sender is None:
            return
        try:
            await sender.send(inbound.chat_id, Outbound(texts.PREPARING))
        except Exception:  # the result still follows; a lost notice is not worth failing the report for
            log.warning("could not send the 'preparing' notice for message %s", inbound.message_id or "-")


class ReportThreadRunner:
    """The reports lane of a server without core worker processes: one thread of its own (so the default
    executor's threads stay free for citizens), reports one after another."""

    def __init__(self, troly: Troly) -> None:
        self.troly = troly
        self.executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="troly-reports", initializer=_lower_thread_priority
        )

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.troly.handle, inbound)

    def ready(self) -> bool:
        return True

    async def aclose(self, grace: float = STOP_GRACE) -> None:
        """Waits for the report being written (a thread cannot be killed); `grace` is for the protocol."""
        await asyncio.to_thread(self.executor.shutdown, wait=True)


def _lower_thread_priority() -> None:
    """Linux schedules threads one by one: the reports thread can yield the CPU as the reports process does."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + REPORTS_NICE)
    except (OSError, AttributeError):
        log.debug("cannot lower the reports thread's priority here")


async def start_lanes(troly: Troly) -> CoreRunner:
    """The citizens' runner TROLY_CORE_WORKERS asks for (bot.workers.start_runner) and the reports lane beside
    it: one more worker process, which skips the plugins' `prepare` (it answers no free text) and runs at a
    lower CPU priority. That process starts with the first report (OnDemandRunner)."""
    citizens = await start_runner(troly)
    if not any(command.read_only for command in troly.router.commands.values()):
        return citizens  # no plugin has a report: no lane to keep apart
    if troly.settings.core_workers == 0:
        return LaneRunner(troly, citizens, ReportThreadRunner(troly))
    return LaneRunner(troly, citizens, OnDemandRunner(lambda: _reports_runner(troly)))


def _reports_runner(troly: Troly) -> ProcessRunner:
    """The reports lane's one worker; operators are alerted when it dies, as for the citizens' workers."""
    return ProcessRunner(troly.settings, 1, troly.metrics, REPORTS, on_restart=partial(alert_worker_restarted, troly))


class OnDemandRunner:
    """A ProcessRunner started by the first message it is given, not with the server.

    Most hours of a citizens' assistant see no report, and a worker process costs about 90 MB (its imports and
    plugins, measured by bench/footprint.py): the reports lane spends it once an official first asks, and keeps
    it from then on. The wait of that first start (a few seconds) is covered by the "đang tổng hợp" notice.
    """

    def __init__(self, make: Callable[[], ProcessRunner]) -> None:
        self.make = make
        self.runner: ProcessRunner | None = None
        self._starting = asyncio.Lock()

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        return await (await self._started()).handle(inbound)

    def ready(self) -> bool:
        return self.runner is None or self.runner.ready()

    async def aclose(self, grace: float = STOP_GRACE) -> None:
        if self.runner is not None:
            await self.runner.aclose(grace)

    async def _started(self) -> ProcessRunner:
        async with self._starting:
            if self.runner is None:
                runner = self.make()
                await runner.start()
                self.runner = runner
            return self.runner
