"""The `troly` command line. The core adds its own commands; every plugin may add more (`register_cli`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot import cli_admin, cli_jobs, server
from bot.commands import Commands, help_of
from bot.logs import configure_logging
from bot.plugins import PluginError, hooks, load_plugins
from bot.settings import Settings, SettingsError, load_settings

__all__ = ["Commands", "build_parser", "main"]


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="troly",
        description="troly, trợ lý số cộng đồng: hỏi đáp chuyển đổi số cho người dân, ghi nhận hoạt động "
        "của Tổ công nghệ số cộng đồng và gửi thông báo, trên Telegram, Zalo và cửa sổ dòng lệnh.",
        epilog="Cấu hình qua biến môi trường TROLY_* hoặc tệp troly.toml (xem README.md).",
    )
    commands = Commands(parser.add_subparsers(title="lệnh", metavar="LỆNH"))
    cli_admin.register_cli(commands)
    cli_jobs.register_cli(commands)
    server.register_cli(commands)
    for register in hooks(load_plugins(settings.plugins), "register_cli"):
        register(commands)
    parser.set_defaults(run=help_of(parser))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = load_settings()
        parser = build_parser(settings)
    except (SettingsError, PluginError) as error:
        print(error, file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    configure_logging(settings)
    try:
        return int(args.run(settings, args))
    except KeyboardInterrupt:
        return 130
