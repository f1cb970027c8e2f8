"""Saving, finding, correcting and deleting visits: the rules the chat flows and the CLI share.

Double submission: a visit with the same member, household, services and outcome as one saved in the last
two minutes is the same visit sent twice (a double tap, a retried message with a new id); it is not stored
again, and the caller shows the visit already saved. The member's row is locked first, so two such messages
handled at the same moment cannot both insert (SQLite serialises writers anyway).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.messages import Location
from bot.privacy import mask_personal
from bot.storage.models import User
from handlers.visits import corrections, households
from handlers.visits.catalogue import OUTCOME_LABELS, Outcome, service_labels
from handlers.visits.models import Household, Visit, VisitService
from handlers.visits.parsing import VisitDraft

DUPLICATE_WINDOW = timedelta(minutes=2)
EDIT_WINDOW = timedelta(hours=24)
VIETNAM = timezone(timedelta(hours=7), "ICT")  # Vietnam has no daylight saving time
NO_AREA = (
    "Tài khoản của bạn chưa được gán khu vực nên chưa ghi nhận được. "
    "Bạn nhờ tổ trưởng cấp mã mời mới (/thamgia MÃ) nhé."
)


class VisitRefused(Exception):
    """The visit cannot be saved or changed; the message is ready for the user."""


def masked(draft: VisitDraft) -> VisitDraft:
    """No citizen ID numbers, phone numbers cut to their last 3 digits, in every free-text part."""
    return replace(
        draft,
        address=mask_personal(draft.address),
        head_name=mask_personal(draft.head_name),
        note=mask_personal(draft.note),
    )


def resolve_household(session: Session, user: User, draft: VisitDraft, now: datetime) -> Household:
    """The household picked in the dialog, the same address and head already known, or a new household."""
    area_id = _area_of(user)
    if draft.household_id is not None:
        household = session.get(Household, draft.household_id)
        if household is None or not households.within_reach(session, user, household):
            raise VisitRefused("Mình không tìm thấy hộ dân này trong khu vực của bạn. Bạn gõ lại địa chỉ nhé.")
        return household
    found = households.find_exact(session, area_id, draft.address, draft.head_name)
    if found is not None:
        return found
    return households.create(
        session, area_id=area_id, address=draft.address, head_name=draft.head_name, by=user.id, now=now
    )


def save_visit(
    session: Session, user: User, draft: VisitDraft, now: datetime, location: Location | None = None
) -> tuple[Visit, bool]:
    """Store the visit, or return the same visit saved moments ago. Returns (visit, newly_created)."""
    session.scalar(select(User.id).where(User.id == user.id).with_for_update())
    draft = masked(draft)
    household = resolve_household(session, user, draft, now)
    existing = _recent_duplicate(session, user.id, household.id, draft, now)
    if existing is not None:
        return existing, False
    visit = Visit(
        member_id=user.id,
        team_id=user.team_id,
        area_id=household.area_id,
        household_id=household.id,
        outcome=draft.outcome.value,
        people_helped=draft.people_helped,
        note=draft.note,
        latitude=location.latitude if location else None,
        longitude=location.longitude if location else None,
        created_at=now,
        updated_at=now,
        services=[VisitService(service_code=code) for code in draft.services],
    )
    session.add(visit)
    session.flush()
    return visit, True


def _recent_duplicate(
    session: Session, member_id: int, household_id: int, draft: VisitDraft, now: datetime
) -> Visit | None:
    candidates = session.scalars(
        select(Visit).where(
            Visit.member_id == member_id,
            Visit.household_id == household_id,
            Visit.outcome == draft.outcome.value,
            Visit.deleted_at.is_(None),
            Visit.created_at >= now - DUPLICATE_WINDOW,
        )
    )
    wanted = sorted(draft.services)
    return next((visit for visit in candidates if sorted(visit.service_codes) == wanted), None)


def last_visit(session: Session, member_id: int) -> Visit | None:
    """The member's latest visit that is not deleted."""
    return session.scalar(
        select(Visit)
        .where(Visit.member_id == member_id, Visit.deleted_at.is_(None))
        .order_by(Visit.created_at.desc(), Visit.id.desc())
        .limit(1)
    )


def editable_last_visit(session: Session, member_id: int, now: datetime) -> Visit:
    """The last visit, when it can still be corrected or deleted (within 24 hours of logging it)."""
    visit = last_visit(session, member_id)
    if visit is None:
        raise VisitRefused("Bạn chưa có lượt thăm nào để sửa hoặc xóa. Gửi /ghinhan để ghi nhận lượt mới.")
    if now - visit.created_at > EDIT_WINDOW:
        raise VisitRefused(
            f"Lượt thăm gần nhất của bạn (#{visit.id}, {local_time(visit.created_at)}) đã quá 24 giờ nên không "
            "sửa hay xóa được nữa. Nếu cần điều chỉnh, bạn báo tổ trưởng nhé."
        )
    return visit


def snapshot(visit: Visit) -> dict[str, object]:
    """What the audit log keeps of a visit before and after a change (already masked text only)."""
    return {
        "household_id": visit.household_id,
        "address": visit.household.address,
        "head_name": visit.household.head_name,
        "services": visit.service_codes,
        "outcome": visit.outcome,
        "people_helped": visit.people_helped,
        "note": visit.note,
    }


def apply_changes(
    session: Session, user: User, visit: Visit, draft: VisitDraft, now: datetime, *, rename: bool = False
) -> dict[str, dict[str, str]] | None:
    """Replace the visit's content with `draft` (household included, see corrections.py); `rename`: the member
    chose to correct the spelling of the visit's household. Returns the household correction, if any."""
    draft = masked(draft)
    household, correction = _corrected_household(session, user, visit, draft, now, rename)
    visit.household_id, visit.area_id = household.id, household.area_id
    visit.household = household
    visit.outcome, visit.people_helped, visit.note = draft.outcome.value, draft.people_helped, draft.note
    kept = [item for item in visit.services if item.service_code in draft.services]
    have = {item.service_code for item in kept}
    visit.services = kept + [VisitService(service_code=code) for code in draft.services if code not in have]
    visit.updated_at = now
    session.flush()
    return correction


def _corrected_household(
    session: Session, user: User, visit: Visit, draft: VisitDraft, now: datetime, rename: bool
) -> tuple[Household, dict[str, dict[str, str]] | None]:
    current = visit.household
    if draft.household_id is None:
        decision = corrections.decide(session, user, draft.address, draft.head_name, current, visit.id)
        if decision.household_id is None:
            return resolve_household(session, user, draft, now), None
        draft, rename = replace(draft, household_id=decision.household_id), decision.rename
    if not rename or draft.household_id != current.id:
        return resolve_household(session, user, draft, now), None
    if not corrections.may_rename(session, user, current, visit.id):
        raise VisitRefused(
            "Hộ này còn có lượt thăm khác và do người khác ghi, nên bạn chưa sửa được cách viết. "
            "Bạn nhờ tổ trưởng sửa giúp nhé; lượt thăm của bạn chưa được thay đổi."
        )
    if (current.address, current.head_name) == (draft.address, draft.head_name):
        return current, None
    return current, corrections.rename(current, draft.address, draft.head_name)


def draft_of(visit: Visit) -> VisitDraft:
    return VisitDraft(
        address=visit.household.address,
        head_name=visit.household.head_name,
        services=tuple(visit.service_codes),
        outcome=Outcome(visit.outcome),
        people_helped=visit.people_helped,
        note=visit.note,
        household_id=visit.household_id,
    )


def local_time(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def describe(visit: Visit) -> str:
    """A visit as the member reads it back."""
    household = visit.household
    lines = [
        f"Lượt thăm #{visit.id} lúc {local_time(visit.created_at)}",
        f"Hộ: {household.address}" + (f" – chủ hộ {household.head_name}" if household.head_name else ""),
        f"Dịch vụ: {'; '.join(service_labels(visit.service_codes))}",
        f"Kết quả: {OUTCOME_LABELS[Outcome(visit.outcome)]} · {visit.people_helped} người được hỗ trợ",
    ]
    if visit.note:
        lines.append(f"Ghi chú: {visit.note}")
    if visit.latitude is not None:
        lines.append("Vị trí: đã ghi")
    return "\n".join(lines)


def _area_of(user: User) -> int:
    if user.area_id is None:
        raise VisitRefused(NO_AREA)
    return user.area_id
