"""The console's aiohttp side: routes under /quan-ly/, sign-in, the session cookie, CSRF, and plugin pages.

Database work runs in a worker thread (the storage layer is synchronous); pages that only read use
`Database.reading()` (no writer lock), forms a write transaction that also writes their audit rows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from bot.app import Troly
from bot.console import (
    ConsoleDenied,
    ConsoleInvalid,
    ConsoleNotFound,
    ConsolePage,
    Viewer,
    console_pages,
)
from bot.storage.models import User
from bot.textutil import number
from handlers.dashboard import auth
from handlers.dashboard.scope import viewer_of

log = logging.getLogger(__name__)
T = TypeVar("T")

ROOT = "/quan-ly"
COOKIE = "troly_console"
CSRF_FIELD = "csrf"
HERE = Path(__file__).parent
SIGN_IN_FIRST = (
    "Bạn chưa đăng nhập, hoặc phiên đã hết hạn. Gửi /web cho trợ lý trên Telegram hoặc Zalo "
    "để nhận liên kết đăng nhập mới."
)
VIETNAM = timezone(timedelta(hours=7), "ICT")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the sign-in link's secret must not leak to another site
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


@dataclass
class ConsoleState:
    troly: Troly
    pages: dict[str, ConsolePage] = field(default_factory=dict)

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.troly.settings.web_idle_minutes)


CONSOLE = web.AppKey("console", ConsoleState)


@dataclass(frozen=True, slots=True)
class Auth:
    """A signed-in request: the viewer, the session row's id and the CSRF token for its forms."""

    viewer: Viewer
    session_id: int
    csrf: str


Handler = Callable[[web.Request, Auth], Awaitable[web.StreamResponse]]


def mount(troly: Troly, app: web.Application) -> ConsoleState:
    """Templates (ours, then each page plugin's), static files and the sign-in routes."""
    state = ConsoleState(troly, {page.path: page for page in console_pages(troly, troly.plugins)})
    app[CONSOLE] = state
    folders = [HERE / "templates", *(page.template_dir for page in state.pages.values() if page.template_dir)]
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader([str(folder) for folder in folders]), autoescape=True
    )
    env.globals.update(root=ROOT, csrf_field=CSRF_FIELD)
    env.filters.update(vn_time=vn_time, vn_date=vn_date, num=number, pct=percent)
    app.router.add_static(f"{ROOT}/tep/", HERE / "static", name="console-static", append_version=True)
    app.router.add_get(f"{ROOT}/dang-nhap/{{token}}", login_form)
    app.router.add_post(f"{ROOT}/dang-nhap/{{token}}", login)
    app.router.add_post(f"{ROOT}/dang-xuat", signed_in(logout, csrf=True))
    return state


def vn_time(moment: datetime | None) -> str:
    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y") if moment else ""


def vn_date(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def percent(value: float | None) -> str:
    """95.5 → "95,5%"."""
    if value is None:
        return ""
    if 0 < value < 0.1:
        return "dưới 0,1%"
    return f"{value:.1f}".replace(".", ",").removesuffix(",0") + "%"


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(function, *args)


def now(troly: Troly) -> datetime:
    """The app's clock (tests move a ManualClock instead of waiting)."""
    return troly.clock.now()


def with_notice(location: str, notice: str) -> str:
    """`location` with a notice to show there, encoded (a notice may hold "#", "&" or Vietnamese letters)."""
    if not notice:
        return location
    return f"{location}{'&' if '?' in location else '?'}{urlencode({'tb': notice})}"


def page(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def message(request: web.Request, title: str, text: str, status: int, auth: Auth | None = None) -> web.Response:
    return page(request, "message.html", layout(request, auth, title) | {"text": text}, status)


def layout(request: web.Request, auth: Auth | None, title: str) -> dict[str, Any]:
    """What every page's layout needs: the viewer, the navigation it may use, the CSRF token."""
    state = request.app[CONSOLE]
    nav: list[tuple[str, str]] = []
    if auth is not None:
        nav = [
            (f"{ROOT}/", "Tổng quan"),
            (f"{ROOT}/khu-vuc", "Khu vực và chỉ tiêu"),
            (f"{ROOT}/to", "Tổ và thành viên"),
            (f"{ROOT}/bao-cao", "Báo cáo tháng"),
        ]
        nav += [(f"{ROOT}/p/{p.path}", p.title) for p in state.pages.values() if auth.viewer.role in p.roles]
        nav.append((f"{ROOT}/phien", "Phiên đăng nhập"))
    current = request.path.rstrip("/") or "/"
    return {
        "title": title,
        "viewer": auth.viewer if auth else None,
        "csrf": auth.csrf if auth else "",
        "nav": [(href, label, current == href.rstrip("/") or current.startswith(href + "/")) for href, label in nav],
        "notice": request.query.get("tb", "")[:200],
    }


def _session_lookup(troly: Troly, cookie: str, idle: timedelta) -> tuple[Viewer, int] | None:
    with troly.database.transaction() as session:
        found = auth.find_session(session, cookie, now(troly), idle)
        if found is None:
            return None
        auth.touch(session, found.id, now(troly))
        return viewer_of(session, found.user), found.id


def signed_in(handler: Handler, *, csrf: bool = False) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap a handler: 401 without a live session, 403 for a form without this session's CSRF token."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        state = request.app[CONSOLE]
        cookie = request.cookies.get(COOKIE, "")
        found = await in_thread(_session_lookup, state.troly, cookie, state.idle) if cookie else None
        if found is None:
            response = message(request, "Cần đăng nhập", SIGN_IN_FIRST, 401)
            if cookie:
                response.del_cookie(COOKIE, path=ROOT)
            return response
        viewer, session_id = found
        current = Auth(viewer, session_id, auth.csrf_for(cookie))
        if csrf or request.method not in {"GET", "HEAD"}:
            form = await request.post()
            given = str(form.get(CSRF_FIELD, ""))
            if not auth.csrf_ok(cookie, given):
                text = "Biểu mẫu đã cũ hoặc không hợp lệ (thiếu mã bảo vệ). Bạn tải lại trang rồi thử lại nhé."
                return message(request, "Không thực hiện được", text, 403, current)
        try:
            return await handler(request, current)
        except ConsoleDenied as denied:
            return message(request, "Không có quyền", str(denied) or "Bạn không có quyền xem trang này.", 403, current)
        except ConsoleNotFound as missing:
            return message(request, "Không tìm thấy", str(missing) or "Không có trang hoặc mục này.", 404, current)

    return wrapper


async def login_form(request: web.Request) -> web.Response:
    """The link opens a page with one button: a GET never spends the link (chat apps fetch links to preview)."""
    troly = request.app[CONSOLE].troly
    token = request.match_info["token"][:100]

    def check() -> str | None:
        with troly.database.reading() as session:
            try:
                auth.check_link(session, token, now(troly), lock=False)
            except auth.LoginRefused as refused:
                return str(refused)
            return None

    refused = await in_thread(check)
    if refused:
        return message(request, "Không đăng nhập được", refused, 403)
    return page(request, "login.html", layout(request, None, "Đăng nhập") | {"action": request.path})


async def login(request: web.Request) -> web.Response:
    troly = request.app[CONSOLE].troly
    token = request.match_info["token"][:100]
    agent = request.headers.get("User-Agent", "")

    def redeem() -> auth.SignedIn | str:
        try:
            with troly.database.transaction() as session:
                return auth.redeem_link(session, token, now(troly), agent)
        except auth.LoginRefused as refused:
            return str(refused)

    result = await in_thread(redeem)
    if isinstance(result, str):
        return message(request, "Không đăng nhập được", result, 403)
    response = web.HTTPSeeOther(f"{ROOT}/")
    secure = troly.settings.public_url.startswith("https://") or request.secure
    response.set_cookie(COOKIE, result.secret, path=ROOT, httponly=True, samesite="Lax", secure=secure)
    response.headers.update(SECURITY_HEADERS)
    raise response


async def logout(request: web.Request, current: Auth) -> web.Response:
    troly = request.app[CONSOLE].troly

    def end() -> None:
        with troly.database.transaction() as session:
            auth.end_session(session, current.viewer.user_id, current.session_id, now(troly), "web.logout")

    await in_thread(end)
    response = message(request, "Đã đăng xuất", "Bạn đã đăng xuất. Gửi /web cho trợ lý khi cần vào lại.", 200)
    response.del_cookie(COOKIE, path=ROOT)
    return response


def user_of(session: Session, viewer: Viewer) -> User:
    user = session.get(User, viewer.user_id)
    if user is None:
        raise ConsoleDenied()
    return user


def invalid(request: web.Request, current: Auth, error: ConsoleInvalid) -> web.Response:
    return message(request, "Chưa lưu được", str(error), 400, current)
