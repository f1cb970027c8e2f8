"""Which household a typed address and head of household mean, and when a correction renames one.

Households are recognised on folded keys ("Nguyen Van An" and "Nguyễn Văn An" are one household), so a
member who fixes a misspelling in /sua used to land on the very household they were correcting: the summary
showed the new spelling and the old one was saved. The rules now:

* the typed household is another known one: the visit moves there, shown with its stored spelling;
* it is the visit's own household spelt differently, or a new spelling of a household that only this visit
  refers to: the household is corrected in place (audited as `household.update`);
* a new spelling of a household other visits refer to: in the dialog the member chooses between correcting
  it (if they may: whoever recorded it, or a leader, official or admin of its area) and a new household.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.storage.models import Role, User
from handlers.visits import households
from handlers.visits.models import Household, Visit

EDITORS = frozenset({Role.LEADER, Role.OFFICIAL, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Decision:
    household_id: int | None  # the household the visit belongs to; None: a new household
    rename: bool = False  # correct that household's address and head to the typed spelling
    ask: bool = False  # the member may correct a shared household: ask whether that is what they mean


def decide(
    session: Session, user: User, address: str, head_name: str, current: Household | None, visit_id: int | None
) -> Decision:
    """What the typed address and head mean for a visit whose household is `current` (None: a new visit)."""
    found = households.find_exact(session, user.area_id, address, head_name) if user.area_id else None
    if current is not None and found is not None and found.id == current.id:
        differs = (current.address, current.head_name) != (address, head_name)
        return Decision(current.id, rename=differs and may_rename(session, user, current, visit_id))
    if found is not None:
        return Decision(found.id)
    if current is not None and not other_visits(session, current, visit_id):
        return Decision(current.id, rename=True)  # nothing else refers to it: correcting it is the same thing
    if current is not None and may_rename(session, user, current, visit_id):
        return Decision(None, ask=True)
    return Decision(None)


def other_visits(session: Session, household: Household, visit_id: int | None) -> int:
    """Visits of the household other than `visit_id`, deleted ones included (the audit still shows them)."""
    query = select(func.count()).select_from(Visit).where(Visit.household_id == household.id)
    if visit_id is not None:
        query = query.where(Visit.id != visit_id)
    return session.scalar(query) or 0


def may_rename(session: Session, user: User, household: Household, visit_id: int | None) -> bool:
    """Whoever recorded the household, or a leader, official or admin whose area covers it, or anyone when
    no other visit refers to it."""
    if not households.within_reach(session, user, household):
        return False
    return user.role in EDITORS or household.created_by_id == user.id or not other_visits(session, household, visit_id)


def rename(household: Household, address: str, head_name: str) -> dict[str, dict[str, str]]:
    """Correct the household's spelling (text already masked); returns the audit details (before/after)."""
    before = {"address": household.address, "head_name": household.head_name}
    household.address, household.address_key = address, households.address_key(address)
    household.head_name, household.head_key = head_name, households.name_key(head_name)
    return {"before": before, "after": {"address": address, "head_name": head_name}}
