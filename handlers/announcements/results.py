"""/ketquathongbao [SỐ]: the official sees in chat what happened to an announcement of their area."""

from __future__ import annotations

from sqlalchemy import select

from bot.areas import subtree
from bot.context import Context, Reply
from bot.extensions import DELIVERY_STATES
from bot.storage.models import Role
from bot.textutil import small_number
from handlers.announcements import texts
from handlers.announcements.models import Announcement
from handlers.announcements.status import load_status, render


def show_results(ctx: Context) -> Reply:
    """The given announcement, or the official's latest one; officials only see those of their own area."""
    query = select(Announcement.id).order_by(Announcement.id.desc()).limit(1)
    if ctx.user.role is not Role.ADMIN:
        if ctx.user.area_id is None:
            return texts.NO_AREA
        query = query.where(Announcement.area_id.in_(subtree(ctx.user.area_id)))
    wanted = ctx.args.strip().lstrip("#")
    if wanted:
        number = small_number(wanted, max_digits=9)  # ids fit a 32-bit integer column
        if number is None:
            return texts.NO_ANNOUNCEMENT.format(detail=f" số {wanted[:20]}")
        query = query.where(Announcement.id == number)
    else:
        query = query.where(Announcement.created_by_id == ctx.user.id)
    found = ctx.session.scalar(query)
    providers = ctx.troly.extensions[DELIVERY_STATES]
    status = load_status(ctx.session, found, providers) if found is not None else None
    if status is None:
        return texts.NO_ANNOUNCEMENT.format(detail=f" số {wanted[:20]}" if wanted else "")
    return render(status)
