"""The console's own pages: overview, areas and targets, monthly report, sessions; and plugins' pages."""

from __future__ import annotations

import asyncio
import logging
import queue
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.console import (
    ConsoleDenied,
    ConsoleInvalid,
    ConsoleNotFound,
    ConsoleRequest,
    Download,
    Page,
    Redirect,
    chunked,
)
from bot.storage.models import Area
from handlers.dashboard import auth, figures, overview, targets
from handlers.dashboard.monthly import monthly_xlsx
from handlers.dashboard.scope import chosen_area, month_choices, parse_month
from handlers.dashboard.web import (
    CONSOLE,
    ROOT,
    SECURITY_HEADERS,
    Auth,
    in_thread,
    invalid,
    layout,
    now,
    page,
    signed_in,
    with_notice,
)

log = logging.getLogger(__name__)


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{ROOT}/", signed_in(show_overview))
    app.router.add_get(ROOT, _to_overview)
    app.router.add_get(f"{ROOT}/bao-cao", signed_in(show_monthly))
    app.router.add_get(f"{ROOT}/bao-cao.xlsx", signed_in(download_monthly))
    app.router.add_get(f"{ROOT}/phien", signed_in(show_sessions))
    app.router.add_post(f"{ROOT}/phien/ket-thuc", signed_in(end_session))
    app.router.add_route("*", f"{ROOT}/p/{{path}}{{rest:(/.*)?}}", signed_in(plugin_page))


async def _to_overview(_request: web.Request) -> web.Response:
    raise web.HTTPSeeOther(f"{ROOT}/")


def local_today(moment: datetime) -> Any:
    return moment.astimezone(figures.VIETNAM).date()


async def show_overview(request: web.Request, current: Auth) -> web.Response:
    troly = request.app[CONSOLE].troly

    def build() -> overview.Overview:
        with troly.database.reading() as session:
            area = chosen_area(session, current.viewer, request.query.get("area"))
            return overview.build(session, overview.progress_of(troly), current.viewer, area, now(troly))

    result = await in_thread(build)
    context = layout(request, current, f"Tổng quan: {result.area.name}") | {"o": result}
    return page(request, "overview.html", context)


async def show_monthly(request: web.Request, current: Auth) -> web.Response:
    troly = request.app[CONSOLE].troly

    def build() -> figures.MonthlyReport:
        with troly.database.reading() as session:
            area = chosen_area(session, current.viewer, request.query.get("area"))
            month = parse_month(request.query.get("thang"), local_today(now(troly)))
            return figures.monthly_figures(session, overview.progress_of(troly), area, month, now(troly))

    report = await in_thread(build)
    months = month_choices(report.month, local_today(now(troly)))
    context = layout(request, current, f"Báo cáo tháng {report.period}: {report.area_name}")
    context |= {"r": report, "months": months}
    return page(request, "monthly.html", context)


async def download_monthly(request: web.Request, current: Auth) -> web.Response:
    troly = request.app[CONSOLE].troly

    def build() -> tuple[str, bytes]:
        with troly.database.reading() as session:
            area = chosen_area(session, current.viewer, request.query.get("area"))
            month = parse_month(request.query.get("thang"), local_today(now(troly)))
            report = figures.monthly_figures(session, overview.progress_of(troly), area, month, now(troly))
        return f"bao-cao-{report.area_code}-{report.month:%Y-%m}.xlsx", monthly_xlsx(report)

    name, data = await in_thread(build)
    return _file(name, XLSX, data)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(name: str, content_type: str, data: bytes) -> web.Response:
    response = web.Response(body=data, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers.update(SECURITY_HEADERS)
    return response


async def show_sessions(request: web.Request, current: Auth) -> web.Response:
    state = request.app[CONSOLE]

    def load() -> list[dict[str, Any]]:
        with state.troly.database.reading() as session:
            rows = auth.live_sessions(session, current.viewer.user_id, now(state.troly), state.idle)
            return [{"id": r.id, "agent": r.user_agent, "created": r.created_at, "seen": r.last_seen_at} for r in rows]

    sessions = await in_thread(load)
    context = layout(request, current, "Phiên đăng nhập") | {"sessions": sessions, "this": current.session_id}
    return page(request, "sessions.html", context)


async def end_session(request: web.Request, current: Auth) -> web.Response:
    troly = request.app[CONSOLE].troly
    form = await request.post()
    try:
        session_id = int(str(form.get("id", "")))
    except ValueError:
        raise ConsoleNotFound() from None

    def end() -> bool:
        with troly.database.transaction() as session:
            return auth.end_session(session, current.viewer.user_id, session_id, now(troly), "web.session_end")

    if not await in_thread(end):
        raise ConsoleNotFound("Không có phiên đăng nhập này.")
    if session_id == current.session_id:
        raise web.HTTPSeeOther(f"{ROOT}/phien")
    raise web.HTTPSeeOther(with_notice(f"{ROOT}/phien", "Đã kết thúc phiên đăng nhập."))


async def plugin_page(request: web.Request, current: Auth) -> web.StreamResponse:
    """A page another plugin registered (bot.console): role check, then its handler in a worker thread."""
    state = request.app[CONSOLE]
    found = state.pages.get(request.match_info["path"])
    if found is None:
        raise ConsoleNotFound()
    if current.viewer.role not in found.roles:
        raise ConsoleDenied("Trang này không dành cho vai trò của bạn.")
    if request.method not in found.methods:
        raise web.HTTPMethodNotAllowed(request.method, sorted(found.methods))
    posted = await request.post() if request.method == "POST" else {}  # cached: the CSRF check read it already
    form = {key: str(value) for key, value in posted.items()}
    writes = request.method in found.writes
    base = f"{ROOT}/p/{found.path}"

    def make_request(session: Any) -> ConsoleRequest:
        return ConsoleRequest(
            troly=state.troly,
            session=session,
            viewer=current.viewer,
            method=request.method,
            query=dict(request.query),
            form=form,
            now=now(state.troly),
            subpath=request.match_info["rest"].strip("/"),
            base_url=base,
        )

    pipe = Pipe()
    task = asyncio.ensure_future(in_thread(pipe.produce, state.troly.database, writes, found.handler, make_request))
    kind, value = await in_thread(pipe.get)
    if kind == "error":
        await task
        if isinstance(value, ConsoleInvalid):
            return invalid(request, current, value)
        raise value
    if kind == "result":
        await task
        return await _respond(request, current, found.title, value)
    try:
        return await _stream(request, value, pipe)
    finally:
        pipe.closed = True
        await task


class Pipe:
    """Runs a page handler in a worker thread and hands its result, or a download's chunks as they are made,
    to the event loop through a small bounded queue: a large export streams with bounded memory, inside the
    handler's database session. A client that goes away stops the producer at its next chunk."""

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=4)
        self.closed = False

    def put(self, kind: str, value: Any) -> None:
        while not self.closed:
            try:
                self.queue.put((kind, value), timeout=1)
                return
            except queue.Full:
                continue
        raise ConnectionAbortedError("the client went away")

    def get(self) -> tuple[str, Any]:
        return self.queue.get()

    def produce(self, database: Any, writes: bool, handler: Any, make_request: Any) -> None:
        try:
            with database.transaction() if writes else database.reading() as session:
                result = handler(make_request(session))
                if not isinstance(result, Download):
                    self.put("result", result)
                    return
                self.put("download", result)
                for chunk in chunked(result.chunks):
                    self.put("chunk", chunk)
                self.put("end", None)
        except ConnectionAbortedError:
            return
        except Exception as error:
            if self.queue.empty() and not self.closed:
                self.put("error", error)
            else:
                log.exception("console download failed midway")
                self.closed = True


async def _stream(request: web.Request, download: Download, pipe: Pipe) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": download.content_type, **SECURITY_HEADERS})
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    await response.prepare(request)
    while True:
        kind, value = await in_thread(pipe.get)
        if kind != "chunk":
            break
        await response.write(value)
    await response.write_eof()
    return response


async def _respond(request: web.Request, current: Auth, title: str, result: Any) -> web.StreamResponse:
    if isinstance(result, Redirect):
        raise web.HTTPSeeOther(with_notice(result.location, result.notice))
    assert isinstance(result, Page)
    context = layout(request, current, result.title or title) | dict(result.context)
    return page(request, result.template, context)


def area_choices(session: Any, viewer: Any, limit: int = 400) -> list[tuple[str, str]]:
    """Areas the viewer may pick in a filter, by code (at most `limit`; the rest by typing the code)."""
    query = select(Area.code, Area.name, Area.id).order_by(Area.code)
    rows = [(code, name) for code, name, area_id in session.execute(query) if viewer.may_see(area_id)]
    return rows[:limit]


__all__ = ["add_routes", "area_choices", "targets"]
