"""Shared fixtures: isolated settings, SQLite and PostgreSQL databases, and a ready app.

`database_url` runs a test on SQLite and, when a PostgreSQL server can be started (always in CI, where
TROLY_TEST_REQUIRE_POSTGRES=1 makes its absence an error), on PostgreSQL too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.app import Troly, create_app
from bot.logs import remove_handlers
from bot.settings import Settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.postgres import running_postgres
from tests.support.telegram_e2e import telegram_settings

pytest_plugins = ["tests.support.network_guard"]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No TROLY_* variable or troly.toml of the developer's leaks into a test, nor logging set up by one."""
    for name in list(os.environ):
        if name.startswith("TROLY_") and not name.startswith("TROLY_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield
    remove_handlers()  # a test that ran the CLI in-process configured logging into its temporary directory


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str | None]:
    """A PostgreSQL server for the session: TROLY_TEST_POSTGRES_URL if given, else one started here."""
    given = os.environ.get("TROLY_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        with running_postgres() as url:
            yield url
    except RuntimeError as error:
        if os.environ.get("TROLY_TEST_REQUIRE_POSTGRES") == "1":
            raise
        print(f"PostgreSQL unavailable, its variants are skipped: {error}")
        yield None


def _fresh_postgres_database(admin_url: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs twice: on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    if admin_url is None:
        pytest.skip("PostgreSQL server unavailable on this machine")
    yield from _fresh_postgres_database(admin_url)


@pytest.fixture
def postgres_url(postgres_admin_url: str | None) -> Iterator[str]:
    """A fresh PostgreSQL database, for tests whose subject only PostgreSQL has."""
    if postgres_admin_url is None:
        pytest.skip("PostgreSQL server unavailable on this machine")
    yield from _fresh_postgres_database(postgres_admin_url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        # In-process tests register handlers on the app they hold, which core worker processes (built from the
        # plugin names) would not see: the core runs in a thread here unless a test asks for workers. The
        # worker processes are tested in test_workers.py and by the tests that run `troly serve` itself.
        values: dict[str, Any] = {"data_dir": tmp_path / "var", "core_workers": 0}
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def app(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Troly]:
    """The real app with every default plugin, on SQLite and on PostgreSQL."""
    troly = create_app(make_settings(database_url=database_url))
    yield troly
    troly.close()


@pytest.fixture
def sqlite_app(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[Troly]:
    """The real app on SQLite only, for tests whose subject is not storage."""
    troly = create_app(make_settings(database_url=sqlite_url))
    yield troly
    troly.close()


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram Bot API on 127.0.0.1 that the real PTB client talks to."""
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def tg_app(make_settings: Callable[..., Settings], database_url: str, fake_telegram: FakeTelegram) -> Iterator[Troly]:
    """The real app with Telegram pointed at the fake, on SQLite and on PostgreSQL."""
    troly = create_app(telegram_settings(make_settings, fake_telegram, database_url=database_url))
    yield troly
    troly.close()
