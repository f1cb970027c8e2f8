"""Sending a request to the people who can take it: the members of the teams responsible for its area, then
(escalation) their leaders and the area's officials. Every message is a keyed push in the caller's transaction."""

from __future__ import annotations

from bot.extensions import SERVICE_CATALOGUE
from bot.messages import Choice, Outbound
from bot.storage.models import Role, User
from handlers.helpdesk import places, store, texts
from handlers.helpdesk.models import HelpRequest
from handlers.helpdesk.store import Notifier

LEVELS = {1: "tổ trưởng", 2: "cán bộ phụ trách"}


def card(notifier: Notifier, request: HelpRequest, heading: str) -> Outbound:
    """The request as a member reads it before taking it: no name, no phone number, no channel."""
    services = notifier.troly.extensions[SERVICE_CATALOGUE]
    contact = "nhắn qua trợ lý" + (" hoặc gọi điện (số hiện khi bạn nhận)" if request.phone else "")
    lines = [
        f"{heading} · {places.label(request.area)}",
        f"Cần: {texts.need_line(request, services)}",
        f"Liên hệ: {contact}",
        f"Đến nhà: {'có' if request.wants_visit else 'không cần'}",
        "Ai chạm «Nhận hỗ trợ» trước sẽ nhận.",
    ]
    return Outbound("\n".join(lines), choices=(Choice(texts.CLAIM, f"/nhan {request.id}"),))


def queue_key(request: HelpRequest) -> str:
    """Changes each time the request (re-)enters the queue, so each time is announced once."""
    return f"hd:{request.id}:q{request.handovers}.{request.reopened}"


def announce(notifier: Notifier, request: HelpRequest) -> int:
    """Tell the responsible teams' members and leaders; returns how many can be reached now. Nobody reachable:
    the leaders and officials hear at once (escalation without waiting)."""
    session = notifier.session
    teams = places.responsible_teams(session, request.area_id)
    people = [p for p in places.team_people(session, [team.id for team in teams]) if p.id != request.citizen_id]
    message = card(notifier, request, f"🆘 Yêu cầu hỗ trợ số {request.id}")
    reached = 0
    for person in people:
        if notifier.can_reach(person):
            notifier.push(person, message, f"{queue_key(request)}:{person.id}")
            reached += 1
    store.record(session, request, "announced", notifier.now, reached=reached)
    if reached == 0:
        escalate(notifier, request, 2)
    return reached


def team_label(notifier: Notifier, request: HelpRequest) -> str:
    teams = places.responsible_teams(notifier.session, request.area_id)
    return teams[0].name if teams else "Tổ công nghệ số cộng đồng"


def escalate(notifier: Notifier, request: HelpRequest, level: int) -> int:
    """Level 1: the responsible teams' leaders; level 2: the area's officials (leaders too when there are no
    officials). Returns how many people were told."""
    session = notifier.session
    teams = places.responsible_teams(session, request.area_id)
    people: list[User] = places.team_people(session, [t.id for t in teams], (Role.LEADER,)) if level == 1 else []
    if level == 2:
        people = places.officials(session, request.area_id) or places.team_people(
            session, [t.id for t in teams], (Role.LEADER,)
        )
    heading = f"⏰ Yêu cầu số {request.id} chưa có ai nhận"
    message = card(notifier, request, heading)
    told = 0
    for person in people:
        if person.id != request.citizen_id and notifier.can_reach(person):
            notifier.push(person, message, f"{queue_key(request)}:esc{level}:{person.id}")
            told += 1
    request.escalation, request.escalated_at = max(request.escalation, level), notifier.now
    store.record(session, request, "escalated", notifier.now, level=level, told=told)
    return told
