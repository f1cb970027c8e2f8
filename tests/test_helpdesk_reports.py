"""Help desk figures: /baocao per role, `troly report requests` in CSV, XLSX and JSON (formula cells neutralised),
and `troly users grant` giving requests back, on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from bot.app import Troly, create_app
from bot.cli_admin import run_users_grant
from bot.clock import ManualClock
from bot.settings import Settings
from bot.storage.models import Role, User
from tests.helpdesk_helpers import ask_for_help, import_sample, join, make_official, pushes_to, request, say_as
from tests.test_cli import troly

START = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def app(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Troly]:
    troly_app = create_app(make_settings(database_url=database_url), clock=ManualClock(START))
    import_sample(troly_app)
    join(troly_app, "lan", "22-MC-K1")
    join(troly_app, "minh", "22-MC-K1")
    join(troly_app, "tu", "22-MC-K1", Role.LEADER)
    join(troly_app, "hoa", "22-UB-K3")
    make_official(troly_app, "hai", "22-MC")
    yield troly_app
    troly_app.close()


def _served(app: Troly) -> tuple[int, int]:
    clock = app.clock
    assert isinstance(clock, ManualClock)
    first = ask_for_help(app, "dan", need='=HYPERLINK("http://x","bấm") cài VNeID')
    clock.advance(timedelta(minutes=30))
    say_as(app, f"/nhan {first}", "lan")
    clock.advance(timedelta(minutes=90))
    say_as(app, f"/xong {first}", "lan")
    say_as(app, "4", "dan")
    second = ask_for_help(app, "binh", need="ký số từ xa")
    return first, second


def test_baocao_shows_each_role_its_own(app: Troly) -> None:
    _served(app)
    lan = say_as(app, "/baocao", "lan")
    assert "Yêu cầu hỗ trợ (bạn đã nhận):" in lan and "Nhận 1, đã có người nhận 1, đã xong 1" in lan
    assert "chờ nhận (trung vị): 30 phút; đến khi xong: 2.0 giờ" in lan and "4.0/5 (1 lượt)" in lan
    assert "Nhận 2, đã có người nhận 1, đã xong 1" in say_as(app, "/baocao", "tu")
    assert "Nhận 2" in say_as(app, "/baocao", "hai")
    assert "Yêu cầu hỗ trợ (bạn đã nhận): chưa có." in say_as(app, "/baocao", "hoa")
    assert "chỉ dành cho" in say_as(app, "/baocao", "dan")


def test_report_requests_formats(app: Troly, database_url: str) -> None:
    first, second = _served(app)
    env = {"TROLY_DATABASE_URL": database_url}
    result = troly("report", "requests", "--area", "22-MC", env=env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert [row["Số"] for row in rows] == [str(first), str(second)]
    assert rows[0]["Nội dung"].startswith("'=HYPERLINK")  # a spreadsheet shows it, does not run it
    assert (rows[0]["Phút chờ nhận"], rows[0]["Phút đến khi xong"], rows[0]["Đánh giá"]) == ("30.0", "120.0", "4")
    assert rows[1]["Trạng thái"] == "đang chờ" and rows[1]["Nhận lúc"] == ""
    data = json.loads(troly("report", "requests", "--format", "json", env=env).stdout)
    summary = data["summary"]
    assert (summary["received"], summary["taken"], summary["closed"]) == (2, 1, 1)
    assert summary["median_minutes_to_take"] == 30.0 and summary["ratings_by_member"] == {
        "Lan": {"count": 1, "average": 4.0}
    }
    assert data["requests"][0]["need"].startswith("=HYPERLINK")  # JSON keeps the text as it is
    assert (
        json.loads(troly("report", "requests", "--area", "22-UB", "--format", "json", env=env).stdout)["requests"] == []
    )
    unknown = troly("report", "requests", "--area", "XX", env=env)
    assert unknown.returncode == 2 and "Không có khu vực mã XX" in unknown.stderr


def test_report_requests_xlsx(app: Troly, database_url: str, tmp_path: object) -> None:
    _served(app)
    target = f"{tmp_path}/yc.xlsx"
    result = troly("report", "requests", "--format", "xlsx", "-o", target, env={"TROLY_DATABASE_URL": database_url})
    assert result.returncode == 0 and "Đã ghi 2 yêu cầu" in result.stderr
    book = load_workbook(target)
    assert book.sheetnames == ["Yêu cầu hỗ trợ", "Tổng hợp"]
    assert str(book["Yêu cầu hỗ trợ"]["H2"].value).startswith("'=")


def test_users_grant_gives_requests_back(app: Troly, make_settings: Callable[..., Settings], database_url: str) -> None:
    number = ask_for_help(app, "dan")
    say_as(app, f"/nhan {number}", "lan")
    args = argparse.Namespace(channel="console", user_id="lan", role="citizen", area=None)
    assert run_users_grant(make_settings(database_url=database_url), args) == 0
    assert request(app, number).status == "open"
    assert f"Yêu cầu hỗ trợ số {number}" in pushes_to(app, "minh")[-1].text


def test_member_is_told_when_the_citizen_cannot_be_reached(app: Troly) -> None:
    say_as(app, "/nhotro cần ký số", "dan")
    for answer in ("Móng Cái 1", "Khu 1", "2", "0912345678", "2"):
        say_as(app, answer, "dan")
    say_as(app, "/nhan 1", "lan")
    with app.database.transaction() as session:
        session.execute(update(User).where(User.channel_user_id == "dan").values(blocked=True))
    reply = say_as(app, "/traloi 1 Chào bạn", "lan")
    assert "Tin chưa gửi được" in reply and "0912345678" in reply
    assert not any("Chào bạn" in message.text for message in pushes_to(app, "dan"))
