"""Logs: a file in the data directory at TROLY_LOG_LEVEL, warnings only on an interactive command's stderr,
everything on a service's stderr, and one JSON object per record with TROLY_LOG_FORMAT=json."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.logs import configure_logging
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_a_command_logs_to_the_file_and_only_warnings_to_stderr(
    make_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings()
    configure_logging(settings)
    logging.getLogger("troly.test").info("index built")
    logging.getLogger("troly.test").warning("disk almost full")

    err = capsys.readouterr().err
    assert "disk almost full" in err and "index built" not in err
    written = (settings.data_dir / "troly.log").read_text(encoding="utf-8")
    assert "INFO troly.test: index built" in written and "WARNING troly.test: disk almost full" in written


def test_a_service_logs_everything_to_stderr_too(
    make_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(make_settings(), service=True)
    logging.getLogger("troly.test").info("serving on http://127.0.0.1:8080")
    assert "serving on http://127.0.0.1:8080" in capsys.readouterr().err


def test_json_records_with_the_traceback(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings(log_format="json", log_file=str(tmp_path / "logs" / "troly.json"))
    configure_logging(settings)
    try:
        raise ValueError("bad thing")
    except ValueError:
        logging.getLogger("troly.test").exception("handler failed for %s", "zalo:***678")

    (line,) = (tmp_path / "logs" / "troly.json").read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert record["level"] == "ERROR" and record["logger"] == "troly.test"
    assert record["message"] == "handler failed for zalo:***678" and record["pid"] == os.getpid()
    assert "ValueError: bad thing" in record["exc_info"] and record["time"]


def test_no_log_file_when_told_so(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(log_file="-")
    configure_logging(settings)
    logging.getLogger("troly.test").warning("only on stderr")
    assert not (settings.data_dir / "troly.log").exists()


def test_the_chat_writes_its_log_lines_to_the_file_as_json(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TROLY_LOG_FORMAT": "json"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="xin chào\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0 and result.stderr == ""
    records = [json.loads(line) for line in (tmp_path / "var" / "troly.log").read_text(encoding="utf-8").splitlines()]
    assert any(record["message"].startswith("index built") for record in records)
