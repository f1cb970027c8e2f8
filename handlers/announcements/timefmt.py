"""Vietnam time for people, UTC in the database. Vietnam has no daylight saving: UTC+7 all year."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")
_CHAT_TIME = re.compile(
    r"^\s*(\d{1,2})[:hg](\d{2})?\s*(?:(?:ngay|ngày)?\s*(\d{1,2})/(\d{1,2})(?:/(\d{4}))?)?\s*$", re.IGNORECASE
)


def local_text(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%H:%M ngày %d/%m/%Y")


def parse_iso(text: str) -> datetime:
    """`--at` values: ISO 8601; without an offset the time is read as Vietnam time."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM)
    return moment.astimezone(UTC)


def parse_chat_time(text: str, now: datetime) -> datetime | None:
    """ "14:30", "14h30", "8h", "14:30 25/12" or "14:30 25/12/2026" in Vietnam time; today's past hour → tomorrow."""
    match = _CHAT_TIME.match(text)
    if match is None:
        return None
    hour, minute, day, month, year = match.groups()
    local_now = now.astimezone(VIETNAM)
    try:
        moment = local_now.replace(hour=int(hour), minute=int(minute or 0), second=0, microsecond=0)
        if day:
            moment = moment.replace(day=int(day), month=int(month), year=int(year or local_now.year))
        elif moment <= local_now:
            moment += timedelta(days=1)
    except ValueError:
        return None
    return moment.astimezone(UTC)
