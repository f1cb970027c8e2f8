"""Areas from CSV, invites from the CLI, and redeeming them in chat, on both databases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Troly
from bot.areas import AreaImportError, import_areas, parse_areas_csv, render_tree
from bot.invites import create_invite, default_team
from bot.storage.models import Area, AuditLog, Role, User
from bot.storage.types import utcnow
from tests.helpers import joined, say

SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "data" / "areas-sample.csv"


def _import_sample(app: Troly) -> None:
    with app.database.transaction() as session:
        import_areas(session, parse_areas_csv(SAMPLE.read_text(encoding="utf-8")))


def _invite(app: Troly, area_code: str, *, hours: int = 72, role: Role = Role.MEMBER) -> str:
    with app.database.transaction() as session:
        area = session.scalar(select(Area).where(Area.code == area_code))
        assert area is not None
        invite = create_invite(
            session, role=role, area=area, team=default_team(session, area), now=utcnow(), hours=hours
        )
        return invite.code


def test_sample_areas_form_a_tree(app: Troly) -> None:
    _import_sample(app)
    _import_sample(app)  # re-import updates instead of duplicating
    with app.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Area)) == 9
        tree = render_tree(session.scalars(select(Area)))
    assert "\n  22-MC  Phường Móng Cái 1  (xã/phường)\n    22-MC-K1  Khu 1  (thôn/tổ dân phố)" in tree


def test_bad_area_file_imports_nothing(app: Troly) -> None:
    bad = "code,name,level,parent_code\nA,Tỉnh A,province,\nB,Xã B,commune,ZZ\nC,Thôn C,hamlet,B\n"
    with pytest.raises(AreaImportError) as caught:
        rows = parse_areas_csv(bad)
    assert "dòng 4" in str(caught.value)
    rows = parse_areas_csv(bad.replace("hamlet", "village"))
    with pytest.raises(AreaImportError, match="dòng 3"), app.database.transaction() as session:
        import_areas(session, rows)
    with app.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Area)) == 0


def test_invite_makes_a_member_of_the_right_area_once(app: Troly) -> None:
    _import_sample(app)
    code = _invite(app, "22-MC-K1")
    reply = joined(say(app, f"/thamgia {code.lower()}", user="vol1"))
    assert "thành viên" in reply and "Khu 1" in reply
    again = joined(say(app, f"/thamgia {code}", user="vol2"))
    assert "đã được dùng" in again
    with app.database.transaction() as session:
        members = {u.channel_user_id: u for u in session.scalars(select(User))}
        assert members["vol1"].role is Role.MEMBER and members["vol1"].area.code == "22-MC-K1"  # type: ignore[union-attr]
        assert members["vol2"].role is Role.CITIZEN
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        assert actions == ["invite.redeem", "invite.redeem_failed"]


def test_expired_unknown_and_missing_codes_are_refused(app: Troly) -> None:
    _import_sample(app)
    code = _invite(app, "22-UB")
    with app.database.transaction() as session:
        from bot.storage.models import Invite

        invite = session.scalar(select(Invite).where(Invite.code == code))
        assert invite is not None
        invite.expires_at = utcnow() - timedelta(minutes=1)
    assert "hết hạn" in joined(say(app, f"/thamgia {code}"))
    assert "không đúng" in joined(say(app, "/thamgia XXXXXXXX"))
    assert "gửi kèm mã" in joined(say(app, "/thamgia"))
