"""/quan-ly/khu-vuc: the area tree with population figures and targets, and the forms that change them."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.areas import MAX_POPULATION
from bot.console import ConsoleDenied, ConsoleInvalid, ConsoleRequest, Viewer
from bot.storage.models import Area, Role
from handlers.dashboard import figures, targets
from handlers.dashboard.models import Target
from handlers.dashboard.overview import progress_of
from handlers.dashboard.scope import chosen_area
from handlers.dashboard.web import (
    CONSOLE,
    ROOT,
    Auth,
    in_thread,
    invalid,
    layout,
    now,
    page,
    signed_in,
    with_notice,
)

EDITORS = frozenset({Role.OFFICIAL, Role.ADMIN})


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{ROOT}/khu-vuc", signed_in(show_areas))
    app.router.add_post(f"{ROOT}/khu-vuc/chi-tieu", signed_in(post_target))
    app.router.add_post(f"{ROOT}/khu-vuc/dan-so", signed_in(post_population))
    app.router.add_post(f"{ROOT}/khu-vuc/chi-so", signed_in(post_indicator))


def _tree(session: Session, area: Area) -> list[dict[str, Any]]:
    tree = figures.load_tree(session, area)
    rows: list[dict[str, Any]] = []

    def walk(area_id: int, depth: int) -> None:
        code, name, households, adults = tree.rows[area_id]
        rows.append({"code": code, "name": name, "depth": depth, "households": households, "adults": adults})
        if depth < 2:
            for child in tree.children.get(area_id, []):
                walk(child, depth + 1)

    walk(area.id, 0)
    return rows


async def show_areas(request: web.Request, current: Auth) -> web.Response:
    troly = request.app[CONSOLE].troly

    def load() -> dict[str, Any]:
        with troly.database.reading() as session:
            area = chosen_area(session, current.viewer, request.query.get("area"))
            found = session.scalars(select(Target).where(Target.area_id == area.id))
            progress = progress_of(troly)
            return {
                "area": area,
                "parent": area.parent if area.parent and current.viewer.may_see(area.parent_id) else None,
                "tree": _tree(session, area),
                "indicators": figures.indicators(session),
                "targets": {target.indicator_code: target for target in found},
                "services": list(progress.services()) if progress else [],
                "service_names": dict(progress.services()) if progress else {},
                "bases": targets.BASES,
                "can_edit": current.viewer.role in EDITORS,
                "today": now(troly).astimezone(figures.VIETNAM).date(),
            }

    context = await in_thread(load)
    return page(request, "areas.html", layout(request, current, f"Khu vực: {context['area'].name}") | context)


def _editable_area(session: Session, viewer: Viewer, code: str) -> Area:
    if viewer.role not in EDITORS:
        raise ConsoleDenied("Chỉ cán bộ và quản trị viên mới sửa được chỉ tiêu và số dân.")
    return chosen_area(session, viewer, code or "-")


async def _change(request: web.Request, current: Auth, change: Any) -> web.Response:
    troly = request.app[CONSOLE].troly
    form = {key: str(value) for key, value in (await request.post()).items()}

    def run() -> str:
        with troly.database.transaction() as session:
            area = _editable_area(session, current.viewer, form.get("area", ""))
            console = ConsoleRequest(troly, session, current.viewer, "POST", {}, form, now(troly))
            return str(change(console, area))

    try:
        location = await in_thread(run)
    except ConsoleInvalid as error:
        return invalid(request, current, error)
    raise web.HTTPSeeOther(location)


async def post_target(request: web.Request, current: Auth) -> web.Response:
    def change(console: ConsoleRequest, area: Area) -> str:
        today = console.now.astimezone(figures.VIETNAM).date()
        target = targets.save_target(console.session, area.id, console.form, console.viewer.user_id, console.now, today)
        details = {"area": area.code, "indicator": target.indicator_code, "percent": target.percent}
        console.audit("target.set", f"area:{area.id}", details | {"deadline": target.deadline.isoformat()})
        return with_notice(f"{ROOT}/khu-vuc?area={quote(area.code)}", "Đã lưu chỉ tiêu.")

    return await _change(request, current, change)


def _count(text: str, label: str) -> int | None:
    cleaned = text.strip().replace(".", "").replace(" ", "")
    if not cleaned:
        return None
    if not cleaned.isdigit() or int(cleaned) > MAX_POPULATION:
        raise ConsoleInvalid(f"{label} phải là số nguyên không âm (đang là «{text.strip()[:20]}»).")
    return int(cleaned)


async def post_population(request: web.Request, current: Auth) -> web.Response:
    def change(console: ConsoleRequest, area: Area) -> str:
        area.households = _count(console.form.get("households", ""), "Số hộ")
        area.adults = _count(console.form.get("adults", ""), "Số người trưởng thành")
        details = {"area": area.code, "households": area.households, "adults": area.adults}
        console.audit("area.population", f"area:{area.id}", details)
        return with_notice(f"{ROOT}/khu-vuc?area={quote(area.code)}", "Đã lưu số dân.")

    return await _change(request, current, change)


async def post_indicator(request: web.Request, current: Auth) -> web.Response:
    troly = request.app[CONSOLE].troly

    def change(console: ConsoleRequest, area: Area) -> str:
        progress = progress_of(troly)
        codes = [code for code, _ in progress.services()] if progress else []
        indicator = targets.add_indicator(console.session, console.form, codes)
        console.audit("indicator.create", f"indicator:{indicator.code}", indicator.as_dict())
        return with_notice(f"{ROOT}/khu-vuc?area={quote(area.code)}", "Đã thêm chỉ số.")

    return await _change(request, current, change)
