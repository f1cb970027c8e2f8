"""The help desk's 1–5 ratings in the satisfaction report of another feature (bot.extensions.RATING_SUMMARIES):
counts per area and month, a rating of 4 or 5 counting as satisfied. Nothing here knows who reads them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.extensions import RatingSummary
from handlers.helpdesk.models import HelpRequest

LABEL = "Yêu cầu hỗ trợ"
SATISFIED_FROM = 4

Summaries = Callable[[Session, list[int] | None, datetime, datetime], list[RatingSummary]]


def rating_summaries(timezone: str) -> Summaries:
    local = ZoneInfo(timezone)

    def summaries(session: Session, area_ids: list[int] | None, start: datetime, end: datetime) -> list[RatingSummary]:
        query = select(HelpRequest.area_id, HelpRequest.rated_at, HelpRequest.rating).where(
            HelpRequest.rating.is_not(None), HelpRequest.rated_at >= start, HelpRequest.rated_at < end
        )
        if area_ids is not None:
            query = query.where(HelpRequest.area_id.in_(area_ids))
        ratings: Counter[tuple[int, str]] = Counter()
        satisfied: Counter[tuple[int, str]] = Counter()
        for area_id, rated_at, rating in session.execute(query):
            if rated_at is None or rating is None:
                continue
            key = (area_id, rated_at.astimezone(local).strftime("%Y-%m"))
            ratings[key] += 1
            satisfied[key] += rating >= SATISFIED_FROM
        return [
            RatingSummary(LABEL, area, month, count, satisfied[(area, month)])
            for (area, month), count in ratings.items()
        ]

    return summaries
