"""Single-use, expiring invite codes that turn a chat user into a team member (or leader) of an area.

An invite only ever raises a citizen or a member: a leader, official or admin who redeems one would be moved
to the invite's area with their rank (an official of A announcing to B's residents), so they are refused and
only an explicit admin action (`troly users grant`) changes their role or area. Codes are 8 characters of a
31-letter alphabet, and each user may get a code wrong 5 times an hour: guessing is hopeless, and every
failure is in the audit log (`invite.redeem_failed`) for whoever looks into a suspicious account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.storage.models import Area, AuditLog, Invite, Role, Team, User

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
INVITABLE_ROLES = (Role.MEMBER, Role.LEADER)
_RANK = {Role.CITIZEN: 0, Role.MEMBER: 1, Role.LEADER: 2, Role.OFFICIAL: 3, Role.ADMIN: 4}
KEEP_THEIR_PLACE = frozenset({Role.LEADER, Role.OFFICIAL, Role.ADMIN})  # never moved or lowered by an invite
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=1)
FAILED_ACTION = "invite.redeem_failed"
REFUSED_ACTION = "invite.redeem_refused"
ROLE_LABELS = {Role.LEADER: "tổ trưởng", Role.OFFICIAL: "cán bộ", Role.ADMIN: "quản trị viên"}


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
    """Make `user` a member of the invite's team; refuse unknown, used or expired codes (counted and audited),
    users who got codes wrong too often, and users whose role an invite must not touch."""
    normalized = code.strip().upper().replace(" ", "").replace("-", "")
    if not normalized:
        raise InviteRefused("Bạn hãy gửi kèm mã mời, ví dụ: /thamgia ABCD2345")
    _check_not_locked_out(session, user, now)
    invite = session.scalar(select(Invite).where(Invite.code == normalized[:32]).with_for_update())
    if invite is None:
        _fail(session, user, now, normalized, "unknown")
        raise InviteRefused("Mã mời không đúng. Bạn kiểm tra lại mã (8 ký tự) hoặc xin tổ trưởng mã mới nhé.")
    if invite.redeemed_at is not None:
        _fail(session, user, now, normalized, "used")
        raise InviteRefused("Mã mời này đã được dùng rồi. Mỗi mã chỉ dùng được một lần; bạn xin tổ trưởng mã mới nhé.")
    if invite.expires_at <= now:
        _fail(session, user, now, normalized, "expired")
        raise InviteRefused("Mã mời này đã hết hạn. Bạn xin tổ trưởng hoặc cán bộ phụ trách cấp mã mới nhé.")
    if user.role in KEEP_THEIR_PLACE:
        _audit(session, user, now, REFUSED_ACTION, {"code": normalized, "role": user.role.value})
        raise InviteRefused(
            f"Bạn đang là {ROLE_LABELS[user.role]}, nên mã mời không đổi vai trò hay khu vực của bạn "
            "(mã vẫn còn dùng được cho người khác). Nếu cần đổi, quản trị viên sẽ cấp lại vai trò cho bạn."
        )
    invite.redeemed_at, invite.redeemed_by_id = now, user.id
    if _RANK[invite.role] > _RANK[user.role]:
        user.role = invite.role
    user.team_id, user.area_id = invite.team_id, invite.area_id
    return Redemption(role=user.role, team_name=invite.team.name, area_name=invite.area.name)


def _check_not_locked_out(session: Session, user: User, now: datetime) -> None:
    """Refuse, without looking at the code, a user who got MAX_FAILURES codes wrong within the window."""
    failures = (
        select(func.count(), func.min(AuditLog.at))
        .where(AuditLog.action == FAILED_ACTION, AuditLog.actor_user_id == user.id)
        .where(AuditLog.at > now - FAILURE_WINDOW)
    )
    count, oldest = session.execute(failures).one()
    if count >= MAX_FAILURES:
        minutes = max(1, int((oldest + FAILURE_WINDOW - now).total_seconds() // 60) + 1)
        raise InviteRefused(
            f"Bạn đã nhập sai mã mời {count} lần trong một giờ qua. Để giữ an toàn, bạn thử lại sau khoảng "
            f"{minutes} phút, và nhờ tổ trưởng đọc lại mã giúp nhé."
        )


def _fail(session: Session, user: User, now: datetime, code: str, reason: str) -> None:
    _audit(session, user, now, FAILED_ACTION, {"code": code[:16], "reason": reason})


def _audit(session: Session, user: User, now: datetime, action: str, details: dict[str, str]) -> None:
    label = f"{user.channel}:{user.id}"
    session.add(AuditLog(at=now, actor_user_id=user.id, actor_label=label, action=action, details=details))
