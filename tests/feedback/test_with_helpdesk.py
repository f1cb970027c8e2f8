"""With the help desk installed (both features in the default plugins, neither importing the other): "Chưa đúng"
offers it, and its 1–5 ratings of help requests reach the satisfaction report through RATING_SUMMARIES."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Troly
from bot.areas import area_by_code
from bot.extensions import RATING_SUMMARIES
from handlers.feedback.satisfaction import build_report
from handlers.feedback.scope import area_scope
from tests.feedback.helpers import logged, subscribe
from tests.helpdesk_helpers import ask_for_help, join, pushes_to, say_as
from tests.helpers import joined, say


def test_not_helpful_leads_to_the_real_help_desk(lite_app: Troly) -> None:
    subscribe(lite_app, "dan", "22-MC")
    say(lite_app, "cài vneid ko được", user="dan")
    offered = say(lite_app, f"/phanhoi {logged(lite_app)[-1].id} khong", user="dan")[0]
    assert [(c.label, c.value) for c in offered.choices] == [("Nhờ người hỗ trợ", "/nhotro")]
    assert "Bạn cần tổ hỗ trợ việc gì?" in joined(say(lite_app, "1", user="dan"))  # the help desk's first step


def test_help_request_ratings_reach_the_satisfaction_report(lite_app: Troly) -> None:
    join(lite_app, "lan", "22-MC-K1")
    number = ask_for_help(lite_app, "dan")
    say_as(lite_app, f"/nhan {number}", "lan")
    say_as(lite_app, f"/xong {number}", "lan")
    assert pushes_to(lite_app, "dan")[-1].choices  # the stars
    assert "5/5" in say_as(lite_app, "5", "dan")
    now = lite_app.clock.now()
    with lite_app.database.transaction() as session:
        scope = area_scope(session, area_by_code(session, "22-MC"))
        summaries = lite_app.extensions[RATING_SUMMARIES]
        report = build_report(
            session, scope, now - timedelta(days=1), now + timedelta(days=1), summaries=summaries, now=now
        )
    assert report.extra_labels == ["Yêu cầu hỗ trợ"]
    assert [(row.area_code, row.extras) for row in report.areas] == [("22-MC", {"Yêu cầu hỗ trợ": [1, 1]})]
