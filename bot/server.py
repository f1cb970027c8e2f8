"""`troly serve`: one aiohttp server for every channel's webhook, plus /healthz, /readyz and /metrics (Prometheus).

The core builds the application, the senders and the reply queue; each channel plugin adds its routes and
background tasks in `setup_web`, so the server knows nothing about Telegram or Zalo.

Stopping (SIGTERM or Ctrl-C) takes at most `SHUTDOWN_SECONDS`: the server stops listening and /readyz turns
503, every send budget closes (nothing more leaves), requests in flight get `REQUEST_DRAIN` seconds, and then
each part gets what is left of the deadline: the reply queue keeps what it could not send in the database,
for the next process to send (bot.replies), and the core workers finish the message they have.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import NoReturn

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.alerts import FailureSpike, alerts
from bot.app import Troly, create_app
from bot.floodgate import FloodGate, GatedRunner
from bot.health import routes as health_routes
from bot.httpguard import (
    BACKLOG,
    CONNECTIONS,
    SLOW_BODIES,
    ConnectionGuard,
    GuardedSite,
    SlowBodies,
    connection_limit,
)
from bot.lanes import start_lanes
from bot.metered import MeteredRunner, ServerCollector, meter_sender
from bot.plugins import hooks, make_senders
from bot.push_delivery import PushDelivery, PushOptions
from bot.replies import REPLIES, ReplyQueue
from bot.sendbudget import close_budgets
from bot.senders import SENDERS
from bot.settings import Settings
from bot.workers import CORE_RUNNER

log = logging.getLogger(__name__)

SHUTDOWN_SECONDS = 10.0
REQUEST_DRAIN = 2.0  # seconds requests in flight get to finish once the server stops listening
REPLY_GRACE = 1.5  # seconds replies in flight get to finish before the unsent are kept
WORKER_GRACE = 2.5  # seconds a core worker gets to finish its message
CLIENT_MAX_SIZE = 256 * 1024


@dataclass(frozen=True, slots=True)
class ServeOptions:
    polling: bool = False  # Telegram: use getUpdates instead of the webhook


class Shutdown:
    """Whether the server is stopping, and how much of the stopping deadline is left for each part."""

    def __init__(self, total: float = SHUTDOWN_SECONDS) -> None:
        self.total = total
        self.started: float | None = None

    @property
    def stopping(self) -> bool:
        return self.started is not None

    def begin(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def grace(self, wanted: float, reserve: float = 1.0) -> float:
        """`wanted` seconds, or less when the deadline (minus `reserve` for what follows) comes first."""
        if self.started is None:
            return wanted
        left = self.total - reserve - (time.monotonic() - self.started)
        return max(0.0, min(wanted, left))


TROLY = web.AppKey("troly", Troly)
SERVE_OPTIONS = web.AppKey("serve_options", ServeOptions)
SHUTDOWN = web.AppKey("shutdown", Shutdown)


def create_web_app(troly: Troly, options: ServeOptions | None = None) -> web.Application:
    """The aiohttp application: senders first (channels use them), then every plugin's routes."""
    guard = ConnectionGuard(connection_limit())
    app = web.Application(client_max_size=CLIENT_MAX_SIZE, middlewares=[guard.middleware])
    app[TROLY] = troly
    app[SERVE_OPTIONS] = options or ServeOptions()
    app[SHUTDOWN] = Shutdown()
    app[CONNECTIONS] = guard
    app[SLOW_BODIES] = SlowBodies()
    app.on_shutdown.append(_begin_stopping)
    app.cleanup_ctx.append(_core_ctx)
    app.cleanup_ctx.append(_senders_ctx)
    app.cleanup_ctx.append(_push_ctx)
    app.cleanup_ctx.append(_jobs_ctx)
    app.router.add_routes(health_routes(troly, lambda: app[SHUTDOWN].stopping))
    app.router.add_get("/metrics", metrics)
    troly.metrics.register_once("server", ServerCollector(troly))
    for setup_web in hooks(troly.plugins, "setup_web"):
        setup_web(troly, app)
    return app


async def _begin_stopping(app: web.Application) -> None:
    """First thing when stopping (before requests in flight are drained): not ready, and nothing more is sent."""
    app[SHUTDOWN].begin()
    close_budgets(app[TROLY])
    log.info("stopping: no longer ready; unsent replies will be kept for the next process")


async def _core_ctx(app: web.Application) -> AsyncIterator[None]:
    """The core's runners (citizens' and reports' lanes: threads or worker processes) behind the flood gate,
    ready before the server listens."""
    troly = app[TROLY]
    gate = FloodGate(troly.settings.user_burst, troly.settings.user_messages_per_minute)
    runner = MeteredRunner(GatedRunner(await start_lanes(troly), gate), troly.metrics)
    troly[CORE_RUNNER] = runner
    yield
    await runner.aclose(app[SHUTDOWN].grace(WORKER_GRACE, reserve=0.5))


async def _senders_ctx(app: web.Application) -> AsyncIterator[None]:
    """The channels' senders and the reply queue in front of them (what it keeps at a stop, the push outbox's
    delivery loop of the next process sends)."""
    troly = app[TROLY]
    senders = {channel: meter_sender(sender, troly.metrics) for channel, sender in make_senders(troly).items()}
    troly[SENDERS] = senders
    replies = ReplyQueue(troly.database, senders, troly.clock)
    troly[REPLIES] = replies
    log.info("channels configured: %s", ", ".join(sorted(senders)) or "none (console only)")
    sweeper = asyncio.create_task(app[CONNECTIONS].sweep_forever(), name="connection-sweep")
    yield
    sweeper.cancel()
    await replies.aclose(app[SHUTDOWN].grace(REPLY_GRACE, reserve=WORKER_GRACE))
    for sender in senders.values():
        await sender.aclose()


async def _push_ctx(app: web.Application) -> AsyncIterator[None]:
    """Deliver the push outbox (bot.outbox) through the senders while the server runs."""
    troly = app[TROLY]
    senders = troly[SENDERS] if SENDERS in troly else {}  # noqa: SIM401 - Troly is not a Mapping
    if not senders:
        yield
        return
    options = PushOptions(poll_seconds=troly.settings.push_poll_seconds)
    spike = FailureSpike(alerts(troly))
    delivery = PushDelivery(troly.database, senders, troly.policies, troly.clock, options, spike)
    stop = asyncio.Event()
    task = asyncio.create_task(delivery.run(stop), name="push-delivery")
    try:
        yield
    finally:
        stop.set()
        await task


async def _jobs_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the plugins' scheduled jobs (bot.jobs) while the server runs; each run is claimed in the database."""
    troly = app[TROLY]
    stop = asyncio.Event()
    task = asyncio.create_task(_run_jobs(troly, stop), name="jobs")
    try:
        yield
    finally:
        stop.set()
        await task


async def _run_jobs(troly: Troly, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.to_thread(troly.jobs.run_due, troly, troly.clock.now())
        except Exception:  # the database is away: try again at the next tick
            log.exception("scheduled jobs could not run")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=troly.settings.jobs_tick_seconds)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus' text format. Behind the reverse proxy this path is for the monitoring host only
    (deploy/nginx/troly.conf); the workers' counts arrive with their replies (bot/metrics.py)."""
    troly = request.app[TROLY]
    body = await asyncio.to_thread(troly.metrics.exposition)  # collectors may query the database
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def run_serve(settings: Settings, args: argparse.Namespace) -> NoReturn:
    troly = create_app(settings)
    app = create_web_app(troly, ServeOptions(polling=args.polling))
    log.info("serving on http://%s:%d", settings.host, settings.port)
    try:
        asyncio.run(serve(app, settings.host, settings.port))
    finally:
        troly.close()
    # Everything is stopped, stored and closed: skip the interpreter's teardown, which spent seconds of the
    # stopping deadline freeing the search index's objects one by one.
    logging.shutdown()
    sys.stdout.flush()
    os._exit(0)


async def serve(app: web.Application, host: str, port: int) -> None:
    """Run until SIGTERM or SIGINT, then stop within SHUTDOWN_SECONDS (a watchdog ends the process otherwise)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=REQUEST_DRAIN, lingering_time=1.0)
    await runner.setup()
    try:
        await GuardedSite(runner, host, port, app[CONNECTIONS], backlog=BACKLOG).start()
        await stop.wait()
        app[SHUTDOWN].begin()
        _watchdog(app[SHUTDOWN].total)
    finally:
        await runner.cleanup()


def _watchdog(seconds: float) -> None:
    """End the process if stopping takes longer than promised (a hung call somewhere): better than hanging."""

    def expire() -> None:
        log.critical("stopping took more than %.0f s; exiting now", seconds)
        logging.shutdown()
        os._exit(1)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
