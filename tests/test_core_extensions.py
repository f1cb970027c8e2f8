"""The core's extension points: the clock, reply hooks, the push outbox and its delivery, jobs and retention."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import Troly, create_app
from bot.clock import ManualClock
from bot.context import Context, Reply
from bot.extensions import ANSWER_PROVIDERS, HELP_LINES, ProvidedAnswer
from bot.jobs import Job, Jobs
from bot.messages import Choice, Outbound
from bot.outbox import push
from bot.push_delivery import PushDelivery, PushOptions
from bot.senders import SendResult, SendStatus
from bot.settings import Settings
from bot.storage.models import JobRun, ProcessedMessage, PushMessage, PushState, User
from tests.helpers import inbound, joined, say
from tests.support.fake_telegram import FakeTelegram
from tests.support.loopback_channel import CHANNEL, ScriptedSender
from tests.support.telegram_e2e import serving, telegram_settings

START = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
PLUGINS = ("handlers.basic", "tests.support.loopback_channel")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(make_settings: Callable[..., Settings], database_url: str, clock: ManualClock) -> Iterator[Troly]:
    troly = create_app(make_settings(database_url=database_url, plugins=PLUGINS), clock=clock)
    yield troly
    troly.close()


def _register_notify(app: Troly) -> None:
    """`/bao TEN noi dung`: tell another loopback user something, once per message (a keyed push)."""

    def notify(ctx: Context) -> Reply:
        name, _, text = ctx.args.partition(" ")
        target = ctx.session.scalar(select(User).where(User.channel == CHANNEL, User.channel_user_id == name))
        if target is None:
            return "Không thấy người nhận."
        ctx.push(target, Outbound(text, choices=(Choice("Nhận", "/nhan"),)), key=f"bao:{ctx.inbound.message_id}")
        return "Đã chuyển lời." if ctx.can_reach(target) else "Người nhận đang ngoài thời hạn nhắn tin."

    app.router.command("bao", notify, description="Báo cho người khác")


def _pushes(app: Troly) -> list[PushMessage]:
    with app.database.transaction() as session:
        return list(session.scalars(select(PushMessage).order_by(PushMessage.id)))


def test_the_clock_dates_messages_and_users(app: Troly, clock: ManualClock) -> None:
    say(app, "xin chào", user="an", channel=CHANNEL)
    with app.database.transaction() as session:
        user = session.scalars(select(User)).one()
        assert user.created_at == START and user.last_interaction_at == START
        assert session.scalars(select(ProcessedMessage.processed_at)).one() == START


def test_reply_hooks_see_meta_and_add_choices(app: Troly) -> None:
    def rate(ctx: Context, replies: list[Outbound]) -> list[Outbound]:
        return [
            Outbound(r.text, choices=(*r.choices, Choice("Hữu ích", "/huuich")), meta=r.meta)
            if r.meta.get("kind") == "demo"
            else r
            for r in replies
        ]

    app.router.command("demo", lambda ctx: Outbound("Trả lời", meta={"kind": "demo"}), description="thử")
    app.router.after(rate)
    assert [c.label for c in say(app, "/demo")[0].choices] == ["Hữu ích"]
    assert say(app, "/trogiup")[0].choices == ()
    assert joined(say(app, "1")) != ""  # the added choice was remembered: "1" resolves to /huuich


def test_help_line_comes_from_the_first_provider_that_knows(app: Troly) -> None:
    seen: list[str] = []

    def card(ctx: Context) -> str | None:
        seen.append(ctx.user.channel_user_id)
        return "Tổ CNS phường Một, nhà văn hóa khu 3" if ctx.user.channel_user_id == "an" else None

    app.extensions.add(HELP_LINES, card)
    app.router.command("lienhe", lambda ctx: ctx.help_line(), description="thử")
    assert "nhà văn hóa khu 3" in joined(say(app, "/lienhe", user="an"))
    assert "Tổ công nghệ số cộng đồng" in joined(say(app, "/lienhe", user="binh"))
    assert seen == ["an", "binh"]


def test_a_push_is_queued_once_with_the_transaction_and_delivered(app: Troly) -> None:
    _register_notify(app)
    say(app, "chào", user="binh", channel=CHANNEL)
    message = inbound("/bao binh Có người cần hỗ trợ", user="an", channel=CHANNEL, message_id="m-1")
    assert joined(app.handle(message)) == "Đã chuyển lời."
    assert app.handle(message) == []  # a redelivery queues nothing more
    assert [(p.chat_id, p.text, p.state) for p in _pushes(app)] == [("binh", "Có người cần hỗ trợ", PushState.QUEUED)]
    sender = ScriptedSender()
    delivery = PushDelivery(app.database, {CHANNEL: sender}, app.policies, app.clock, PushOptions(poll_seconds=0.01))
    assert asyncio.run(delivery.step()) == 1
    assert sender.delivered == [("binh", "Có người cần hỗ trợ")]
    assert asyncio.run(delivery.step()) == 0
    push = _pushes(app)[0]
    assert push.state is PushState.SENT and push.attempts == 1
    assert push.payload["choices"] == [["Nhận", "/nhan"]]


def test_a_failed_handler_queues_no_push(app: Troly) -> None:
    def notify_then_fail(ctx: Context) -> Reply:
        ctx.push(ctx.user, Outbound("không được gửi"))
        raise RuntimeError("bug after the push")

    app.router.command("loi", notify_then_fail, description="thử")
    assert "sự cố" in joined(say(app, "/loi", channel=CHANNEL))
    assert _pushes(app) == []


def test_push_outcomes_retry_skip_and_give_up(app: Troly, clock: ManualClock) -> None:
    _register_notify(app)
    for name in ("binh", "chi", "dung"):
        say(app, "chào", user=name, channel=CHANNEL)
    for name in ("binh", "chi", "dung"):
        say(app, f"/bao {name} Tin cho {name}", user="an", channel=CHANNEL)
    sender = ScriptedSender()
    sender.script("binh", SendResult(SendStatus.TRANSIENT, detail="502"))
    sender.script("chi", SendResult(SendStatus.BLOCKED))
    sender.script("dung", SendResult(SendStatus.INVALID, detail="chat not found"))
    delivery = PushDelivery(app.database, {CHANNEL: sender}, app.policies, clock, PushOptions())
    asyncio.run(delivery.step())
    states = {p.chat_id: (p.state, p.reason) for p in _pushes(app)}
    assert states["binh"][0] is PushState.QUEUED and "502" in states["binh"][1]
    assert states["chi"][0] is PushState.SKIPPED and states["dung"][0] is PushState.FAILED
    assert asyncio.run(delivery.step()) == 0  # binh's retry is not due yet
    clock.advance(timedelta(seconds=5))
    asyncio.run(delivery.step())
    assert sender.delivered == [("binh", "Tin cho binh")]
    with app.database.transaction() as session:
        assert session.scalar(select(User.blocked).where(User.channel_user_id == "chi")) is True


def test_can_reach_follows_the_channels_window(app: Troly, clock: ManualClock) -> None:
    _register_notify(app)
    say(app, "chào", user="binh", channel=CHANNEL)
    clock.advance(timedelta(days=8))  # the loopback channel, like Zalo, allows pushes within 7 days
    assert (
        joined(say(app, "/bao binh muộn rồi", user="an", channel=CHANNEL)) == "Người nhận đang ngoài thời hạn nhắn tin."
    )


def test_a_job_runs_once_per_period_across_processes(app: Troly, clock: ManualClock) -> None:
    runs: list[datetime] = []
    app.jobs.add(Job("dem", timedelta(hours=1), lambda troly, now: runs.append(now)))
    other = Jobs()  # another server process on the same database
    other.add(Job("dem", timedelta(hours=1), lambda troly, now: runs.append(now)))
    assert "dem" in app.jobs.run_due(app, clock.now())
    assert "dem" not in other.run_due(app, clock.now())
    clock.advance(timedelta(minutes=59))
    assert "dem" not in app.jobs.run_due(app, clock.now())
    clock.advance(timedelta(minutes=1))
    assert "dem" in other.run_due(app, clock.now())
    assert runs == [START, START + timedelta(hours=1)]


def test_a_failing_job_is_recorded_and_the_others_still_run(app: Troly, clock: ManualClock) -> None:
    ran: list[str] = []

    def broken(troly: Troly, now: datetime) -> None:
        raise ValueError("hỏng")

    app.jobs.add(Job("hong", timedelta(hours=1), broken))
    app.jobs.add(Job("tot", timedelta(hours=1), lambda troly, now: ran.append("tot")))
    assert {"hong", "tot"} <= set(app.jobs.run_due(app, clock.now()))
    assert ran == ["tot"]
    with app.database.transaction() as session:
        row = session.get(JobRun, "hong")
        assert row is not None and "hỏng" in row.last_error and row.finished_at is not None


def test_retention_deletes_only_what_is_old(app: Troly, clock: ManualClock) -> None:
    _register_notify(app)
    say(app, "chào", user="binh", channel=CHANNEL)
    say(app, "/bao binh cũ", user="an", channel=CHANNEL)
    delivery = PushDelivery(app.database, {CHANNEL: ScriptedSender()}, app.policies, clock)
    asyncio.run(delivery.step())
    clock.advance(timedelta(days=8))
    say(app, "chào lại", user="binh", channel=CHANNEL)
    deleted = app.jobs.prune(app.database, clock.now())
    assert deleted["processed_messages"] == 2 and deleted["push_outbox"] == 0
    with app.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedMessage)) == 1
    clock.advance(timedelta(days=30))
    assert app.jobs.prune(app.database, clock.now())["push_outbox"] == 1


async def test_serve_delivers_pushes_through_the_channel_and_runs_jobs(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram
) -> None:
    """A push written by any process reaches Telegram through `troly serve`'s loop; jobs run at start-up."""
    settings = telegram_settings(make_settings, fake_telegram, database_url=sqlite_url, push_poll_seconds=0.05)
    troly = create_app(settings)
    ran = asyncio.Event()
    troly.jobs.add(Job("bao-thuc", timedelta(hours=1), lambda app, now: ran.set()))
    try:
        async with serving(troly):
            with troly.database.transaction() as session:
                message = Outbound("Nhắc lịch hỗ trợ lúc 9 giờ", choices=(Choice("Đồng ý", "/dongy"),))
                push(session, channel="telegram", chat_id="4242", message=message, now=troly.clock.now())
            assert await fake_telegram.wait_for("sendMessage", chat_id=4242)
            await asyncio.wait_for(ran.wait(), timeout=5)
        assert fake_telegram.plain_texts(4242) == ["Nhắc lịch hỗ trợ lúc 9 giờ"]
        assert _pushes(troly)[0].state is PushState.SENT
    finally:
        troly.close()


def test_a_more_confident_provided_answer_wins_and_others_fall_through(sqlite_app: Troly) -> None:
    """handlers.questions asks the ANSWER_PROVIDERS (e.g. local answers) and keeps the most confident answer."""

    def local(ctx: Context, question: str) -> ProvidedAnswer | None:
        if "nhà văn hóa" not in question:
            return None
        source = {"kind": "local", "id": "faq-1", "title": "Lịch trực của Tổ"}
        return ProvidedAnswer("Tổ trực tại nhà văn hóa khu 3 sáng thứ Bảy.", 0.9, source)

    sqlite_app.extensions.add(ANSWER_PROVIDERS, local)
    local_reply = say(sqlite_app, "tổ trực ở nhà văn hóa nào")[0]
    assert local_reply.text.startswith("Tổ trực tại nhà văn hóa khu 3")
    assert local_reply.meta["source_kind"] == "local" and local_reply.meta["outcome"] == "answer"
    guide_reply = say(sqlite_app, "cài vneid thế nào")[0]
    assert guide_reply.meta["source_kind"] == "guide" and guide_reply.meta["topic"]
