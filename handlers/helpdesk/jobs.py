"""Scheduled work of the help desk (bot.jobs): escalation counted in working hours, the leaders' morning digest,
closing the requests of citizens who blocked the bot, giving back requests of members who left, reminders;
and retention: phone numbers erased after the request closed plus `helpdesk_phone_days`, drafts after a day."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.jobs import Job, Retention
from bot.messages import Outbound
from bot.storage.models import Role, User
from handlers.helpdesk import appointments, claims, closing, places, routing, store
from handlers.helpdesk.models import HelpDraft, HelpRequest, Status
from handlers.helpdesk.store import Notifier
from handlers.helpdesk.timing import working_seconds, zone

if TYPE_CHECKING:
    from bot.app import Troly

DIGEST_WINDOW_HOURS = 4


def register(troly: Troly) -> None:
    add = troly.jobs.add
    add(Job("helpdesk.escalate", timedelta(minutes=5), escalate, "chuyển yêu cầu chưa ai nhận lên tổ trưởng, cán bộ"))
    add(Job("helpdesk.sweep", timedelta(minutes=10), sweep, "đóng yêu cầu của người đã chặn, trả lại yêu cầu"))
    add(Job("helpdesk.reminders", timedelta(minutes=5), appointments.send_reminders, "nhắc lịch hẹn đến nhà"))
    add(Job("helpdesk.digest", timedelta(minutes=15), digest, "bản tin buổi sáng cho tổ trưởng"))
    settings = troly.settings

    def phones(session: Session, now: datetime) -> int:
        cutoff = now - timedelta(days=settings.helpdesk_phone_days)
        erase = update(HelpRequest).where(
            HelpRequest.phone.is_not(None), HelpRequest.status == Status.CLOSED.value, HelpRequest.closed_at < cutoff
        )
        result = session.execute(erase.values(phone=None, phone_erased_at=now))
        return int(getattr(result, "rowcount", 0) or 0)

    def drafts(session: Session, now: datetime) -> int:
        result = session.execute(delete(HelpDraft).where(HelpDraft.at < now - timedelta(days=1)))
        return int(getattr(result, "rowcount", 0) or 0)

    troly.jobs.retain(Retention("helpdesk.phones", "số điện thoại trong yêu cầu hỗ trợ đã kết thúc", phones))
    troly.jobs.retain(Retention("helpdesk.drafts", "câu hỏi tạm giữ để điền sẵn yêu cầu hỗ trợ", drafts))


def escalate(troly: Troly, now: datetime) -> int:
    """Open requests waiting `helpdesk_escalate_hours` working hours go to the leaders; twice that, officials."""
    limit = troly.settings.helpdesk_escalate_hours * 3600
    raised = 0
    with troly.database.transaction() as session:
        notifier = Notifier(troly, session, now)
        waiting = select(HelpRequest).where(HelpRequest.status == Status.OPEN.value, HelpRequest.escalation < 2)
        for request in session.scalars(waiting.order_by(HelpRequest.id).with_for_update()).all():
            waited = working_seconds(request.queued_at, now, troly.settings)
            level = 2 if waited >= 2 * limit else 1 if waited >= limit else 0
            if level > request.escalation:
                told = sum(routing.escalate(notifier, request, n) for n in range(request.escalation + 1, level + 1))
                if told == 0 and request.escalation < 2:
                    routing.escalate(notifier, request, 2)  # no leader to tell: the officials at once
                raised += 1
    return raised


def sweep(troly: Troly, now: datetime) -> None:
    """Requests of citizens who blocked or unfollowed close with that reason; requests held by someone no longer
    in the team of their area go back to the queue (a membership change the hooks did not see)."""
    with troly.database.transaction() as session:
        notifier = Notifier(troly, session, now)
        active = select(HelpRequest).join(User, User.id == HelpRequest.citizen_id)
        blocked = active.where(HelpRequest.status.in_(store.ACTIVE), User.blocked.is_(True))
        for request in session.scalars(blocked).all():
            closing.close(notifier, request, "citizen_blocked", ask_rating=False)
        for request in session.scalars(select(HelpRequest).where(HelpRequest.status == Status.TAKEN.value)).all():
            helper = request.assignee
            if helper is None or not places.in_scope(session, helper, request.area_id):
                claims.requeue(notifier, request, None, "member_left")


def digest(troly: Troly, now: datetime) -> int:
    """Each morning (from `helpdesk_digest_hour`, local time), every leader with open requests in their team's
    area gets the list, once a day."""
    local = now.astimezone(zone(troly.settings))
    start = troly.settings.helpdesk_digest_hour
    if not start <= local.hour < start + DIGEST_WINDOW_HOURS:
        return 0
    sent = 0
    with troly.database.transaction() as session:
        notifier = Notifier(troly, session, now)
        leaders = session.scalars(select(User).where(User.role == Role.LEADER, User.team_id.is_not(None))).all()
        for leader in leaders:
            text = _digest_text(session, leader, now)
            if text and notifier.can_reach(leader):
                notifier.push(leader, Outbound(text), f"hd:digest:{local.date().isoformat()}:{leader.id}")
                sent += 1
    return sent


def _digest_text(session: Session, leader: User, now: datetime) -> str:
    area_ids = places.scope_area_ids(session, leader) or []
    query = select(HelpRequest).where(HelpRequest.status.in_(store.ACTIVE), HelpRequest.area_id.in_(area_ids))
    requests = list(session.scalars(query.order_by(HelpRequest.created_at)))
    if not requests:
        return ""
    waiting = [r for r in requests if r.status == Status.OPEN.value]
    lines = [f"☀️ Chào buổi sáng! Tổ đang có {len(requests)} yêu cầu hỗ trợ chưa xong, {len(waiting)} chưa ai nhận:"]
    for request in requests[:10]:
        days = (now - request.created_at).days
        who = f"đang do {store.helper_name(request.assignee)} hỗ trợ" if request.assignee else "chưa ai nhận"
        lines.append(f"• Số {request.id} · {request.area.name} · {days} ngày · {who}")
    lines.append("Xem và nhận: /yeucau")
    return "\n".join(lines)
