"""The streaming XLSX writer of the per-visit export, read back by openpyxl: values and their types, the header's
look, and a file too large to hold in memory written with flat memory."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from datetime import datetime

from openpyxl import load_workbook

from bot.xlsx_writer import write_sheet

HEADER = ("Mã", "Thời gian", "Ghi chú", "Số người", "Tỷ lệ")


def test_values_keep_their_types_and_text_survives_any_character() -> None:
    target = io.BytesIO()
    moment = datetime(2026, 11, 3, 10, 20)
    rows = [
        (1, moment, "Số 12 <ngõ> 5 & \"Trần Phú\" 'x'", 0, 0.5),
        (2, None, '=HYPERLINK("x")', -3, 1e-7),
        (3, moment, "chuông\x07 báo\x00 lỗi\ttab\nxuống dòng", 10**12, 2.25),
    ]
    assert write_sheet(target, "Lượt thăm của 'Khu 1'", HEADER, (8, 17, 30, 8, 8), rows) == 3
    book = load_workbook(io.BytesIO(target.getvalue()))
    sheet = book["Lượt thăm của 'Khu 1'"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == HEADER
    assert values[1] == (1, moment, "Số 12 <ngõ> 5 & \"Trần Phú\" 'x'", 0, 0.5)
    assert values[2][0] == 2 and values[2][1] is None and values[2][2] == '=HYPERLINK("x")'  # text, not a formula
    assert sheet["B2"].is_date and sheet["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert values[3][2] == "chuông báo lỗi\ttab\nxuống dòng" and values[3][3] == 10**12
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:E4"
    assert sheet.column_dimensions["C"].width == 30


def test_an_empty_export_is_still_a_valid_workbook() -> None:
    target = io.BytesIO()
    assert write_sheet(target, "Lượt thăm", HEADER, (8,) * 5, []) == 0
    values = list(load_workbook(io.BytesIO(target.getvalue())).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert values == [HEADER]


def test_rows_are_written_as_they_come_with_flat_memory() -> None:
    """100,000 rows (a province's two months): the writer's peak Python memory does not grow with them."""

    def rows(count: int) -> Iterator[tuple[object, ...]]:
        for n in range(count):
            yield (n, datetime(2026, 11, 1, 8, n % 60), f"Số {n} Lê Lợi, Khu {n % 40}", n % 5, 0.25)

    peaks = []
    for count in (10_000, 100_000):
        tracemalloc.start()
        write_sheet(_Discard(), "Lượt thăm", HEADER, (8,) * 5, rows(count))  # the output is not the writer's memory
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.5 and peaks[1] < 5_000_000


class _Discard(io.RawIOBase):
    """A write-only sink that keeps nothing (zipfile needs tell(); it gets a running count)."""

    def __init__(self) -> None:
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position


def test_a_long_sheet_name_is_cut_between_words() -> None:
    from bot.spreadsheets import sheet_title

    assert sheet_title("Tài khoản thanh toán không dùng tiền mặt") == "Tài khoản thanh toán không…"
    assert sheet_title("Định danh điện tử mức 2") == "Định danh điện tử mức 2"
    assert sheet_title("Báo cáo [tháng]: 11/2026") == "Báo cáo tháng 11 2026"
    assert all(len(sheet_title("x " * n)) <= 31 for n in range(40))
