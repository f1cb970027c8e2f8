"""Who an announcement will not reach by message, and handing them to the teams to inform in person.

A channel with a window (Zalo: 7 days after the resident's last interaction) will not carry an announcement
to a resident who has been quiet too long. The official is shown, before confirming, where those residents
live: the areas they subscribed to and how many in each, nothing else (no names, no ids: an official sees
their area's figures, not its residents). They may then send it and ask the teams to inform those areas in
person: each area's team leaders (or, without a leader, its members) get a task with the text to pass on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.areas import subtree
from bot.channels import ChannelPolicy
from bot.context import Context
from bot.messages import Outbound
from bot.storage.models import Area, Role, Team, User

MAX_AREAS = 12


@dataclass(frozen=True, slots=True)
class QuietArea:
    area_id: int
    name: str
    people: int


def quiet_areas(
    session: Session, area_id: int, policies: Mapping[str, ChannelPolicy], pushable: set[str], now: datetime
) -> list[QuietArea]:
    """The subscribed areas of residents outside their channel's window, most people first."""
    windowed = [
        (name, policy) for name, policy in policies.items() if name in pushable and policy.push_window is not None
    ]
    if not windowed:
        return []
    outside = or_(
        *(
            (User.channel == name)
            & (User.last_interaction_at.is_(None) | (User.last_interaction_at <= now - policy.push_window))
            for name, policy in windowed
            if policy.push_window is not None
        )
    )
    rows = session.execute(
        select(Area.id, Area.name, func.count(User.id))
        .join(Area, Area.id == User.subscribed_area_id)
        .where(User.subscribed_area_id.in_(subtree(area_id)), User.blocked.is_(False), outside)
        .group_by(Area.id, Area.name)
        .order_by(func.count(User.id).desc(), Area.name)
    )
    return [QuietArea(row[0], row[1], row[2]) for row in rows]


def describe(areas: list[QuietArea]) -> str:
    shown = ", ".join(f"{area.name} ({area.people} người)" for area in areas[:MAX_AREAS])
    more = f" và {len(areas) - MAX_AREAS} khu vực khác" if len(areas) > MAX_AREAS else ""
    return (
        f"Người đăng ký chưa nhận được qua tin nhắn ở: {shown}{more}. "
        "Bạn có thể chọn «Gửi và nhờ tổ báo tận nơi» để giao việc cho tổ ở các khu vực này."
    )


def hand_to_teams(ctx: Context, number: int, text: str, areas: list[QuietArea]) -> tuple[int, list[QuietArea]]:
    """Queue a task for the teams of each quiet area; returns how many people were asked, and the areas
    without any team to ask."""
    asked, uncovered = 0, []
    for area in areas:
        informers = _informers(ctx.session, area.area_id)
        if not informers:
            uncovered.append(area)
        for person in informers:
            task = (
                f"Việc cho tổ: thông báo #{number} không gửi được qua tin nhắn tới {area.people} người đăng ký ở "
                f"{area.name} (họ đã lâu không nhắn tin cho trợ lý nên kênh không cho gửi). "
                f"Nhờ tổ báo tận nơi cho bà con nội dung sau:\n\n{text}"
            )
            ctx.push(person, Outbound(task), key=f"announce:{number}:inform:{area.area_id}:{person.id}")
            asked += 1
    return asked, uncovered


def _informers(session: Session, area_id: int) -> list[User]:
    """The leaders (else members) of the closest teams: the area's own team, else its parent area's."""
    current: int | None = area_id
    while current is not None:
        teams = select(Team.id).where(Team.area_id == current)
        people = list(
            session.scalars(
                select(User)
                .where(User.team_id.in_(teams), User.role.in_([Role.LEADER, Role.MEMBER]), User.blocked.is_(False))
                .order_by(User.id)
            )
        )
        leaders = [person for person in people if person.role is Role.LEADER]
        if leaders or people:
            return leaders or people
        current = session.scalar(select(Area.parent_id).where(Area.id == current))
    return []
