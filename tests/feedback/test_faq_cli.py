"""`troly faq`: add, list, edit, retire, history, rollback, and import from CSV/XLSX (all or nothing, problems by
line number), with what a citizen then gets."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from bot.app import Troly
from bot.storage.models import AuditLog
from tests.feedback.helpers import LOUDSPEAKER, LOUDSPEAKER_ANSWER, SIXTH, local_answers, subscribe
from tests.helpers import say
from tests.test_cli import troly

HEADER = "questions,answer,area,source,valid_until\n"


def _run(url: str, *args: str) -> str:
    result = troly("faq", *args, env={"TROLY_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    return result.stdout


def _refused(url: str, *args: str) -> str:
    result = troly("faq", *args, env={"TROLY_DATABASE_URL": url})
    assert result.returncode == 1, result.stdout
    return result.stderr


def test_add_edit_retire_and_roll_back_from_the_command_line(lite_app: Troly, sqlite_url: str) -> None:
    subscribe(lite_app, "c1", "22-MC-K2")
    added = _run(sqlite_url, "add", "--area", "22-MC", "-q", LOUDSPEAKER[0], "-q", LOUDSPEAKER[1],
                 "--answer", LOUDSPEAKER_ANSWER, "--valid-until", "2027-06-30")  # fmt: skip
    assert "Đã đăng câu trả lời #1 cho Phường Móng Cái 1 (2 cách hỏi)" in added
    assert say(lite_app, SIXTH, user="c1")[0].text.startswith(LOUDSPEAKER_ANSWER)
    assert "Theo UBND phường Móng Cái 1" in say(lite_app, SIXTH, user="c1")[0].text
    _run(sqlite_url, "edit", "1", "--answer", "Gọi tổ trưởng tổ dân phố.", "--source", "Ban điều hành Khu 2")
    assert say(lite_app, SIXTH, user="c1")[0].text.startswith("Gọi tổ trưởng tổ dân phố.\n\nTheo Ban điều hành Khu 2")
    _run(sqlite_url, "retire", "1")
    assert say(lite_app, SIXTH, user="c1")[0].meta["outcome"] == "fallback"
    history = _run(sqlite_url, "history", "1")
    assert [line.split(":")[0] for line in history.splitlines()] == ["phiên bản 1", "phiên bản 2", "phiên bản 3"]
    assert "edit bởi cli" in history and "retire bởi cli" in history
    _run(sqlite_url, "rollback", "1", "--to", "1")
    assert say(lite_app, SIXTH, user="c1")[0].text.startswith(LOUDSPEAKER_ANSWER)
    assert "không có phiên bản 9" in _refused(sqlite_url, "rollback", "1", "--to", "9")
    listed = json.loads(_run(sqlite_url, "list", "--format", "json"))
    assert [(a["id"], a["status"], a["area"], a["valid_until"]) for a in listed] == [
        (1, "published", "22-MC", "2027-06-30")
    ]
    with lite_app.database.transaction() as session:
        audited = session.scalar(select(func.count()).where(AuditLog.target == "local_answer:1"))
    assert audited == 4
    unknown = troly("faq", "add", "--area", "99", "-q", "x", "--answer", "y", env={"TROLY_DATABASE_URL": sqlite_url})
    assert unknown.returncode == 2 and "Không có khu vực mã 99" in unknown.stderr  # as every command's unknown code
    assert "đã có trong câu trả lời #1" in _refused(
        sqlite_url, "add", "--area", "22-MC", "-q", LOUDSPEAKER[1].upper(), "--answer", "Khác."
    )


def test_a_good_file_is_imported_whole(lite_app: Troly, sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(
        HEADER
        + f'"{" | ".join(LOUDSPEAKER[:3])}","{LOUDSPEAKER_ANSWER}",22-MC,,\n'
        + '"Đèn đường hỏng báo ai|den duong hu bao ai","=Gọi 0203 3881 234 (đường dây nóng của phường)",22-UB,'
        + "UBND phường Uông Bí,2027-01-31\n\n",
        encoding="utf-8-sig",
    )
    assert "Tệp hợp lệ: 2 câu trả lời" in _run(sqlite_url, "import", str(path), "--dry-run")
    assert local_answers(lite_app) == []
    assert "Đã nhập và đăng 2 câu trả lời" in _run(sqlite_url, "import", str(path))
    first, second = local_answers(lite_app)
    assert first.questions == LOUDSPEAKER[:3] and first.source == "UBND phường Móng Cái 1" and first.origin == "import"
    assert second.valid_until is not None and second.valid_until.isoformat() == "2027-01-31"
    exported = _run(sqlite_url, "list", "--format", "csv", "--area", "22-UB")
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert rows[0]["answer"].startswith("'=Gọi")  # formula text neutralised in the spreadsheet
    assert rows[0]["questions"] == "Đèn đường hỏng báo ai | den duong hu bao ai"


def test_a_bad_file_is_refused_whole_with_line_numbers(lite_app: Troly, sqlite_url: str, tmp_path: Path) -> None:
    _run(sqlite_url, "add", "--area", "22-MC", "-q", LOUDSPEAKER[0], "--answer", LOUDSPEAKER_ANSWER)
    path = tmp_path / "faq.csv"
    path.write_text(
        HEADER
        + "Đèn đường hỏng báo ai,Báo phường.,22-MC,,\n"  # line 2: fine
        + "Chợ mở cửa mấy giờ,Từ 5 giờ.,99-XX,,\n"  # line 3: unknown area
        + "Nước máy bị đục,,22-MC,,\n"  # line 4: empty answer
        + "DEN DUONG HONG BAO AI,Gọi tổ trưởng.,22-MC,,\n"  # line 5: same question as line 2
        + f"{LOUDSPEAKER[0]},Khác.,22-MC,,\n"  # line 6: already answered in the database
        + "Thư viện mở cửa khi nào,Thứ Hai đến thứ Sáu.,22-MC,,31/02/2027\n",  # line 7: no such date
        encoding="utf-8",
    )
    errors = _refused(sqlite_url, "import", str(path))
    expected = (
        "dòng 3: không có khu vực mã «99-XX»",
        "dòng 4: câu trả lời đang trống",
        "dòng 5: câu hỏi «DEN DUONG HONG BAO AI» đã có ở dòng 2",
        "dòng 6: câu hỏi",
        "dòng 7: hạn dùng",
    )
    assert all(problem in errors for problem in expected), errors
    assert "dòng 2:" not in errors
    assert len(local_answers(lite_app)) == 1  # nothing imported

    header = tmp_path / "header.csv"
    header.write_text("cau hoi,tra loi\nx,y\n", encoding="utf-8")
    assert "dòng 1: tiêu đề phải là questions,answer,area,source,valid_until" in _refused(
        sqlite_url, "import", str(header)
    )
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\xff\xfe\x00\x81" * 100)
    assert "UTF-8" in _refused(sqlite_url, "import", str(garbage))
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a workbook")
    assert "không đọc được tệp XLSX" in _refused(sqlite_url, "import", str(fake))


def test_an_xlsx_file_is_imported(fb_app: Troly, database_url: str, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["questions", "answer", "area", "source", "valid_until"])
    sheet.append(["|".join(LOUDSPEAKER), LOUDSPEAKER_ANSWER, "22-MC", "Ban văn hóa phường", None])
    path = tmp_path / "faq.xlsx"
    workbook.save(path)
    subscribe(fb_app, "c1", "22-MC")
    assert "Đã nhập và đăng 1 câu trả lời" in _run(database_url, "import", str(path))
    reply = say(fb_app, SIXTH, user="c1")[0]
    assert reply.text.startswith(LOUDSPEAKER_ANSWER) and "Theo Ban văn hóa phường" in reply.text


def test_ask_as_a_user_or_an_area_changes_nothing(lite_app: Troly, sqlite_url: str) -> None:
    subscribe(lite_app, "c1", "22-MC-K1")
    _run(sqlite_url, "add", "--area", "22-MC", "-q", LOUDSPEAKER[0], "--answer", LOUDSPEAKER_ANSWER)
    env = {"TROLY_DATABASE_URL": sqlite_url}
    as_user = troly("ask", "--json", "--user", "console:c1", SIXTH, env=env)
    assert as_user.returncode == 0, as_user.stderr
    assert json.loads(as_user.stdout)["source"]["kind"] == "local"
    unknown = troly("ask", "--user", "telegram:404", SIXTH, env=env)
    assert unknown.returncode == 1 and "Không có người dùng telegram:404" in unknown.stderr
    assert troly("ask", "--area", "99", SIXTH, env=env).returncode == 1
    with lite_app.database.transaction() as session:
        from handlers.feedback.models import LoggedQuestion

        assert session.scalar(select(func.count()).select_from(LoggedQuestion)) == 0  # asking from the CLI logs nothing
