"""/quan-ly/to: teams and members of an area (activity, last visit) and invites with a QR code and deep link."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console import ConsoleDenied, ConsoleInvalid, ConsoleNotFound, ConsoleRequest
from bot.invites import create_invite
from bot.onboarding import InviteLink, invite_links, qr_content, qr_png
from bot.storage.models import Area, Invite, Role, Team, User
from handlers.dashboard.figures import load_tree
from handlers.dashboard.overview import ACTIVE_DAYS, progress_of
from handlers.dashboard.scope import chosen_area
from handlers.dashboard.web import CONSOLE, ROOT, Auth, ConsoleState, in_thread, invalid, layout, now, page, signed_in

log = logging.getLogger(__name__)
MEMBER_LIMIT = 300
TEAM_LIMIT = 300
INVITE_HOURS = (24, 72, 168)


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{ROOT}/to", signed_in(show_teams))
    app.router.add_post(f"{ROOT}/to/moi", signed_in(post_invite))
    app.router.add_get(f"{ROOT}/to/moi/{{code}}.png", signed_in(invite_qr))


def _members(session: Session, troly: Any, team_ids: list[int]) -> list[dict[str, Any]]:
    query = (
        select(User.id, User.display_name, User.role, User.channel, User.team_id)
        .where(User.team_id.in_(team_ids), User.role.in_([Role.MEMBER, Role.LEADER]))
        .order_by(User.display_name, User.id)
        .limit(MEMBER_LIMIT)
    )
    rows = session.execute(query).all()
    progress = progress_of(troly)
    start = now(troly) - timedelta(days=ACTIVE_DAYS)
    activity = {a.key: a for a in progress.member_activity(session, [r.id for r in rows], start)} if progress else {}
    return [
        {
            "name": row.display_name or f"thành viên #{row.id}",
            "role": "Tổ trưởng" if row.role is Role.LEADER else "Thành viên",
            "channel": row.channel,
            "team_id": row.team_id,
            "visits": activity[row.id].visits if row.id in activity else 0,
            "last": activity[row.id].last_visit if row.id in activity else None,
        }
        for row in rows
    ]


async def show_teams(request: web.Request, current: Auth) -> web.Response:
    state = request.app[CONSOLE]

    def load() -> dict[str, Any]:
        with state.troly.database.reading() as session:
            area = chosen_area(session, current.viewer, request.query.get("area"))
            area_ids = load_tree(session, area).below(area.id)
            teams = session.execute(
                select(Team.id, Team.name, Area.code, Area.name)
                .join(Area, Area.id == Team.area_id)
                .where(Team.area_id.in_(area_ids))
                .order_by(Area.code, Team.name)
                .limit(TEAM_LIMIT)
            ).all()
            invite = _shown_invite(session, current, request.query.get("moi", ""))
            progress = progress_of(state.troly)
            start = now(state.troly) - timedelta(days=ACTIVE_DAYS)
            team_ids = [team[0] for team in teams]
            activity = {a.key: a for a in progress.team_activity(session, team_ids, start)} if progress else {}
            return {
                "area": area,
                "teams": [
                    {"id": t[0], "name": t[1], "area_code": t[2], "area_name": t[3], "activity": activity.get(t[0])}
                    for t in teams
                ],
                "members": _members(session, state.troly, [t[0] for t in teams]),
                "invite": invite,
                "hours": INVITE_HOURS,
                "member_limit": MEMBER_LIMIT,
            }

    context = await in_thread(load)
    if context["invite"] is not None:
        links = await invite_links_now(state, context["invite"]["code"])
        context["invite"]["link"] = links[0].url if links else ""
    return page(request, "teams.html", layout(request, current, f"Tổ và thành viên: {context['area'].name}") | context)


def _shown_invite(session: Session, current: Auth, code: str) -> dict[str, Any] | None:
    code = code.strip().upper()[:32]
    if not code:
        return None
    invite = session.scalar(select(Invite).where(Invite.code == code))
    if invite is None or not current.viewer.may_see(invite.area_id):
        return None
    return {"code": invite.code, "team": invite.team.name, "role": invite.role.value, "expires": invite.expires_at}


async def post_invite(request: web.Request, current: Auth) -> web.Response:
    troly = request.app[CONSOLE].troly
    form = {key: str(value) for key, value in (await request.post()).items()}

    def run() -> str:
        with troly.database.transaction() as session:
            team = session.get(Team, int(form["team"])) if form.get("team", "").isdigit() else None
            if team is None or not current.viewer.may_see(team.area_id):
                raise ConsoleDenied("Bạn không có quyền cấp mã mời cho tổ này.")
            role = Role.LEADER if form.get("role") == "leader" else Role.MEMBER
            if role is Role.LEADER and current.viewer.role is Role.LEADER:
                raise ConsoleInvalid("Tổ trưởng chỉ cấp được mã mời cho thành viên.")
            hours = int(form["hours"]) if form.get("hours", "").isdigit() else 72
            if hours not in INVITE_HOURS:
                raise ConsoleInvalid("Thời hạn mã mời không hợp lệ.")
            invite = create_invite(session, role=role, area=team.area, team=team, now=now(troly), hours=hours)
            console = ConsoleRequest(troly, session, current.viewer, "POST", {}, form, now(troly))
            console.audit("invite.create", f"team:{team.id}", {"role": role.value, "hours": hours})
            return f"{ROOT}/to?area={quote(team.area.code)}&moi={invite.code}"

    try:
        location = await in_thread(run)
    except ConsoleInvalid as error:
        return invalid(request, current, error)
    raise web.HTTPSeeOther(location)


async def invite_qr(request: web.Request, current: Auth) -> web.Response:
    """The QR code of the invite's deep link (or of `/thamgia CODE` when Telegram is not configured)."""
    state = request.app[CONSOLE]

    def load() -> str | None:
        with state.troly.database.reading() as session:
            found = _shown_invite(session, current, request.match_info["code"])
            return found["code"] if found else None

    code = await in_thread(load)
    if code is None:
        raise ConsoleNotFound("Không có mã mời này.")
    png = qr_png(qr_content(code, await invite_links_now(state, code)))
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-store"})


async def invite_links_now(state: ConsoleState, code: str) -> list[InviteLink]:
    """Each channel's link for the invite (bot/onboarding.py: the Telegram username is asked with getMe once
    and kept for every process), off the event loop since it may ask."""
    return await asyncio.to_thread(invite_links, state.troly, code, fetch=True)
