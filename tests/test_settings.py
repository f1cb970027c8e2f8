"""Settings are read from TROLY_* variables and troly.toml and validated with clear messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_put_sqlite_in_the_data_dir() -> None:
    settings = load_settings()
    assert settings.data_dir == Path("var")
    assert settings.resolved_database_url.endswith("/var/troly.db")
    assert settings.log_level == "INFO"


def test_environment_wins_over_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "troly.toml").write_text('data_dir = "from-toml"\nlog_level = "debug"\nport = 9000\n')
    monkeypatch.setenv("TROLY_PORT", "9100")
    settings = load_settings()
    assert settings.data_dir == Path("from-toml")
    assert settings.log_level == "DEBUG"
    assert settings.port == 9100


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TROLY_PORT", "not-a-port")
    with pytest.raises(SettingsError, match="TROLY_PORT"):
        load_settings()


def test_plugins_accept_a_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TROLY_PLUGINS", "handlers.basic, adapters.console")
    assert load_settings().plugins == ("handlers.basic", "adapters.console")
