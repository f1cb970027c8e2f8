"""Who receives an announcement, and what the official is shown before confirming it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from bot.areas import subtree
from bot.channels import ChannelPolicy
from bot.storage.models import Role, Team, User
from handlers.announcements.models import Target


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    channel: str
    chat_id: str
    last_interaction_at: datetime | None


@dataclass
class ChannelCount:
    total: int = 0
    unreachable: int = 0  # outside the channel's push window (Zalo: 7 days after the user's last message)
    window_days: int = 0


@dataclass
class Preview:
    channels: dict[str, ChannelCount] = field(default_factory=dict)
    no_push: int = 0  # users on a channel that cannot push at all (the console)

    @property
    def total(self) -> int:
        return sum(count.total for count in self.channels.values()) + self.no_push


def recipients(session: Session, area_id: int, target: Target) -> list[Recipient]:
    """Subscribers of the area and its sub-areas (or its team members), minus those who blocked the bot."""
    query = select(User.id, User.channel, User.chat_id, User.last_interaction_at).where(*who(area_id, target))
    return [Recipient(*row) for row in session.execute(query.order_by(User.id))]


def who(area_id: int, target: Target) -> list[ColumnElement[bool]]:
    """The conditions on users that make them recipients (for set-based statements: no list in Python)."""
    found = [User.blocked.is_(False), User.chat_id != ""]
    if target is Target.TEAM:
        teams = select(Team.id).where(Team.area_id.in_(subtree(area_id)))
        return [*found, User.team_id.in_(teams), User.role.in_([Role.MEMBER, Role.LEADER])]
    return [*found, User.subscribed_area_id.in_(subtree(area_id))]


def count_recipients(
    session: Session,
    area_id: int,
    target: Target,
    policies: dict[str, ChannelPolicy],
    pushable: set[str],
    now: datetime,
) -> Preview:
    """What `preview` says of `recipients`, counted by the database (a province has 200,000 subscribers)."""
    late = [
        and_(User.channel == name, or_(User.last_interaction_at.is_(None), User.last_interaction_at <= now - window))
        for name, policy in policies.items()
        if (window := policy.push_window) is not None
    ]
    unreachable = func.count().filter(or_(*late)) if late else func.count().filter(false())
    query = select(User.channel, func.count(), unreachable).where(*who(area_id, target)).group_by(User.channel)
    result = Preview()
    for channel, total, late_count in session.execute(query):
        if channel not in pushable:
            result.no_push += total
            continue
        policy = policies.get(channel)
        window = policy.push_window if policy is not None else None
        result.channels[channel] = ChannelCount(total, late_count, window.days if window is not None else 0)
    return result


def push_channels(plugins: Iterable[ModuleType]) -> set[str]:
    """Channels whose plugin can push messages at all (it defines `make_sender`), configured or not."""
    names = set()
    for plugin in plugins:
        if callable(getattr(plugin, "make_sender", None)) and callable(getattr(plugin, "channel_policy", None)):
            names.add(plugin.channel_policy().name)
    return names


def preview(
    people: Iterable[Recipient], policies: dict[str, ChannelPolicy], pushable: set[str], now: datetime
) -> Preview:
    result = Preview()
    for person in people:
        if person.channel not in pushable:
            result.no_push += 1
            continue
        count = result.channels.setdefault(person.channel, ChannelCount())
        count.total += 1
        policy = policies.get(person.channel)
        if policy is not None and policy.push_window is not None:
            count.window_days = policy.push_window.days
        if policy is not None and not policy.can_push(person.last_interaction_at, now):
            count.unreachable += 1
    return result
