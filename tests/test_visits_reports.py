"""/baocao per role, and the `troly report` CLI (CSV, XLSX, JSON), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app import Troly
from bot.cli import main
from bot.storage.models import Role
from handlers.visits.records import VIETNAM
from tests.visits_helpers import ONE_LINE, backdate, import_sample, join, make_official, say_as, visits


@pytest.fixture
def ward(app: Troly) -> Troly:
    """Two members in Khu 1, one in Khu 2 (Phường Móng Cái 1), one in Uông Bí; a leader; two officials."""
    import_sample(app)
    for user, area in (("lan", "22-MC-K1"), ("minh", "22-MC-K1"), ("hoa", "22-MC-K2"), ("tuan", "22-UB-K3")):
        join(app, user, area)
    join(app, "to_truong", "22-MC-K1", role=Role.LEADER)
    make_official(app, "can_bo_mc", "22-MC")
    make_official(app, "can_bo_ub", "22-UB")
    say_as(app, ONE_LINE, "lan")
    say_as(app, "/ghinhan Số 3 Lê Lợi ; Trần Thị Hoa ; dvc, thanh toán ; hẹn lại ; 0912345678", "lan")
    say_as(app, "/ghinhan Số 9 Hùng Vương ; Lê Văn Nam ; luadao ; xong", "minh")
    say_as(app, "/ghinhan Thôn Đông ; Vũ Văn Hải ; vneid ; từ chối", "hoa")
    say_as(app, "/ghinhan 1 Quang Trung ; Đỗ Thị Lý ; cks ; xong", "tuan")
    return app


def report(app: Troly, user: str) -> tuple[str, bytes | None]:
    replies = say_as(app, "/baocao", user)
    images = [reply.image for reply in replies if reply.image is not None]
    return replies[0].text, images[0] if images else None


def test_each_role_sees_its_own_scope(ward: Troly) -> None:
    member, image = report(ward, "lan")
    assert "của bạn" in member and "2 lượt thăm, 2 hộ được tiếp cận" in member
    assert "Hộ đang hẹn lại, cần quay lại: 1" in member
    assert image is not None and image.startswith(b"\x89PNG")
    leader, _ = report(ward, "to_truong")
    assert "3 lượt thăm, 3 hộ" in leader and "Lan: 2 lượt" in leader and "Minh: 1 lượt" in leader
    official, _ = report(ward, "can_bo_mc")
    assert "Phường Móng Cái 1" in official and "4 lượt thăm, 4 hộ" in official
    assert "Khu 1: 3 lượt, 3 hộ" in official and "Khu 2: 1 lượt, 1 hộ" in official
    assert "Dịch vụ công trực tuyến 1" in official and "từ chối 1" in official
    other, _ = report(ward, "can_bo_ub")
    assert "1 lượt thăm" in other and "Khu 3: 1 lượt" in other


def test_no_visits_means_no_chart(ward: Troly) -> None:
    join(ward, "moi", "22-MC-K2")
    text, image = report(ward, "moi")
    assert "chưa có lượt thăm nào" in text and image is None


def test_trend_compares_with_last_week(ward: Troly) -> None:
    backdate(ward, visits(ward)[0].id, timedelta(days=7))
    text, _ = report(ward, "lan")
    assert "tuần này 1 lượt, bằng tuần trước (1)" in text


def cli(capsysbinary: pytest.CaptureFixture[bytes], *args: str) -> tuple[int, bytes, str]:
    code = main(list(args))
    captured = capsysbinary.readouterr()
    return code, captured.out, captured.err.decode()


@pytest.fixture
def cli_env(ward: Troly, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Troly:
    monkeypatch.setenv("TROLY_DATABASE_URL", ward.settings.resolved_database_url)
    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path / "var"))
    return ward


def test_csv_has_one_row_per_visit_of_the_area_with_a_bom(
    cli_env: Troly, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    code, out, _ = cli(capsysbinary, "report", "visits", "--area", "22-MC", "--format", "csv")
    assert code == 0 and out.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(out.decode("utf-8-sig"))))
    assert [row["Chủ hộ"] for row in rows] == ["Nguyễn Văn An", "Trần Thị Hoa", "Lê Văn Nam", "Vũ Văn Hải"]
    first = rows[0]
    assert first["Dịch vụ"] == "Cài đặt VNeID; Định danh điện tử mức 2" and first["Kết quả"] == "Đã xong"
    assert first["Khu vực"] == "Khu 1" and first["Tổ"] == "Tổ công nghệ số cộng đồng Khu 1"
    assert first["Thành viên"] == "Lan" and first["Số người được hỗ trợ"] == "1"
    assert rows[1]["Ghi chú"] == "*******678" and rows[3]["Số người được hỗ trợ"] == "0"
    code, out, _ = cli(capsysbinary, "report", "visits", "--area", "22-MC-K2")
    assert [row["Địa chỉ hộ"] for row in csv.DictReader(io.StringIO(out.decode("utf-8-sig")))] == ["Thôn Đông"]


def test_deleted_visits_and_other_dates_are_left_out(
    cli_env: Troly, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    say_as(cli_env, "/xoa", "hoa")
    say_as(cli_env, "1", "hoa")
    backdate(cli_env, visits(cli_env)[0].id, timedelta(days=40))
    old = visits(cli_env)[0].created_at.astimezone(VIETNAM).date().isoformat()
    _, out, _ = cli(capsysbinary, "report", "visits", "--area", "22", "--from", old, "--to", old)
    rows = list(csv.DictReader(io.StringIO(out.decode("utf-8-sig"))))
    assert [row["Chủ hộ"] for row in rows] == ["Nguyễn Văn An"]
    _, out, _ = cli(capsysbinary, "report", "visits", "--area", "22")
    assert "Vũ Văn Hải" not in out.decode("utf-8-sig") and out.decode("utf-8-sig").count("\n") == 5


def test_xlsx_report_opens_with_the_same_rows(
    cli_env: Troly, capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path
) -> None:
    target = tmp_path / "bao-cao.xlsx"
    code, _, err = cli(capsysbinary, "report", "visits", "--area", "22", "--format", "xlsx", "-o", str(target))
    assert code == 0 and "5 lượt thăm" in err
    sheet = load_workbook(target).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Mã lượt" and len(values) == 6
    assert values[5][7] == "Đỗ Thị Lý" and values[5][8] == "Chữ ký số từ xa" and values[5][10] == 1


def test_summary_as_json_and_text(cli_env: Troly, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code, out, _ = cli(capsysbinary, "report", "summary", "--area", "22-MC", "--json")
    data = json.loads(out)
    assert code == 0 and (data["visits"], data["households"], data["people_helped"]) == (4, 4, 3)
    assert data["services"] == {"vneid": 2, "muc2": 1, "dvc": 1, "thanhtoan": 1, "luadao": 1}
    assert data["outcomes"] == {"done": 2, "later": 1, "declined": 1} and data["follow_ups_pending"] == 1
    assert [(row["code"], row["visits"]) for row in data["sub_areas"]] == [("22-MC-K1", 3), ("22-MC-K2", 1)]
    assert sum(week["visits"] for week in data["weekly"]) == 4
    code, out, _ = cli(capsysbinary, "report", "summary", "--area", "22-UB")
    text = out.decode()
    assert "Lượt thăm: 1" in text and "Chữ ký số từ xa 1" in text and "22-UB-K3 Khu 3: 1 lượt" in text


def test_cli_refuses_bad_arguments_clearly(cli_env: Troly, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code, _, err = cli(capsysbinary, "report", "visits", "--area", "NOPE")
    assert code == 2 and "Không có khu vực mã NOPE" in err
    code, _, err = cli(capsysbinary, "report", "summary", "--area", "22", "--from", "2026-11-30", "--to", "2026-11-01")
    assert code == 1 and "--from" in err
    with pytest.raises(SystemExit) as exited:
        main(["report", "visits", "--area", "22", "--from", "hôm qua"])
    assert exited.value.code == 2 and "NĂM-THÁNG-NGÀY" in capsysbinary.readouterr().err.decode()
