"""Read-only commands (reports): run outside the write transaction and, in `troly serve`, in a lane of their own,
so an official's report never holds up a citizen (issue 17)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from bot import texts
from bot.app import Troly, create_app
from bot.context import Context, Reply
from bot.lanes import LaneRunner, OnDemandRunner, start_lanes
from bot.messages import Outbound
from bot.senders import SENDERS, SendResult, SendStatus
from bot.settings import DEFAULT_PLUGINS, Settings
from bot.storage.models import Area, AuditLog, ProcessedMessage
from tests.helpers import inbound, joined, say
from tests.visits_helpers import import_sample

REPORT_PLUGINS = (*DEFAULT_PLUGINS, "tests.support.report_plugin")


@pytest.fixture
def report_app(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Troly]:
    troly = create_app(make_settings(database_url=database_url, plugins=REPORT_PLUGINS))
    say(troly, "xin chào", user="can_bo")  # the reader is known (a first message takes the ordinary path)
    yield troly
    troly.close()


def test_a_report_being_read_holds_up_no_writer(report_app: Troly) -> None:
    """While a read-only command is still reading, citizens' messages (which write) are handled at once."""
    reading, release = threading.Event(), threading.Event()

    def long_report(ctx: Context) -> Reply:
        reading.set()
        release.wait(20)
        return "báo cáo xong"

    report_app.router.command("baocaodai", long_report, description="kiểm thử", read_only=True)
    report: list[list[Outbound]] = []
    reader = threading.Thread(target=lambda: report.append(say(report_app, "/baocaodai", user="can_bo")))
    reader.start()
    assert reading.wait(10)
    answered: list[str] = []
    citizens = threading.Thread(
        target=lambda: answered.extend(joined(say(report_app, "xin chào", user=f"dan{n}")) for n in range(3))
    )
    citizens.start()
    citizens.join(10)
    still_reading = not release.is_set() and reader.is_alive()
    release.set()
    reader.join(20)
    assert still_reading and len(answered) == 3 and all(answered)
    assert joined(report[0]) == "báo cáo xong"


def test_a_read_only_command_cannot_write(report_app: Troly) -> None:
    assert joined(say(report_app, "/ghithu", user="can_bo", message_id="w1")) == texts.APOLOGY
    with report_app.database.transaction() as session:
        assert session.scalar(select(Area).where(Area.code == "GHI-THU")) is None
        assert session.get(ProcessedMessage, ("console", "w1")) is not None  # answered once, not retried forever


def test_a_read_only_command_is_recorded_once_with_its_audit_and_ends_a_dialog(report_app: Troly) -> None:
    import_sample(report_app)
    assert "phường/xã" in joined(say(report_app, "/dangky", user="can_bo"))  # a dialog in progress
    replies = say(report_app, "/xemnhatky", user="can_bo", message_id="r1")
    assert [reply.text for reply in replies] == [texts.DIALOG_INTERRUPTED, "đã đọc"]
    assert say(report_app, "/xemnhatky", user="can_bo", message_id="r1") == []  # the channel delivered it twice
    assert "Mô Phỏng" not in joined(say(report_app, "Móng Cái 1", user="can_bo"))  # no dialog took that answer
    with report_app.database.transaction() as session:
        audits = session.scalars(select(AuditLog.action).where(AuditLog.action == "report.read")).all()
        assert audits == ["report.read"]


class RecordingSender:
    channel = "console"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, float]] = []

    async def send(self, chat_id: str, message: Outbound, *, bulk: bool = False) -> SendResult:
        self.sent.append((chat_id, message.text, time.monotonic()))
        return SendResult(SendStatus.SENT)

    async def aclose(self) -> None:
        """Nothing to close."""


async def test_the_reports_lane_keeps_citizens_moving_and_says_it_is_working(report_app: Troly) -> None:
    sender = RecordingSender()
    report_app[SENDERS] = {"console": sender}  # type: ignore[dict-item]
    lanes = await start_lanes(report_app)
    assert isinstance(lanes, LaneRunner)
    lanes.notice_after = 0.3
    try:
        started = time.monotonic()
        report = asyncio.create_task(lanes.handle(inbound("/tonghop 2", user="can_bo")))
        await asyncio.sleep(0.1)
        citizen = await lanes.handle(inbound("xin chào", user="dan"))
        citizen_done = time.monotonic() - started
        assert citizen and citizen_done < 1.5 and not report.done()
        replies = await report
    finally:
        await lanes.aclose()
    assert joined(replies).startswith("tổng hợp xong")
    assert [(chat, text) for chat, text, _ in sender.sent] == [("can_bo", texts.PREPARING)]
    assert 0.3 <= sender.sent[0][2] - started < 1.5


async def test_reports_run_in_their_own_worker_process(make_settings: Callable[..., Settings], sqlite_url: str) -> None:
    settings = make_settings(database_url=sqlite_url, core_workers=1, plugins=REPORT_PLUGINS)
    troly = create_app(settings)
    lanes = await start_lanes(troly)
    assert isinstance(lanes, LaneRunner)
    try:
        await lanes.handle(inbound("xin chào", user="can_bo"))
        assert isinstance(lanes.reports, OnDemandRunner) and lanes.reports.runner is None  # no report yet
        report = asyncio.create_task(lanes.handle(inbound("/tonghop 3", user="can_bo")))
        await asyncio.sleep(0.5)
        started = time.monotonic()
        citizen = await lanes.handle(inbound("xin chào", user="dan"))
        assert citizen and time.monotonic() - started < 2.0 and not report.done()
        reply = joined(await asyncio.wait_for(report, 30))
        citizens_pid = [worker.pid for worker in lanes.citizens.workers]  # type: ignore[attr-defined]
        assert lanes.reports.runner is not None and len(lanes.reports.runner.workers) == 1
    finally:
        await lanes.aclose()
        troly.close()
    assert reply.startswith("tổng hợp xong") and str(citizens_pid[0]) not in reply
    check = create_app(settings, migrate=False)
    with check.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedMessage)) == 3
    check.close()
