"""`troly faq import FILE.csv|xlsx`: many local answers at once, all or nothing.

Header `questions,answer,area,source,valid_until` (further columns, such as those of `troly faq list --format
csv`, are ignored); question variants separated by `|`; `source` may be empty (the area's People's Committee),
`valid_until` too. Any problem (unknown area, empty answer, a question repeated in the
file or already answered in that area, a bad date...) refuses the whole file with every problem by line number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from bot.areas import area_by_code
from handlers.feedback.local_answers import Draft, clean_questions, problems_of
from handlers.feedback.scope import default_source
from handlers.feedback.similarity import normalise

HEADER = ["questions", "answer", "area", "source", "valid_until"]
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


class FaqFileError(Exception):
    """The file was refused; `problems` name their lines. Nothing was imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class FaqRow:
    line: int
    draft: Draft


def read_rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    """(line number, cells) of a CSV (UTF-8, with or without BOM) or an XLSX file's first sheet."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FaqFileError([f"tệp lớn quá {MAX_FILE_BYTES // (1024 * 1024)} MB"])
    if path.suffix.lower() == ".xlsx":
        yield from _xlsx_rows(path)
        return
    if path.suffix.lower() != ".csv":
        raise FaqFileError(["chỉ nhận tệp .csv hoặc .xlsx"])
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FaqFileError(["tệp CSV phải được lưu với bảng mã UTF-8"]) from None
    for line, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        yield line, list(cells)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError):
        raise FaqFileError(["không đọc được tệp XLSX (tệp hỏng hoặc không phải bảng tính Excel)"]) from None
    sheet = workbook.worksheets[0]
    for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield line, ["" if cell is None else cell for cell in cells]
    workbook.close()


def parse_faq(session: Session, path: Path) -> list[FaqRow]:
    """Every row as a draft, or FaqFileError with all the problems found."""
    rows = read_rows(path)
    first = next(rows, None)
    header = [str(cell).strip().lower() for cell in first[1]] if first else []
    if header[: len(HEADER)] != HEADER:
        raise FaqFileError([f"dòng 1: tiêu đề phải là {','.join(HEADER)} (đang là {','.join(header)})"])
    parsed: list[FaqRow] = []
    problems: list[str] = []
    seen: dict[tuple[int, str], int] = {}
    for line, cells in rows:
        if not any(str(cell).strip() for cell in cells):
            continue
        if len(parsed) + len(problems) >= MAX_ROWS:
            problems.append(f"dòng {line}: tệp có quá {MAX_ROWS} câu trả lời, hãy chia nhỏ")
            break
        row_problems, draft = _parse_row(session, cells)
        if draft is not None:
            row_problems += _repeated(draft, line, seen)
            row_problems += problems_of(session, draft)
        if row_problems:
            problems += [f"dòng {line}: {problem}" for problem in row_problems]
        elif draft is not None:
            parsed.append(FaqRow(line, draft))
    if problems:
        raise FaqFileError(problems)
    if not parsed:
        raise FaqFileError(["tệp không có câu trả lời nào"])
    return parsed


def _parse_row(session: Session, cells: list[object]) -> tuple[list[str], Draft | None]:
    cells = [*cells, *[""] * (len(HEADER) - len(cells))]  # columns after these five (an export's id) are ignored
    questions_cell, answer, code, source, valid = (cells[i] for i in range(len(HEADER)))
    area = area_by_code(session, str(code)) if str(code).strip() else None
    if area is None:
        return [f"không có khu vực mã «{str(code).strip()[:32]}» (xem: troly areas list)"], None
    until, date_problem = _valid_until(valid)
    questions = clean_questions(str(questions_cell).split("|"))
    draft = Draft(area, questions, str(answer), str(source).strip() or default_source(area), until)
    return ([date_problem] if date_problem else []), draft


def _valid_until(value: object) -> tuple[date | None, str | None]:
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    text = str(value).strip()
    if not text:
        return None, None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date(), None
        except ValueError:
            continue
    return None, f"hạn dùng «{text[:20]}» không hợp lệ, hãy viết NĂM-THÁNG-NGÀY (ví dụ 2027-06-30) hoặc để trống"


def _repeated(draft: Draft, line: int, seen: dict[tuple[int, str], int]) -> list[str]:
    """A question already given on an earlier line for the same area."""
    problems = []
    for question in draft.questions:
        key = (draft.area.id, normalise(question))
        if key in seen:
            problems.append(f"câu hỏi «{question[:60]}» đã có ở dòng {seen[key]}")
        else:
            seen[key] = line
    return problems
