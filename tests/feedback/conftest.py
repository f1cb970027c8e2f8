"""Apps for the feedback tests: every default plugin, a clock the test moves, the sample areas imported."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from bot.app import Troly, create_app
from bot.clock import ManualClock
from bot.settings import Settings
from tests.feedback.helpers import import_sample

START = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def fb_app(make_settings: Callable[..., Settings], database_url: str, clock: ManualClock) -> Iterator[Troly]:
    """On SQLite and PostgreSQL."""
    troly = create_app(make_settings(database_url=database_url), clock=clock)
    import_sample(troly)
    yield troly
    troly.close()


@pytest.fixture
def lite_app(make_settings: Callable[..., Settings], sqlite_url: str, clock: ManualClock) -> Iterator[Troly]:
    """On SQLite only, for tests whose subject is not storage."""
    troly = create_app(make_settings(database_url=sqlite_url), clock=clock)
    import_sample(troly)
    yield troly
    troly.close()
