"""A test plugin loaded by name (TROLY_PLUGINS) standing in for a feature that collects its own ratings (the help
desk's 1-5 ratings of help requests): it contributes them to the satisfaction report through RATING_SUMMARIES."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import Troly
from bot.extensions import RATING_SUMMARIES, RatingSummary
from bot.storage.models import Area

LABEL = "Yêu cầu hỗ trợ"


def setup(troly: Troly) -> None:
    troly.extensions.add(RATING_SUMMARIES, summaries)


def summaries(session: Session, area_ids: list[int] | None, start: datetime, end: datetime) -> list[RatingSummary]:
    """Four ratings in village Khu 1 in December 2026 (three of them 4 or 5), one in Uông Bí."""
    found = []
    for code, ratings, satisfied in (("22-MC-K1", 4, 3), ("22-UB", 1, 0)):
        area_id = session.scalar(select(Area.id).where(Area.code == code))
        in_period = start <= datetime.fromisoformat("2026-12-03T00:00:00+07:00") < end
        if area_id is not None and in_period and (area_ids is None or area_id in area_ids):
            found.append(RatingSummary(LABEL, area_id, "2026-12", ratings, satisfied))
    return found
