"""The inbound pipeline on both databases: routing, de-duplication, dialogs, the guard and bad input."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app import Troly
from bot.context import Context, Reply
from bot.messages import Attachment, Choice, Inbound, Location, Outbound
from bot.storage.models import DialogState, ProcessedMessage, User
from tests.helpers import inbound, joined, say


def _register_survey(app: Troly) -> None:
    """A two-step dialog registered on the real router, the way a feature plugin does."""

    def begin(ctx: Context) -> Reply:
        ctx.start_dialog("survey", "colour", {})
        return Outbound("Bạn thích màu nào?", choices=(Choice("Đỏ", "do"), Choice("Xanh", "xanh")))

    def step(ctx: Context) -> Reply:
        assert ctx.dialog is not None
        data = {**ctx.dialog.data, ctx.dialog.step: ctx.text}
        if ctx.dialog.step == "colour":
            ctx.update_dialog("size", data)
            return "Cỡ nào?"
        ctx.end_dialog()
        return f"Đã ghi: {data['colour']} {ctx.text}"

    app.router.command("khaosat", begin, description="Khảo sát thử")
    app.router.dialog("survey", step)


def test_greeting_and_help_are_vietnamese(app: Troly) -> None:
    assert "Xin chào" in joined(say(app, "xin chào"))
    assert "Xin chào" in joined(say(app, "chao ban!"))
    help_text = joined(say(app, "/trogiup"))
    assert "/thamgia" in help_text and "/huy" in help_text


def test_same_message_id_is_processed_once(app: Troly) -> None:
    first = app.handle(inbound("/trogiup", message_id="dup-1"))
    second = app.handle(inbound("/trogiup", message_id="dup-1"))
    assert first and second == []
    with app.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedMessage)) == 1


def test_numbered_answers_walk_a_dialog_and_are_persisted(app: Troly) -> None:
    _register_survey(app)
    assert [c.label for c in say(app, "/khaosat")[0].choices] == ["Đỏ", "Xanh"]
    assert joined(say(app, "2")) == "Cỡ nào?"
    with app.database.transaction() as session:
        row = session.get(DialogState, ("console", "u1"))
        assert row is not None and row.step == "size" and row.data == {"colour": "xanh"}
    assert joined(say(app, "lớn")) == "Đã ghi: xanh lớn"


def test_cancel_at_any_step_with_command_or_word(app: Troly) -> None:
    _register_survey(app)
    say(app, "/khaosat")
    assert "Đã hủy" in joined(say(app, "hủy"))
    assert "không có thao tác" in joined(say(app, "/huy")).lower()
    say(app, "/khaosat")
    assert "Đã hủy" in joined(say(app, "/huy"))


def test_command_in_the_middle_of_a_dialog_ends_it_with_a_notice(app: Troly) -> None:
    _register_survey(app)
    say(app, "/khaosat")
    replies = say(app, "/trogiup")
    assert "dừng thao tác" in replies[0].text and "/thamgia" in replies[1].text
    with app.database.transaction() as session:
        assert session.get(DialogState, ("console", "u1")).name is None  # type: ignore[union-attr]


def test_answer_after_expiry_is_not_taken_as_a_dialog_step(app: Troly) -> None:
    _register_survey(app)
    say(app, "/khaosat")
    with app.database.transaction() as session:
        row = session.get(DialogState, ("console", "u1"))
        assert row is not None and row.expires_at is not None
        row.expires_at -= timedelta(minutes=31)
    replies = say(app, "2")
    assert "hết hạn" in replies[0].text
    assert "Cỡ nào" not in joined(replies)


def test_bad_input_gets_polite_replies_and_keeps_data(app: Troly) -> None:
    say(app, "/trogiup", user="keeper")
    assert "chưa nhận được nội dung" in joined(say(app, "   \n\t "))
    assert "dài quá" in joined(say(app, "a" * 10_000))
    assert "chưa hiểu lệnh /khongco" in joined(say(app, "/khongco"))
    assert "Xin chào" in joined(say(app, "xin\x00 chào\x07\u200b"))
    assert "ảnh" in joined(app.handle(inbound("", attachments=(Attachment("photo"),))))
    assert "vị trí" in joined(app.handle(inbound("", location=Location(21.0, 105.8))))
    with app.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 2


def test_a_failing_handler_gets_an_apology_and_rolls_back(app: Troly) -> None:
    def broken(ctx: Context) -> Reply:
        ctx.user.display_name = "should not be saved"
        raise RuntimeError("boom")

    app.router.command("hong", broken, description="hỏng")
    say(app, "/trogiup", user="victim")
    replies = say(app, "/hong", user="victim", user_name="Lan")
    assert "Xin lỗi" in joined(replies)
    assert "Xin chào" in joined(say(app, "xin chào", user="victim"))
    with app.database.transaction() as session:
        user = session.scalar(select(User).where(User.channel_user_id == "victim"))
        assert user is not None and user.display_name == "Lan"


def test_blocked_user_is_unblocked_when_writing_again(app: Troly) -> None:
    from bot.users import mark_blocked

    say(app, "xin chào", user="b1")
    mark_blocked(app.database, "console", "b1")
    with app.database.transaction() as session:
        assert session.scalar(select(User.blocked).where(User.channel_user_id == "b1")) is True
    say(app, "xin chào", user="b1")
    with app.database.transaction() as session:
        assert session.scalar(select(User.blocked).where(User.channel_user_id == "b1")) is False


def test_the_sender_row_follows_each_message_in_one_upsert(app: Troly) -> None:
    from bot.users import mark_blocked

    def stored() -> User:
        with app.database.transaction() as session:
            user = session.scalar(select(User).where(User.channel_user_id == "u9"))
            assert user is not None
            return user

    say(app, "xin chào", user="u9", user_name="Lan")
    first = stored()
    assert (first.display_name, first.chat_id, first.blocked) == ("Lan", "u9", False)
    assert first.last_interaction_at is not None
    mark_blocked(app.database, "console", "u9")
    app.handle(inbound(user="u9", user_name="", event="unfollow"))
    after_unfollow = stored()
    assert after_unfollow.blocked is True  # an unfollow is not the user writing again
    assert after_unfollow.last_interaction_at == first.last_interaction_at
    assert after_unfollow.display_name == "Lan"  # no name given: the stored one stays
    app.handle(Inbound(channel="console", user_id="u9", chat_id="c2", text="xin chào", message_id="m-u9", user_name=""))
    again = stored()
    assert (again.id, again.chat_id, again.display_name, again.blocked) == (first.id, "c2", "Lan", False)
    assert again.last_interaction_at is not None and again.last_interaction_at > first.last_interaction_at
    with app.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(User).where(User.channel_user_id == "u9")) == 1


def test_free_text_is_precomputed_outside_the_transaction_and_only_when_it_may_reach_the_fallback(
    sqlite_app: Troly,
) -> None:
    import threading
    import time

    precomputed: list[tuple[str, float]] = []

    def precompute(text: str) -> str:
        precomputed.append((text, time.monotonic()))
        return f"đã chuẩn bị: {text}"

    def fallback(ctx: Context) -> Reply:
        return str(ctx.precomputed() or "không có")

    sqlite_app.router.fallback(fallback, precompute=precompute)
    assert joined(say(sqlite_app, "cai vneid ko dc")) == "đã chuẩn bị: cai vneid ko dc"
    say(sqlite_app, "/trogiup")
    say(sqlite_app, "2")
    say(sqlite_app, "hủy")
    assert [text for text, _ in precomputed] == ["cai vneid ko dc"]  # commands, numbers and cancel words are not
    holding, released = threading.Event(), []

    def hold_the_writer() -> None:
        with sqlite_app.database.transaction():
            holding.set()
            time.sleep(0.5)
            released.append(time.monotonic())

    holder = threading.Thread(target=hold_the_writer)
    holder.start()
    assert holding.wait(5)
    assert joined(say(sqlite_app, "chữ ký số là gì")) == "đã chuẩn bị: chữ ký số là gì"
    holder.join()
    assert precomputed[-1][1] < released[0]  # retrieval ran while another transaction held the SQLite writer
