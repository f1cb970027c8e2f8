"""Rating answers: taps and numbers, double taps, forged callback data, the optional follow-up question, the help
desk when installed, and reactions (the core side of Zalo's `user_reacted_message`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from bot.app import Troly, create_app
from bot.clock import ManualClock
from bot.messages import Outbound
from bot.settings import DEFAULT_PLUGINS, Settings
from handlers.feedback.gaps import comments
from tests.feedback.helpers import import_sample, logged, ratings
from tests.helpers import inbound, joined, say

QUESTION = "cài vneid ko được"


def _ask(app: Troly, user: str, question: str = QUESTION) -> tuple[int, Outbound]:
    reply = say(app, question, user=user)[0]
    return logged(app)[-1].id, reply


def test_a_tap_rates_once_and_a_second_tap_changes_nothing(fb_app: Troly) -> None:
    question_id, _ = _ask(fb_app, "c1")
    assert "Cảm ơn bạn đã đánh giá" in joined(say(fb_app, f"/phanhoi {question_id} co", user="c1"))
    assert "đã ghi nhận đánh giá" in joined(say(fb_app, f"/phanhoi {question_id} co", user="c1"))
    (rating,) = ratings(fb_app)
    assert (rating.question_id, rating.helpful, rating.via) == (question_id, True, "choice")
    assert "Bạn cần biết thêm điều gì?" in joined(say(fb_app, f"/phanhoi {question_id} khong", user="c1"))
    (changed,) = ratings(fb_app)
    assert changed.helpful is False and changed.id == rating.id


def test_a_number_rates_like_a_tap(fb_app: Troly) -> None:
    _, reply = _ask(fb_app, "c1")
    number = [choice.label for choice in reply.choices].index("👍 Hữu ích") + 1
    assert "Cảm ơn bạn đã đánh giá" in joined(say(fb_app, str(number), user="c1"))
    assert [r.helpful for r in ratings(fb_app)] == [True]


def test_double_taps_at_the_same_instant_store_one_rating(fb_app: Troly) -> None:
    question_id, _ = _ask(fb_app, "c1")
    barrier = threading.Barrier(4)
    replies: list[str] = []

    def tap(n: int) -> None:
        barrier.wait()
        replies.append(joined(fb_app.handle(inbound(f"/phanhoi {question_id} co", user="c1", message_id=f"t{n}"))))

    threads = [threading.Thread(target=tap, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ratings(fb_app)) == 1
    assert sorted(r.startswith("Cảm ơn bạn đã đánh giá") for r in replies) == [False, False, False, True]


def test_forged_or_stale_ratings_are_refused_politely(lite_app: Troly) -> None:
    mine, _ = _ask(lite_app, "c1")
    say(lite_app, "loa phat thanh bi hong bao ai", user="c1")
    fallback = logged(lite_app)[-1].id
    unknown = "Mình không tìm thấy câu trả lời này"
    assert unknown in joined(say(lite_app, f"/phanhoi {mine} co", user="c2"))  # someone else's answer
    assert unknown in joined(say(lite_app, f"/phanhoi {mine + 100} co", user="c1"))
    assert unknown in joined(say(lite_app, f"/phanhoi {fallback} co", user="c1"))  # no prompt was offered
    for forged in (f"/phanhoi {mine}", f"/phanhoi {mine} tot", "/phanhoi abc co", "/phanhoi 9" * 50, "/phanhoi"):
        assert "Mình chưa hiểu đánh giá này" in joined(say(lite_app, forged, user="c1"))
    assert ratings(lite_app) == []


def test_not_helpful_asks_one_optional_question_and_keeps_the_next_one_as_its_comment(
    lite_app: Troly, clock: ManualClock
) -> None:
    first, _ = _ask(lite_app, "c1")
    reply = joined(say(lite_app, f"/phanhoi {first} khong", user="c1"))
    assert "Bạn cần biết thêm điều gì?" in reply and "Tổ công nghệ số cộng đồng" in reply
    follow_up = say(lite_app, "VNeID báo lỗi mã 500 khi đăng nhập", user="c1")
    assert follow_up[0].meta["kind"] == "answer"  # it is answered as any question
    assert _comments(lite_app) == {first: "VNeID báo lỗi mã 500 khi đăng nhập"}
    second, _ = _ask(lite_app, "c1")
    say(lite_app, f"/phanhoi {second} khong", user="c1")
    clock.advance(timedelta(minutes=20))
    say(lite_app, "một câu hỏi khác về chữ ký số", user="c1")
    assert second not in _comments(lite_app)  # too late to be the answer to "what was missing"


def _comments(app: Troly) -> dict[int, str]:
    with app.database.transaction() as session:
        disliked = [(r.question_id, r.asker, r.rated_at) for r in ratings(app) if not r.helpful]
        return comments(session, disliked)


def test_the_help_desk_is_offered_only_when_installed(
    make_settings: Callable[..., Settings], sqlite_url: str, clock: ManualClock
) -> None:
    plugins = tuple(plugin for plugin in DEFAULT_PLUGINS if plugin != "handlers.helpdesk")
    app = create_app(make_settings(database_url=sqlite_url, plugins=plugins), clock=clock)
    try:
        import_sample(app)
        first, _ = _ask(app, "c1")
        without = say(app, f"/phanhoi {first} khong", user="c1")[0]
        assert without.choices == ()
        app.router.command("nhotro", lambda ctx: "Yêu cầu hỗ trợ", description="Nhờ người hỗ trợ")
        second, _ = _ask(app, "c1")
        offered = say(app, f"/phanhoi {second} khong", user="c1")[0]
        assert [(c.label, c.value) for c in offered.choices] == [("Nhờ người hỗ trợ", "/nhotro")]
        assert joined(say(app, "1", user="c1")) == "Yêu cầu hỗ trợ"
    finally:
        app.close()


def test_a_reaction_rates_the_latest_answer(fb_app: Troly, clock: ManualClock) -> None:
    def react(text: str) -> list[Outbound]:
        return fb_app.handle(inbound(text, user="c1", channel="zalo", event="reaction"))

    assert react("-") == [] and ratings(fb_app) == []  # nothing answered yet: nothing to rate
    _ask(fb_app, "c1")
    say(fb_app, QUESTION, user="c1", channel="zalo")
    latest = logged(fb_app)[-1]
    assert react("+") == []  # approval is taken silently
    assert [(r.question_id, r.helpful, r.via) for r in ratings(fb_app)] == [(latest.id, True, "reaction")]
    assert "Bạn cần biết thêm điều gì?" in joined(react("-"))
    assert react("🤔") == [] and ratings(fb_app)[0].helpful is False
    clock.advance(timedelta(hours=25))
    assert react("+") == [] and ratings(fb_app)[0].helpful is False  # too old to be what they react to


def test_the_reaction_event_is_a_core_event() -> None:
    from bot.router import EVENTS, Router

    router = Router()
    router.event("reaction", lambda ctx: None)
    assert "reaction" in EVENTS and "reaction" in router.events
