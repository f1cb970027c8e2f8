"""`troly announce` and `troly announce status` as an operator runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.app import create_app
from bot.settings import Settings
from bot.storage.models import AuditLog
from handlers.announcements.models import Announcement
from handlers.announcements.timefmt import VIETNAM
from tests.announce_helpers import PLUGINS, add_residents, import_sample
from tests.test_cli import troly

ENV = {"TROLY_PLUGINS": ",".join(PLUGINS)}


def test_announce_queues_and_reports_status(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    app = create_app(make_settings(plugins=PLUGINS))
    import_sample(app)
    add_residents(app, "22-MC-K2", 4)
    add_residents(app, "22-MC", 1, prefix="console", channel="console")
    queued = troly("announce", "--area", "22-MC", "--text", "Tiêm chủng sáng Chủ nhật tại trạm y tế.", env=ENV)
    assert queued.returncode == 0, queued.stderr
    number = int(queued.stdout.strip().splitlines()[-1])
    assert "5 người nhận" in queued.stdout
    report = troly("announce", "status", str(number), "--json", env=ENV)
    assert report.returncode == 0, report.stderr
    status = json.loads(report.stdout)
    assert status["id"] == number and status["area"] == "22-MC" and status["created_by"] == "cli"
    assert status["created_by_name"] == "quản trị viên (dòng lệnh)"
    assert status["channels"]["loopback"]["queued"] == 4
    assert status["channels"]["console"]["skipped"] == 1
    assert status["reasons"] == {"no_push_channel": 1} and status["uncertain"] == 0 and status["done"] is False
    text = troly("announce", "status", str(number), env=ENV).stdout
    assert "loopback: đang chờ gửi 4" in text and "kênh không hỗ trợ gửi thông báo: 1" in text
    with app.database.transaction() as session:
        audit = session.scalar(select(AuditLog).where(AuditLog.action == "announcement.create"))
        assert audit is not None and audit.actor_label == "cli" and audit.details["recipients"] == 5
    cancelled = troly("announce", "cancel", str(number), env=ENV)
    assert cancelled.returncode == 0 and "Đã hủy 4 tin" in cancelled.stdout
    after = json.loads(troly("announce", "status", str(number), "--json", env=ENV).stdout)
    assert after["done"] is True and after["reasons"] == {"no_push_channel": 1, "cancelled": 4}
    assert troly("announce", "cancel", "999", env=ENV).returncode == 1
    with app.database.transaction() as session:
        assert session.scalar(select(AuditLog).where(AuditLog.action == "announcement.cancel")) is not None
    app.close()


def test_announce_at_a_vietnam_time(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(plugins=PLUGINS))
    import_sample(app)
    day = (datetime.now(VIETNAM) + timedelta(days=10)).date()
    queued = troly("announce", "--area", "31-HB", "--text", "Họp dân", "--at", f"{day.isoformat()}T08:30", env=ENV)
    assert queued.returncode == 0, queued.stderr
    assert f"08:30 ngày {day.strftime('%d/%m/%Y')}" in queued.stdout
    with app.database.transaction() as session:
        announcement = session.scalar(select(Announcement))
        assert announcement is not None and announcement.send_at.isoformat() == f"{day.isoformat()}T01:30:00+00:00"
    app.close()


def test_announce_at_refuses_times_long_past_or_too_far_ahead(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(plugins=PLUGINS))
    import_sample(app)
    now = datetime.now(VIETNAM)
    for typed, said in [
        ("9999-12-31", "xa quá: chỉ hẹn được trong vòng 366 ngày tới"),
        ((now + timedelta(days=400)).date().isoformat(), "xa quá"),
        ("1970-01-01", "đã qua"),
        ((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "đã qua"),
        ("9999-12-31T23:59-12:00", "Không hiểu thời điểm"),  # past year 9999 in UTC
    ]:
        refused = troly("announce", "--area", "22-MC", "--text", "Họp dân", "--at", typed, env=ENV)
        assert refused.returncode == 1 and said in refused.stdout, (typed, refused.stdout)
    just_now = troly(
        "announce", "--area", "22-MC", "--text", "Họp dân", "--at", now.strftime("%Y-%m-%dT%H:%M"), env=ENV
    )
    assert just_now.returncode == 0, just_now.stdout  # a time typed a moment ago (within 5 minutes) is "now"
    with app.database.transaction() as session:
        assert len(session.scalars(select(Announcement)).all()) == 1
    app.close()


def test_bad_announce_arguments_are_refused_clearly() -> None:
    assert troly("areas", "import", str(Path(__file__).parents[1] / "bot/data/areas-sample.csv")).returncode == 0
    unknown = troly("announce", "--area", "NOPE", "--text", "x")
    assert unknown.returncode == 2 and "Không có khu vực mã NOPE" in unknown.stderr
    empty = troly("announce", "--area", "22-MC", "--text", "   ")
    assert empty.returncode == 1 and "từ 1 đến 2000 ký tự" in empty.stdout
    long = troly("announce", "--area", "22-MC", "--text", "a" * 2001)
    assert long.returncode == 1
    bad_time = troly("announce", "--area", "22-MC", "--text", "x", "--at", "thứ hai")
    assert bad_time.returncode == 1 and "Không hiểu thời điểm" in bad_time.stdout
    missing = troly("announce", "status", "999")
    assert missing.returncode == 1 and "Không có thông báo số 999" in missing.stdout
    assert troly("announce").returncode == 1
    nothing_to_send_with = troly("deliver", "--exit-when-idle")
    assert nothing_to_send_with.returncode == 1 and "Chưa có kênh nào" in nothing_to_send_with.stdout
