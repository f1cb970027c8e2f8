"""The `troly` console script end to end, as a user runs it from a fresh data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "data" / "areas-sample.csv"
ROOT = Path(__file__).resolve().parents[1]


def troly(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def test_piped_chat_greets_and_helps(tmp_path: Path) -> None:
    result = troly("chat", stdin="xin chào\n/trogiup\n")
    assert result.returncode == 0, result.stderr
    assert "Xin chào" in result.stdout
    assert "/thamgia" in result.stdout and "Hủy thao tác" in result.stdout
    assert (tmp_path / "var" / "troly.db").exists()


def test_help_lists_commands_in_vietnamese() -> None:
    result = troly("--help")
    assert result.returncode == 0
    for command in ("chat", "serve", "invite", "areas", "db"):
        assert command in result.stdout
    assert "trợ lý số" in result.stdout


def test_bad_setting_is_reported_by_name() -> None:
    result = troly("chat", env={"TROLY_LOG_LEVEL": "LOUD"})
    assert result.returncode == 2
    assert "TROLY_LOG_LEVEL" in result.stderr


def test_areas_invite_and_redeem_through_the_cli() -> None:
    assert troly("areas", "import", str(SAMPLE)).returncode == 0
    listing = troly("areas", "list").stdout
    assert "22-MC-K2  Khu 2  (thôn/tổ dân phố)" in listing
    invite = troly("invite", "--role", "member", "--area", "22-MC-K2")
    assert invite.returncode == 0, invite.stderr
    code = invite.stdout.strip().splitlines()[-1]
    assert len(code) == 8
    chat = troly("chat", "--user", "an", stdin=f"/thamgia {code}\n/thamgia {code}\n")
    assert "Khu 2" in chat.stdout and "đã được dùng" in chat.stdout
    unknown = troly("invite", "--area", "NOPE")
    assert unknown.returncode == 2 and "Không có khu vực mã NOPE" in unknown.stderr


def test_db_upgrade_reports_the_revision() -> None:
    result = troly("db", "upgrade")
    assert result.returncode == 0
    # Feature branches depend on 0002_teams_invites, so the newest core revision or a feature head is shown.
    assert "0002_teams_invites" in result.stdout or "_0001" in result.stdout
    again = troly("db", "upgrade")
    assert "Đã tạo cơ sở dữ liệu mới" in result.stdout
    assert again.returncode == 0 and "không có gì để nâng cấp" in again.stdout
