"""Single-use, expiring invite codes that turn a chat user into a team member (or leader) of an area."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Area, Invite, Role, Team, User

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
INVITABLE_ROLES = (Role.MEMBER, Role.LEADER)
_RANK = {Role.CITIZEN: 0, Role.MEMBER: 1, Role.LEADER: 2, Role.OFFICIAL: 3, Role.ADMIN: 4}


class InviteRefused(Exception):
    """The code cannot be redeemed; the message is ready to show the user."""


@dataclass(frozen=True, slots=True)
class Redemption:
    role: Role
    team_name: str
    area_name: str


def default_team(session: Session, area: Area, name: str | None = None) -> Team:
    """The named team of the area, or its default team, created on first use."""
    team_name = name or f"Tổ công nghệ số cộng đồng {area.name}"
    team = session.scalar(select(Team).where(Team.area_id == area.id, Team.name == team_name))
    if team is None:
        team = Team(name=team_name, area_id=area.id)
        session.add(team)
        session.flush()
    return team


def create_invite(session: Session, *, role: Role, area: Area, team: Team, now: datetime, hours: int) -> Invite:
    if role not in INVITABLE_ROLES:
        raise ValueError(f"invites are for {', '.join(r.value for r in INVITABLE_ROLES)}, not {role.value}")
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    invite = Invite(
        code=code,
        role=role,
        area_id=area.id,
        team_id=team.id,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(invite)
    session.flush()
    return invite


def redeem_invite(session: Session, user: User, code: str, now: datetime) -> Redemption:
    """Make `user` a member of the invite's team; refuse unknown, used or expired codes."""
    normalized = code.strip().upper().replace(" ", "").replace("-", "")
    if not normalized:
        raise InviteRefused("Bạn hãy gửi kèm mã mời, ví dụ: /thamgia ABCD2345")
    invite = session.scalar(select(Invite).where(Invite.code == normalized).with_for_update())
    if invite is None:
        raise InviteRefused("Mã mời không đúng. Bạn kiểm tra lại mã (8 ký tự) hoặc xin tổ trưởng mã mới nhé.")
    if invite.redeemed_at is not None:
        raise InviteRefused("Mã mời này đã được dùng rồi. Mỗi mã chỉ dùng được một lần; bạn xin tổ trưởng mã mới nhé.")
    if invite.expires_at <= now:
        raise InviteRefused("Mã mời này đã hết hạn. Bạn xin tổ trưởng hoặc cán bộ phụ trách cấp mã mới nhé.")
    invite.redeemed_at, invite.redeemed_by_id = now, user.id
    if _RANK[invite.role] > _RANK[user.role]:
        user.role = invite.role
    user.team_id, user.area_id = invite.team_id, invite.area_id
    return Redemption(role=user.role, team_name=invite.team.name, area_name=invite.area.name)
