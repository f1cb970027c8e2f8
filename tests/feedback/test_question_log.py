"""The question log: what is recorded (masked, pseudonymised, with its outcome and area), what is not, one rating
prompt per answer, and retention on a controllable clock."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from bot.app import Troly, create_app
from bot.clock import ManualClock
from bot.messages import Outbound
from bot.settings import Settings
from bot.storage.models import Area
from handlers.feedback.models import LoggedQuestion, Rating
from handlers.feedback.pseudonym import KEY_FILE
from handlers.feedback.services import PSEUDONYMS
from tests.feedback.conftest import START
from tests.feedback.helpers import logged, ratings, subscribe
from tests.helpers import say

GUIDE_QUESTION = "cài vneid ko được"


def _rating_values(reply: Outbound) -> list[str]:
    return [choice.value for choice in reply.choices if choice.value.startswith("/phanhoi ")]


def test_an_answer_is_logged_masked_pseudonymised_with_its_area(fb_app: Troly) -> None:
    subscribe(fb_app, "c1", "22-MC")
    question = "Đăng ký định danh điện tử mức 2 cho số căn cước 001203004005, sđt 0912345678"
    reply = say(fb_app, question, user="c1")[0]
    (row,) = logged(fb_app)
    assert "0912345678" not in row.question and "001203004005" not in row.question
    assert "*******678" in row.question and "[số định danh đã ẩn]" in row.question
    assert re.fullmatch(r"[0-9a-f]{32}", row.asker) and row.asker == fb_app[PSEUDONYMS]("console", "c1")
    with fb_app.database.transaction() as session:
        assert row.area_id == session.scalar(select(Area.id).where(Area.code == "22-MC"))
    assert (row.outcome, row.source_kind, row.channel, row.asked_at) == ("answer", "guide", "console", START)
    assert row.topic and row.score >= 0.5
    assert _rating_values(reply) == [f"/phanhoi {row.id} co", f"/phanhoi {row.id} khong"]
    assert [c.label for c in reply.choices][-2:] == ["👍 Hữu ích", "👎 Chưa đúng"]


def test_the_pseudonym_is_a_keyed_hash(make_settings: Callable[..., Settings], sqlite_url: str) -> None:
    def asker(**settings: object) -> str:
        app = create_app(make_settings(database_url=sqlite_url, **settings))
        try:
            say(app, GUIDE_QUESTION, user="c1")
            return logged(app)[-1].asker
        finally:
            app.close()

    generated = asker()
    key_file = make_settings().data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_text()) == 64
    assert asker() == generated  # the key outlives the process: one person stays one pseudonym
    assert asker(pseudonym_key="a-key-of-at-least-16-bytes") != generated
    assert asker(pseudonym_key="a-key-of-at-least-16-bytes") == asker(pseudonym_key="a-key-of-at-least-16-bytes")


def test_only_free_text_answers_are_logged_and_only_answers_get_a_rating_prompt(lite_app: Troly) -> None:
    assert say(lite_app, "xin chào", user="c1")[0].choices == ()
    say(lite_app, "/trogiup", user="c1")
    assert logged(lite_app) == []
    fallback = say(lite_app, "loa phat thanh bi hong bao ai", user="c1")[0]
    assert fallback.meta["outcome"] == "fallback" and _rating_values(fallback) == []
    answer = say(lite_app, GUIDE_QUESTION, user="c1")[0]
    assert len(_rating_values(answer)) == 2
    assert [row.outcome for row in logged(lite_app)] == ["fallback", "answer"]


def test_small_talk_is_not_logged_and_a_message_gets_one_prompt(lite_app: Troly) -> None:
    def two_answers(ctx: object) -> list[Outbound]:
        meta = {"kind": "answer", "outcome": "answer", "question": "hai phần", "score": 0.9}
        return [Outbound("Phần một", meta=meta), Outbound("Phần hai", meta=meta)]

    lite_app.router.command("camon", lambda ctx: Outbound("Không có gì!", meta={"kind": "smalltalk"}), description="-")
    lite_app.router.command("haiphan", two_answers, description="-")  # type: ignore[arg-type]
    assert say(lite_app, "/camon", user="c1")[0].choices == () and logged(lite_app) == []
    first, second = say(lite_app, "/haiphan", user="c1")
    assert _rating_values(first) == [] and len(_rating_values(second)) == 2
    assert len(logged(lite_app)) == 1


def test_retention_deletes_old_questions_and_their_ratings_on_the_clock(fb_app: Troly, clock: ManualClock) -> None:
    reply = say(fb_app, GUIDE_QUESTION, user="c1")[0]
    say(fb_app, _rating_values(reply)[0], user="c1")
    clock.advance(timedelta(days=100))
    say(fb_app, GUIDE_QUESTION, user="c2")
    clock.advance(timedelta(days=80))  # the first question is 180 days old: kept until it is older
    assert fb_app.jobs.prune(fb_app.database, clock.now())["question_log"] == 0
    clock.advance(timedelta(minutes=1))
    ran = fb_app.jobs.run_due(fb_app, clock.now())  # the daily job of `troly serve` applies the rule too
    assert "retention" in ran
    assert [row.asked_at for row in logged(fb_app)] == [START + timedelta(days=100)]
    assert ratings(fb_app) == []
    clock.advance(timedelta(days=101))
    assert fb_app.jobs.prune(fb_app.database, clock.now())["question_log"] == 1
    with fb_app.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(LoggedQuestion)) == 0
        assert session.scalar(select(func.count()).select_from(Rating)) == 0


def test_the_retention_period_is_a_setting(
    make_settings: Callable[..., Settings], sqlite_url: str, clock: ManualClock
) -> None:
    app = create_app(make_settings(database_url=sqlite_url, question_log_retention_days=30), clock=clock)
    try:
        say(app, GUIDE_QUESTION, user="c1")
        clock.advance(timedelta(days=31))
        assert app.jobs.prune(app.database, clock.now())["question_log"] == 1
    finally:
        app.close()
