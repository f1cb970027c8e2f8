"""Recording the plan's targets and the indicators they measure, with the checks an official's form needs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.console import ConsoleInvalid
from bot.textutil import fold
from handlers.dashboard.models import Indicator, Target

BASES = {"adults": "người trưởng thành", "households": "hộ gia đình"}
MAX_INDICATORS = 40


def parse_percent(text: str) -> float:
    """ "95", "95,5" or "95.5%" → 95.5; refused when not a number in (0, 100]."""
    cleaned = text.strip().rstrip("%").strip().replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        raise ConsoleInvalid(f"Chỉ tiêu «{text[:20]}» không phải là số phần trăm (ví dụ: 95 hoặc 50,5).") from None
    if not 0 < value <= 100:
        raise ConsoleInvalid(f"Chỉ tiêu phải lớn hơn 0% và không quá 100% (đang là {cleaned}%).")
    return round(value, 2)


def parse_deadline(text: str, today: date) -> date:
    try:
        deadline = date.fromisoformat(text.strip())
    except ValueError:
        raise ConsoleInvalid("Hạn hoàn thành phải là một ngày (năm-tháng-ngày, ví dụ 2026-12-31).") from None
    if deadline < today:
        raise ConsoleInvalid(f"Hạn hoàn thành {deadline:%d/%m/%Y} đã qua; hãy chọn một ngày từ hôm nay trở đi.")
    return deadline


def save_target(session: Session, area_id: int, form: Mapping[str, str], by: int, now: datetime, today: date) -> Target:
    """Create or replace the area's target for an indicator from the form's fields."""
    code = form.get("indicator", "")
    if session.get(Indicator, code) is None:
        raise ConsoleInvalid("Chỉ số không có trong danh sách; hãy chọn lại.")
    percent = parse_percent(form.get("percent", ""))
    deadline = parse_deadline(form.get("deadline", ""), today)
    source = form.get("source", "").strip()[:300]
    target = session.scalar(select(Target).where(Target.area_id == area_id, Target.indicator_code == code))
    if target is None:
        target = Target(area_id=area_id, indicator_code=code, percent=percent, deadline=deadline, updated_at=now)
        session.add(target)
    target.percent, target.deadline, target.source = percent, deadline, source
    target.updated_by_id, target.updated_at = by, now
    session.flush()
    return target


def add_indicator(session: Session, form: Mapping[str, str], services: Sequence[str]) -> Indicator:
    """An indicator an official names ("Ứng dụng Hải Phòng số"), counted from the services they tick."""
    name = " ".join(form.get("name", "").split())[:200]
    if len(name) < 3:
        raise ConsoleInvalid("Tên chỉ số cần ít nhất 3 ký tự.")
    basis = form.get("basis", "adults")
    if basis not in BASES:
        raise ConsoleInvalid("Hãy chọn chỉ số tính theo người trưởng thành hay theo hộ gia đình.")
    chosen = [code for code in services if form.get(f"service_{code}") == "1"]
    if not chosen:
        raise ConsoleInvalid("Hãy chọn ít nhất một dịch vụ được tính cho chỉ số này.")
    code = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:32] or "chi-so"
    if session.get(Indicator, code) is not None:
        raise ConsoleInvalid(f"Đã có chỉ số mang tên gần giống «{name}».")
    if (session.scalar(select(func.count()).select_from(Indicator)) or 0) >= MAX_INDICATORS:
        raise ConsoleInvalid(f"Đã đủ {MAX_INDICATORS} chỉ số; hãy bớt chỉ số không dùng.")
    indicator = Indicator(code=code, name=name, basis=basis, service_codes=chosen, position=200, builtin=False)
    session.add(indicator)
    session.flush()
    return indicator
