"""The satisfaction report: per answer, per ward and month (with other features' ratings), what is due for review,
as a chat summary and as JSON, CSV and XLSX from the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook

from bot.app import Troly
from bot.clock import ManualClock
from bot.extensions import RATING_SUMMARIES
from bot.settings import DEFAULT_PLUGINS
from bot.storage.models import Role
from handlers.feedback.satisfaction import build_report, due_reviews
from handlers.feedback.scope import area_scope
from tests.feedback.helpers import LOUDSPEAKER, grant, subscribe
from tests.feedback.test_local_answers import publish
from tests.helpers import joined, say
from tests.support import rated_requests_plugin
from tests.test_cli import troly

GUIDE_QUESTION = "cài vneid ko được"
NOVEMBER = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def _rate(app: Troly, user: str, question: str, label: str) -> None:
    reply = say(app, question, user=user)[0]
    value = next(choice.value for choice in reply.choices if choice.label == label)
    say(app, value, user=user)


def _two_months(app: Troly, clock: ManualClock) -> None:
    clock.set(NOVEMBER)
    for user, area in (("u1", "22-MC"), ("u2", "22-MC-K1"), ("u3", "22-UB")):
        subscribe(app, user, area)
    _rate(app, "u1", GUIDE_QUESTION, "👍 Hữu ích")
    _rate(app, "u2", GUIDE_QUESTION, "👎 Chưa đúng")
    say(app, LOUDSPEAKER[0], user="u1")
    clock.set(DECEMBER)
    publish(app, "22-MC")
    _rate(app, "u2", LOUDSPEAKER[1], "👍 Hữu ích")
    _rate(app, "u3", GUIDE_QUESTION, "👍 Hữu ích")


def test_ratings_add_up_per_answer_and_per_ward_and_month(fb_app: Troly, clock: ManualClock) -> None:
    _two_months(fb_app, clock)
    with fb_app.database.transaction() as session:
        from bot.areas import area_by_code

        scope = area_scope(session, area_by_code(session, "22-MC"))
        start, end = datetime(2026, 10, 31, 17, tzinfo=UTC), datetime(2026, 12, 31, 17, tzinfo=UTC)
        report = build_report(session, scope, start, end, summaries=[rated_requests_plugin.summaries], now=clock.now())
    rows = [(r.month, r.area_code, r.questions, r.answered, r.rated, r.helpful, r.extras) for r in report.areas]
    assert rows == [
        ("2026-11", "22-MC", 3, 2, 2, 1, {}),
        ("2026-12", "22-MC", 1, 1, 1, 1, {"Yêu cầu hỗ trợ": [4, 3]}),  # the village rolls up to its ward
    ]
    sources = {(s.kind, s.title): (s.ratings, s.helpful) for s in report.sources}
    assert sources == {("guide", "Cài đặt ứng dụng VNeID"): (2, 1), ("local", LOUDSPEAKER[0]): (1, 1)}
    assert report.due == []


def test_guides_and_answers_older_than_six_months_are_due_for_review(fb_app: Troly) -> None:
    publish(fb_app, "22-MC")  # reviewed on 2 Dec 2026, like the guides (22 Nov 2026)
    with fb_app.database.transaction() as session:
        assert due_reviews(session, datetime(2027, 5, 21, tzinfo=UTC)) == []
        due = due_reviews(session, datetime(2027, 5, 23, tzinfo=UTC))
        assert {d.kind for d in due} == {"guide"} and len(due) >= 20
        later = due_reviews(session, datetime(2027, 6, 3, tzinfo=UTC))
    assert [d.id for d in later if d.kind == "local"] == ["1"]


def test_officials_read_the_summary_in_chat(fb_app: Troly, clock: ManualClock) -> None:
    fb_app.extensions.add(RATING_SUMMARIES, rated_requests_plugin.summaries)
    _two_months(fb_app, clock)
    grant(fb_app, "official", Role.OFFICIAL, "22-MC")
    summary = joined(say(fb_app, "/hailong", user="official"))
    assert "Mức độ hài lòng ở Phường Móng Cái 1, tháng 11/2026:" in summary
    assert "Câu hỏi: 3; trả lời được: 2 (66,7 %); đánh giá: 2, hữu ích: 1 (50,0 %)." in summary
    assert "Yêu cầu hỗ trợ: 4 đánh giá, hài lòng 3 (75,0 %)." in summary
    assert "Cài đặt ứng dụng VNeID: 1/2 «Chưa đúng»" in summary
    assert "chỉ dành cho" in joined(say(fb_app, "/hailong", user="u1"))


def test_the_report_from_the_command_line(lite_app: Troly, clock: ManualClock, sqlite_url: str, tmp_path: Path) -> None:
    _two_months(lite_app, clock)
    env = {
        "TROLY_DATABASE_URL": sqlite_url,
        "TROLY_PLUGINS": ",".join((*DEFAULT_PLUGINS, "tests.support.rated_requests_plugin")),
    }
    period = ("--from", "2026-11-01", "--to", "2026-12-31")
    result = troly("report", "satisfaction", *period, "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    by_area = {(row["month"], row["area_code"]): row for row in data["areas"]}
    assert by_area[("2026-11", "22-MC")]["helpful_share"] == 50.0
    assert by_area[("2026-12", "22-UB")]["extras"] == {"Yêu cầu hỗ trợ": [1, 0]}
    answers = troly("report", "satisfaction", *period, "--table", "answers", "--format", "csv", env=env)
    rows = list(csv.DictReader(io.StringIO(answers.stdout.lstrip("\ufeff"))))
    guide = next(row for row in rows if row["Mã"] == "vneid-cai-dat")
    assert (guide["Số đánh giá"], guide["Hữu ích"], guide["Tỷ lệ hữu ích (%)"]) == ("3", "2", "66.7")
    output = tmp_path / "hailong.xlsx"
    assert troly("report", "satisfaction", "--area", "22-MC", *period, "--format", "xlsx", "-o", str(output),
                 env=env).returncode == 0  # fmt: skip
    workbook = load_workbook(output)
    assert workbook.sheetnames == ["Theo khu vực và tháng", "Theo câu trả lời", "Cần rà soát"]
    sheet = workbook["Theo khu vực và tháng"]
    assert [cell.value for cell in sheet[1]][-2:] == ["Yêu cầu hỗ trợ: số đánh giá", "Yêu cầu hỗ trợ: hài lòng (%)"]
    assert [cell.value for cell in sheet[3]][:4] == ["12/2026", "22-MC", "Phường Móng Cái 1", 1]
    assert [cell.value for cell in sheet[3]][-2:] == [4, 75.0]
