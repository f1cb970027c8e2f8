"""Recognising a household typed again: "Số 12 ngõ 5 Trần Phú" and "so 12, ngo 5 tran phu" are one house.

Addresses are compared on a folded key (no diacritics, no punctuation). Suggestions use rapidfuzz on that key
but only among addresses with the very same house numbers: "số 12" and "số 13" look alike to a fuzzy
matcher and are different houses.
"""

from __future__ import annotations

import re
from datetime import datetime

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.areas import subtree
from bot.privacy import mask_personal
from bot.storage.models import Area, User
from bot.textutil import fold
from handlers.visits.models import Household, Visit

SUGGEST_CUTOFF = 85.0
SUGGEST_LIMIT = 3
RECENT_LIMIT = 5
_NUMBERS = re.compile(r"\d+")


def address_key(address: str) -> str:
    """Folded, punctuation turned into spaces: the form two spellings of one address share."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in fold(address)).split())


def name_key(name: str) -> str:
    return address_key(name)


def find_exact(session: Session, area_id: int, address: str, head_name: str) -> Household | None:
    """The household of the area with this address and head (both compared folded)."""
    return session.scalar(
        select(Household)
        .where(
            Household.area_id == area_id,
            Household.address_key == address_key(address),
            Household.head_key == name_key(head_name),
        )
        .order_by(Household.id)
        .limit(1)
    )


def within_reach(session: Session, user: User, household: Household) -> bool:
    """Whether the household is in the user's area or below it: nobody picks (and so reads) another area's."""
    if user.area_id is None:
        return False
    return (
        session.scalar(select(Area.id).where(Area.id == household.area_id, Area.id.in_(subtree(user.area_id))))
        is not None
    )


def suggest(session: Session, user: User, address: str) -> list[Household]:
    """Known households of the user's area (and sub-areas) whose address looks like `address`, best first."""
    if user.area_id is None:
        return []
    key = address_key(address)
    numbers = _NUMBERS.findall(key)
    query = select(Household.id, Household.address_key).where(Household.area_id.in_(subtree(user.area_id)))
    rows = session.execute(query).all()
    candidates = {row.id: row.address_key for row in rows if _NUMBERS.findall(row.address_key) == numbers}
    if not candidates or not key:
        return []
    found = process.extract(
        key, candidates, scorer=fuzz.token_set_ratio, score_cutoff=SUGGEST_CUTOFF, limit=SUGGEST_LIMIT
    )
    ids = [match[2] for match in found]
    by_id = {item.id: item for item in session.scalars(select(Household).where(Household.id.in_(ids)))}
    return [by_id[item_id] for item_id in ids]


def recent_for_member(session: Session, member_id: int, limit: int = RECENT_LIMIT) -> list[Household]:
    """The member's most recently visited households, newest first."""
    latest = (
        select(Visit.household_id, func.max(Visit.created_at).label("last"))
        .where(Visit.member_id == member_id, Visit.deleted_at.is_(None))
        .group_by(Visit.household_id)
        .subquery()
    )
    query = select(Household).join(latest, latest.c.household_id == Household.id).order_by(latest.c.last.desc())
    return list(session.scalars(query.limit(limit)))


def create(session: Session, *, area_id: int, address: str, head_name: str, by: int, now: datetime) -> Household:
    address, head_name = mask_personal(address), mask_personal(head_name)
    household = Household(
        area_id=area_id,
        address=address,
        address_key=address_key(address),
        head_name=head_name,
        head_key=name_key(head_name),
        created_by_id=by,
        created_at=now,
    )
    session.add(household)
    session.flush()
    return household


def label(household: Household, limit: int = 56) -> str:
    """The household as a button label ("Số 12 ngõ 5 Trần Phú – Nguyễn Văn An"), shortened to fit."""
    text = f"{household.address} – {household.head_name}" if household.head_name else household.address
    return text if len(text) <= limit else text[: limit - 1] + "…"
