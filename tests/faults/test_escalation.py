"""Privilege probes: an invite never moves or lowers a leader, official or admin, and invite codes cannot be
guessed (5 wrong codes an hour per user, each audited)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.app import Troly
from bot.invites import FAILED_ACTION, REFUSED_ACTION
from bot.storage.models import AuditLog, Invite, Role, User
from bot.storage.types import utcnow
from tests.helpers import joined
from tests.visits_helpers import import_sample, invite_code, join, make_official, say_as


@pytest.fixture
def ward(app: Troly) -> Troly:
    import_sample(app)
    return app


def _user(app: Troly, name: str) -> User:
    with app.database.transaction() as session:
        user = session.scalar(select(User).where(User.channel_user_id == name))
        assert user is not None
        session.expunge(user)
        return user


def _area_code(app: Troly, user: User) -> str | None:
    with app.database.transaction() as session:
        fresh = session.get(User, user.id)
        assert fresh is not None
        return fresh.area.code if fresh.area else None


def _audits(app: Troly, action: str) -> list[AuditLog]:
    with app.database.transaction() as session:
        rows = list(session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))
        session.expunge_all()
        return rows


def _redeemed(app: Troly, code: str) -> bool:
    with app.database.transaction() as session:
        invite = session.scalar(select(Invite).where(Invite.code == code))
        assert invite is not None
        return invite.redeemed_at is not None


def test_an_official_redeeming_a_member_invite_of_another_area_stays_where_they_are(ward: Troly) -> None:
    make_official(ward, "can_bo", "22-MC")
    code = invite_code(ward, "22-UB-K3")
    reply = joined(say_as(ward, f"/thamgia {code}", "can_bo"))
    assert "cán bộ" in reply and "quản trị viên" in reply and "Chào mừng" not in reply
    official = _user(ward, "can_bo")
    assert official.role is Role.OFFICIAL and _area_code(ward, official) == "22-MC"
    assert not _redeemed(ward, code)  # the code is still good for the volunteer it was meant for
    (refusal,) = _audits(ward, REFUSED_ACTION)
    assert refusal.actor_user_id == official.id and refusal.details["role"] == "official"
    # and so the official cannot announce to Uông Bí's residents
    say_as(ward, "/thongbao Lịch làm VNeID tại nhà văn hóa khu 3 sáng thứ Bảy", "can_bo")
    assert "ngoài phạm vi" in joined(say_as(ward, "22-UB", "can_bo"))


@pytest.mark.parametrize("role", [Role.LEADER, Role.ADMIN])
def test_leaders_and_admins_are_neither_moved_nor_lowered(ward: Troly, role: Role) -> None:
    join(ward, "to_truong", "22-MC-K1", role=Role.LEADER)
    if role is Role.ADMIN:
        with ward.database.transaction() as session:
            session.execute(update(User).where(User.channel_user_id == "to_truong").values(role=Role.ADMIN))
    before = _user(ward, "to_truong")
    code = invite_code(ward, "22-UB-K3", Role.MEMBER)
    assert "Chào mừng" not in joined(say_as(ward, f"/thamgia {code}", "to_truong"))
    after = _user(ward, "to_truong")
    assert (after.role, after.area_id, after.team_id) == (role, before.area_id, before.team_id)
    assert not _redeemed(ward, code)


def test_invites_still_raise_citizens_and_members(ward: Troly) -> None:
    join(ward, "lan", "22-MC-K1")
    assert "tổ trưởng" in joined(say_as(ward, f"/thamgia {invite_code(ward, '22-MC-K2', Role.LEADER)}", "lan"))
    lan = _user(ward, "lan")
    assert lan.role is Role.LEADER and _area_code(ward, lan) == "22-MC-K2"
    join(ward, "minh", "22-MC-K1")
    join(ward, "minh", "22-UB-K3")  # a member may move to another team with a new invite
    assert _area_code(ward, _user(ward, "minh")) == "22-UB-K3"


def test_wrong_codes_are_audited_and_locked_out_after_five_an_hour(ward: Troly) -> None:
    guesses = ["AAAAAAAA", "BBBBBBBB", "CCCCCCCC", "DDDDDDDD", "EEEEEEEE"]
    for guess in guesses:
        assert "không đúng" in joined(say_as(ward, f"/thamgia {guess}", "ke_do"))
    real = invite_code(ward, "22-MC-K1")
    locked = joined(say_as(ward, f"/thamgia {real}", "ke_do"))
    assert "sai mã mời 5 lần" in locked and "phút" in locked
    assert not _redeemed(ward, real) and _user(ward, "ke_do").role is Role.CITIZEN
    failures = _audits(ward, FAILED_ACTION)
    assert [row.details["code"] for row in failures] == guesses
    assert {row.actor_user_id for row in failures} == {_user(ward, "ke_do").id}
    assert {row.details["reason"] for row in failures} == {"unknown"}
    # Someone else is not locked out by another user's guesses.
    assert "Chào mừng" in joined(say_as(ward, f"/thamgia {real}", "lan"))
    # The window slides: an hour after the first failures, the user may try again.
    with ward.database.transaction() as session:
        session.execute(
            update(AuditLog).where(AuditLog.action == FAILED_ACTION).values(at=utcnow() - timedelta(minutes=61))
        )
    assert "Chào mừng" in joined(say_as(ward, f"/thamgia {invite_code(ward, '22-MC-K1')}", "ke_do"))


def test_used_and_expired_codes_count_as_failures(ward: Troly) -> None:
    code = invite_code(ward, "22-MC-K1")
    assert "Chào mừng" in joined(say_as(ward, f"/thamgia {code}", "lan"))
    assert "đã được dùng" in joined(say_as(ward, f"/thamgia {code}", "ke_do"))
    second = invite_code(ward, "22-MC-K1")
    with ward.database.transaction() as session:
        session.execute(update(Invite).values(expires_at=Invite.created_at))
    assert "hết hạn" in joined(say_as(ward, f"/thamgia {second}", "ke_do"))
    assert [row.details["reason"] for row in _audits(ward, FAILED_ACTION)] == ["used", "expired"]
