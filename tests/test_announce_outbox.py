"""The outbox state machine on SQLite and PostgreSQL: who is queued, claiming, finishing, taking over."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.app import Troly, create_app
from bot.areas import area_by_code
from bot.settings import Settings
from bot.storage.models import User
from bot.storage.types import utcnow
from handlers.announcements import outbox
from handlers.announcements.models import Announcement, OutboxItem, OutboxState, Target
from handlers.announcements.recipients import push_channels, recipients
from tests.announce_helpers import PLUGINS, add_residents, import_sample
from tests.support.loopback_channel import channel_policy


@pytest.fixture
def app(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Troly]:
    troly = create_app(make_settings(database_url=database_url, plugins=PLUGINS))
    import_sample(troly)
    yield troly
    troly.close()


def queue(app: Troly, area_code: str, *, target: Target = Target.SUBSCRIBERS, delay: float = 0) -> int:
    now = utcnow()
    with app.database.transaction() as session:
        area = area_by_code(session, area_code)
        assert area is not None
        announcement = Announcement(
            text="Thông báo thử",
            area_id=area.id,
            target=target,
            created_by_label="test",
            created_at=now,
            send_at=now + timedelta(seconds=delay),
        )
        return outbox.enqueue(session, announcement, recipients(session, area.id, target), push_channels(app.plugins))


def states(app: Troly, announcement_id: int) -> dict[str, str]:
    with app.database.transaction() as session:
        rows = session.execute(
            select(User.chat_id, OutboxItem.state, OutboxItem.reason)
            .join(User, User.id == OutboxItem.user_id)
            .where(OutboxItem.announcement_id == announcement_id)
        )
        return {chat: f"{state.value}:{reason}" if reason else state.value for chat, state, reason in rows}


def test_recipients_are_the_subscribers_of_the_area_and_its_sub_areas(app: Troly) -> None:
    add_residents(app, "22-MC", 2, prefix="ward")
    add_residents(app, "22-MC-K1", 2, prefix="k1-")
    add_residents(app, "22-UB", 2, prefix="other")
    add_residents(app, "22-MC", 1, prefix="blocked", blocked=True)
    add_residents(app, None, 1, prefix="nobody")
    add_residents(app, "22-MC-K2", 1, prefix="console", channel="console")
    number = queue(app, "22-MC")
    assert states(app, number) == {
        "ward0": "queued",
        "ward1": "queued",
        "k1-0": "queued",
        "k1-1": "queued",
        "console0": "skipped:no_push_channel",
    }
    only_k1 = queue(app, "22-MC-K1")
    assert set(states(app, only_k1)) == {"k1-0", "k1-1"}


def test_claim_marks_sending_and_skips_who_left_since(app: Troly) -> None:
    chats = add_residents(app, "22-MC", 5)
    add_residents(app, "22-MC", 1, prefix="old", last_seen=utcnow() - timedelta(days=8))
    number = queue(app, "22-MC")
    with app.database.transaction() as session:
        session.execute(update(User).where(User.chat_id == chats[0]).values(blocked=True))
        session.execute(update(User).where(User.chat_id == chats[1]).values(subscribed_area_id=None))
    claimed = outbox.claim(app.database, "w1", "loopback", 10, utcnow(), channel_policy())
    assert sorted(row.chat_id for row in claimed) == chats[2:]
    assert all(row.text == "Thông báo thử" and row.attempts == 1 for row in claimed)
    assert states(app, number) == {
        chats[0]: "skipped:blocked",
        chats[1]: "skipped:unsubscribed",
        "old0": "skipped:outside_window",
        **{chat: "sending" for chat in chats[2:]},
    }
    assert outbox.claim(app.database, "w2", "loopback", 10, utcnow(), channel_policy()) == []
    assert outbox.finish(app.database, claimed[0].id, "w1", OutboxState.SENT, utcnow())
    assert not outbox.finish(app.database, claimed[0].id, "w1", OutboxState.SENT, utcnow()), "finished twice"
    assert not outbox.finish(app.database, claimed[1].id, "w2", OutboxState.SENT, utcnow()), "not w2's row"


def test_scheduled_rows_are_not_claimed_before_their_time(app: Troly) -> None:
    add_residents(app, "22-MC", 3)
    queue(app, "22-MC", delay=3600)
    assert outbox.claim(app.database, "w1", "loopback", 10, utcnow(), None) == []
    later = utcnow() + timedelta(hours=1, seconds=1)
    assert len(outbox.claim(app.database, "w1", "loopback", 10, later, None)) == 3


def test_concurrent_claims_never_share_a_row(app: Troly) -> None:
    add_residents(app, "22-MC", 300)
    queue(app, "22-MC")
    claimed: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            while rows := outbox.claim(app.database, name, "loopback", 7, utcnow(), None):
                claimed[name].extend(row.id for row in rows)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    every = [row for rows in claimed.values() for row in rows]
    assert len(every) == len(set(every)) == 300
    assert sum(1 for rows in claimed.values() if rows) >= 2, "the claims were not interleaved at all"


def test_rows_of_a_dead_worker_are_requeued_as_uncertain(app: Troly) -> None:
    add_residents(app, "22-MC", 4)
    number = queue(app, "22-MC")
    now = utcnow()
    outbox.heartbeat(app.database, "dead", now - timedelta(minutes=5))
    outbox.heartbeat(app.database, "alive", now)
    dead_rows = outbox.claim(app.database, "dead", "loopback", 2, now, None)
    alive_rows = outbox.claim(app.database, "alive", "loopback", 2, now, None)
    assert outbox.recover(app.database, now, timedelta(seconds=30)) == 2
    with app.database.transaction() as session:
        rows = {row.id: row for row in session.scalars(select(OutboxItem))}
    assert {rows[r.id].state for r in dead_rows} == {OutboxState.QUEUED}
    assert all(rows[r.id].uncertain for r in dead_rows)
    assert {rows[r.id].state for r in alive_rows} == {OutboxState.SENDING}
    assert not any(rows[r.id].uncertain for r in alive_rows)
    # The dead worker wakes up after all: its late result must not overwrite the takeover.
    assert not outbox.finish(app.database, dead_rows[0].id, "dead", OutboxState.SENT, now)
    again = outbox.claim(app.database, "alive", "loopback", 10, now, None)
    assert sorted(r.id for r in again) == sorted(r.id for r in dead_rows)
    assert again[0].attempts == 2
    assert outbox.pending(app.database, ["loopback"]) == 4
    assert number


def test_rate_limited_retry_does_not_use_up_an_attempt(app: Troly) -> None:
    add_residents(app, "22-MC", 1)
    queue(app, "22-MC")
    now = utcnow()
    (row,) = outbox.claim(app.database, "w", "loopback", 1, now, None)
    assert outbox.retry_later(app.database, row.id, "w", now + timedelta(seconds=5), "rate_limited", count=False)
    assert outbox.claim(app.database, "w", "loopback", 1, now, None) == []
    (again,) = outbox.claim(app.database, "w", "loopback", 1, now + timedelta(seconds=6), None)
    assert again.attempts == 1
