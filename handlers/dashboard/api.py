"""/api/v1/: the monthly figures as JSON for the city's operations centre (IOC), with a machine token.

Authentication: `Authorization: Bearer troly_…`, a token made by `troly web-token --name NAME --area CODE`
(stored hashed, limited to that area and below, revocable). No cookies, so no CSRF; GET only.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.areas import area_by_code, subtree_ids
from handlers.dashboard import auth, figures
from handlers.dashboard.overview import progress_of
from handlers.dashboard.scope import parse_month
from handlers.dashboard.web import CONSOLE, SECURITY_HEADERS, in_thread, now

API_ROOT = "/api/v1"


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{API_ROOT}/bao-cao-thang", monthly_feed)


def _error(status: int, code: str, text: str) -> web.Response:
    headers = dict(SECURITY_HEADERS)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="troly"'
    return web.json_response({"error": code, "message": text}, status=status, headers=headers)


async def monthly_feed(request: web.Request) -> web.Response:
    troly = request.app[CONSOLE].troly
    header = request.headers.get("Authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else ""

    def load() -> tuple[int, dict[str, Any]]:
        with troly.database.transaction() as session:
            token = auth.find_api_token(session, secret, now(troly))
            if token is None:
                return 401, {}
            token.last_used_at = now(troly)
            code = request.query.get("area", "").strip()[:32] or token.area.code
            area = area_by_code(session, code)
            if area is None or area.id not in set(subtree_ids(session, token.area_id)):
                return 403, {}
        with troly.database.reading() as session:
            area = area_by_code(session, code)
            assert area is not None
            month = parse_month(request.query.get("thang") or request.query.get("month"), now(troly).date())
            report = figures.monthly_figures(session, progress_of(troly), area, month, now(troly))
            return 200, report.as_json()

    status, body = await in_thread(load)
    if status == 401:
        return _error(401, "unauthorized", "Thiếu hoặc sai mã truy cập (Authorization: Bearer ...).")
    if status == 403:
        return _error(403, "forbidden", "Mã truy cập này không được xem khu vực đó.")
    return web.json_response(body, headers=SECURITY_HEADERS, dumps=_dumps)


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
