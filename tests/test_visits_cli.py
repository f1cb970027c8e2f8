"""The whole visit workflow through the `troly` console script, as an operator and a volunteer run it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.test_cli import SAMPLE, troly

GUIDED = ["/ghinhan", "Số 4 Bạch Đằng", "Hoàng Văn Tư", "5", "6", "10", "1", "2", "bỏ qua", "bỏ qua", "1"]


def test_invite_chat_and_csv_report(tmp_path: Path) -> None:
    assert troly("areas", "import", str(SAMPLE)).returncode == 0
    invite = troly("invite", "--role", "member", "--area", "22-MC-K1")
    code = invite.stdout.strip().splitlines()[-1]
    refused = troly("chat", "--user", "khach", stdin="/ghinhan Số 1 ; An ; vneid ; xong\n")
    assert "/thamgia" in refused.stdout
    lines = [f"/thamgia {code}", "/ghinhan so 12 ngo 5 tran phu ; Nguyen Van An ; vneid, muc2 ; xong", *GUIDED]
    chat = troly("chat", "--user", "lan", stdin="\n".join(lines) + "\n")
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.count("Đã lưu lượt thăm") == 2 and "  10. ➡️ Tiếp tục" in chat.stdout
    report = troly("report", "visits", "--area", "22-MC", "--format", "csv")
    assert report.returncode == 0, report.stderr
    rows = list(csv.DictReader(io.StringIO(report.stdout.lstrip("\ufeff"))))
    assert [(row["Địa chỉ hộ"], row["Dịch vụ"]) for row in rows] == [
        ("so 12 ngo 5 tran phu", "Cài đặt VNeID; Định danh điện tử mức 2"),
        ("Số 4 Bạch Đằng", "Dịch vụ công trực tuyến; Thanh toán không dùng tiền mặt"),
    ]
    assert rows[1]["Kết quả"] == "Đã xong" and rows[1]["Số người được hỗ trợ"] == "2"
    assert troly("report", "visits", "--area", "22-UB", "--format", "csv").stdout.count("\n") == 1
    summary = troly("report", "summary", "--area", "22", "--json")
    assert '"visits": 2' in summary.stdout
