"""Keeping slow and idle connections from starving real requests (`troly serve`'s listening side).

aiohttp gives a request body all the time it wants and keeps a connection that never finishes its headers
open forever. An attack held 1,100 connections open at a byte every 30 s: at the common limit of 1,024 open
files the server could accept nothing else. Three guards:

* `read_body`: a webhook's body must arrive within `BODY_TIMEOUT` seconds, and be no larger than the route's
  limit (checked against Content-Length first, then while reading, so no more than the limit is ever read);
  at most `MAX_SLOW_BODIES` bodies may still be on their way at once (a body that came with its headers, as
  real webhooks do, does not count). A body refused for slowness gets its connection closed at once.
* `ConnectionGuard`: at most `limit` connections (the open-file limit minus room for the database, pipes and
  outgoing calls); at the limit, a new connection makes the longest-idle connection without a running
  request go; connections that do not finish a request within `IDLE_LIMIT` seconds are closed.
* `GuardedSite`: a TCP site whose accepted connections pass the guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)

BODY_TIMEOUT = 10.0
MAX_SLOW_BODIES = 64
IDLE_LIMIT = 20.0  # seconds a connection may stay without a request completing or running
SWEEP_SECONDS = 1.0
BACKLOG = 128
# Open files kept out of the connection limit: the database, the core workers' pipes, logs, outgoing calls,
# and the connections the event loop accepts in one go (up to the listen backlog) before the guard sees them.
FILES_RESERVED = 128 + BACKLOG

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BodyRefused(Exception):
    """A body too slow, or one slow body too many: answered, then the connection is closed at once (aiohttp
    would otherwise keep reading the rest of the body for its lingering time)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class SlowBodies:
    """Counts the bodies still arriving; refuses new slow ones beyond the cap."""

    def __init__(self, limit: int = MAX_SLOW_BODIES, timeout: float = BODY_TIMEOUT) -> None:
        self.limit = limit
        self.timeout = timeout
        self.arriving = 0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.arriving >= self.limit:
            raise BodyRefused(503, "too many slow requests")
        self.arriving += 1
        try:
            yield
        finally:
            self.arriving -= 1


SLOW_BODIES = web.AppKey("slow_bodies", SlowBodies)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request's body, or 413 (too large); BodyRefused (408: too slow, 503: too many slow bodies at once)
    for the guard's middleware to answer."""
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    content = request.content
    if content.is_eof():  # it came with the headers: nothing to wait for
        return await _read_limited(request, content, limit)
    guard = request.app.get(SLOW_BODIES) or SlowBodies()
    async with guard.slot():
        try:
            async with asyncio.timeout(guard.timeout):
                return await _read_limited(request, content, limit)
        except TimeoutError:
            raise BodyRefused(408, "body too slow") from None


async def _read_limited(request: web.Request, content: StreamReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await content.readany():
        size += len(chunk)
        if size > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
        chunks.append(chunk)
    return b"".join(chunks)


async def _refuse(request: web.Request, refused: BodyRefused) -> web.StreamResponse:
    response = web.Response(status=refused.status, text=str(refused), headers={"Connection": "close"})
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()
    return response


def connection_limit(reserved: int = FILES_RESERVED) -> int:
    """How many client connections fit in this process's open-file limit."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, soft - reserved)


class ConnectionGuard:
    """Tracks the server's connections: when each last made progress, and which run a request now."""

    def __init__(self, limit: int, idle_limit: float = IDLE_LIMIT) -> None:
        self.limit = limit
        self.idle_limit = idle_limit
        self.shed = 0
        self._server: web.Server | None = None
        self._progress: dict[RequestHandler, float] = {}
        self._running: dict[RequestHandler, int] = {}

    def factory(self, server: web.Server) -> Callable[[], RequestHandler]:
        """The protocol factory for `loop.create_server`: each new connection first makes room."""
        self._server = server

        def accept() -> RequestHandler:
            self._make_room(len(server.connections))
            handler = server()
            self._progress[handler] = asyncio.get_running_loop().time()
            return handler

        return accept

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        protocol = request.protocol
        self._running[protocol] = self._running.get(protocol, 0) + 1
        try:
            return await handler(request)
        except BodyRefused as refused:
            return await _refuse(request, refused)
        finally:
            left = self._running.pop(protocol, 1) - 1
            if left:
                self._running[protocol] = left
            if self._server is not None:  # connections are tracked only behind a GuardedSite
                self._progress[protocol] = asyncio.get_running_loop().time()

    async def sweep_forever(self) -> None:
        """Close connections that made no progress for `idle_limit` seconds (slow headers, idle keep-alive)."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            now = asyncio.get_running_loop().time()
            for handler in self._idle(now - self.idle_limit):
                self._close(handler)

    def _make_room(self, open_now: int) -> None:
        if open_now < self.limit:
            return
        for handler in self._idle(float("inf"))[: open_now - self.limit + 1]:
            self._close(handler)
        if self.shed % 100 == 1:
            log.warning(
                "connection limit (%d) reached: closed %d idle or slow connections so far", self.limit, self.shed
            )

    def _idle(self, before: float) -> list[RequestHandler]:
        """Connections without a running request whose last progress was before `before`, oldest first."""
        if self._server is None:
            return []
        alive = set(self._server.connections)
        for gone in [handler for handler in self._progress if handler not in alive]:
            self._progress.pop(gone, None)
            self._running.pop(gone, None)
        idle = [(at, id(h), h) for h, at in self._progress.items() if at < before and h not in self._running]
        return [handler for _at, _id, handler in sorted(idle, key=lambda entry: entry[:2])]

    def _close(self, handler: RequestHandler) -> None:
        self.shed += 1
        self._progress.pop(handler, None)
        handler.force_close()
        transport = handler.transport
        if transport is not None:
            transport.close()


CONNECTIONS = web.AppKey("connections", ConnectionGuard)


class GuardedSite(web.TCPSite):
    """A TCP site whose protocol factory passes every new connection through a ConnectionGuard."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(runner, host, port, **kwargs)
        self.guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self.guard.factory(server), self._host, self._port, backlog=self._backlog, reuse_address=True
        )
