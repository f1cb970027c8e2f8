"""Local time for the help desk: working hours between two clock hours, and the visit times members type
("9h sáng thứ Bảy", "14h30 5/12", "8 giờ mai"), read in the configured zone (Asia/Ho_Chi_Minh by default)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.settings import Settings
from bot.textutil import fold

_TIME = re.compile(r"(?<!\d)(\d{1,2})\s*(?:h|g|gio|:)\s*(\d{1,2}|ruoi)?(?!\d)")
_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?(?!\d)")
_WEEKDAY = re.compile(r"\b(?:thu|t)\s*(hai|ba|tu|nam|sau|bay|[2-7])\b|\b(chu nhat|cn)\b")
_WEEKDAYS = {"hai": 0, "ba": 1, "tu": 2, "nam": 3, "sau": 4, "bay": 5, **{str(n): n - 2 for n in range(2, 8)}}


def zone(settings: Settings) -> tzinfo:
    return ZoneInfo(settings.helpdesk_timezone)


def working_seconds(start: datetime, end: datetime, settings: Settings) -> float:
    """Seconds between `start` and `end` that fall within working hours, local time."""
    if end <= start:
        return 0.0
    local = zone(settings)
    opens, closes = settings.helpdesk_work_start_hour, settings.helpdesk_work_end_hour
    total, day = 0.0, start.astimezone(local).date()
    while day <= end.astimezone(local).date():
        window_start = datetime.combine(day, time(opens), local)
        window_end = datetime.combine(day, time(0), local) + timedelta(hours=closes)
        low, high = max(start, window_start), min(end, window_end)
        total += max(0.0, (high - low).total_seconds())
        day += timedelta(days=1)
    return total


def parse_visit_time(text: str, now: datetime, local: tzinfo) -> datetime | None:
    """The next moment after `now` that `text` names, or None when no hour can be read."""
    folded = fold(text)
    found = _TIME.search(folded)
    if found is None:
        return None
    hour = int(found.group(1))
    minutes = 30 if found.group(2) == "ruoi" else int(found.group(2) or 0)
    if any(word in folded for word in ("chieu", "toi", "dem")) and hour < 12:
        hour += 12
    if "trua" in folded and hour < 6:
        hour += 12
    if hour > 23 or minutes > 59:
        return None
    today = now.astimezone(local).date()
    day = _day(folded.replace(found.group(0), " "), today)
    if day is None:
        return None
    moment = datetime.combine(day, time(hour, minutes), local)
    if moment <= now and _WEEKDAY.search(folded) and not _names_day(folded):
        moment += timedelta(days=7)
    elif moment <= now and not _names_day(folded):
        moment += timedelta(days=1)
    return moment if moment > now else None


def _names_day(folded: str) -> bool:
    return bool(_DATE.search(folded) or re.search(r"\b(hom nay|mai|kia|mot)\b", folded))


def _day(folded: str, today: date) -> date | None:
    dated = _DATE.search(folded)
    if dated:
        year = int(dated.group(3)) if dated.group(3) else today.year
        year = year + 2000 if year < 100 else year
        try:
            day = date(year, int(dated.group(2)), int(dated.group(1)))
        except ValueError:
            return None
        return day.replace(year=day.year + 1) if day < today and not dated.group(3) else day
    if re.search(r"\b(ngay kia|ngay mot|mot)\b", folded):
        return today + timedelta(days=2)
    if re.search(r"\b(mai|sang mai|chieu mai)\b", folded):
        return today + timedelta(days=1)
    weekday = _WEEKDAY.search(folded)
    if weekday:
        wanted = 6 if weekday.group(2) else _WEEKDAYS[weekday.group(1)]
        return today + timedelta(days=(wanted - today.weekday()) % 7)
    return today
