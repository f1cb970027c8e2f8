"""The `troly` command line. The core adds its own commands; every plugin may add more (`register_cli`).

A problem of configuration or environment (bot.errors) ends the command with a short Vietnamese message on
stderr and exit code 2; its traceback goes to the log file at DEBUG. Anything else is a bug and shows as one.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from bot import backup, cli_admin, cli_jobs, cli_serve
from bot.commands import Commands, VietnameseParser, help_of
from bot.errors import EXIT_CODE, OperatorError, describe, ensure_writable_dir
from bot.logs import configure_logging
from bot.plugins import hooks, load_plugins
from bot.settings import Settings, load_settings

__all__ = ["Commands", "build_parser", "main", "run"]
log = logging.getLogger(__name__)


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = VietnameseParser(
        prog="troly",
        description="troly, trợ lý số cộng đồng: hỏi đáp chuyển đổi số cho người dân, ghi nhận hoạt động "
        "của Tổ công nghệ số cộng đồng và gửi thông báo, trên Telegram, Zalo và cửa sổ dòng lệnh.",
        epilog="Cấu hình qua biến môi trường TROLY_* hoặc tệp troly.toml (xem README.md).",
    )
    commands = Commands(parser.add_subparsers(title="lệnh", metavar="LỆNH"))
    cli_admin.register_cli(commands)
    backup.register_cli(commands)
    cli_jobs.register_cli(commands)
    cli_serve.register_cli(commands)
    for register in hooks(load_plugins(settings.plugins), "register_cli"):
        register(commands)
    parser.set_defaults(run=help_of(parser))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = load_settings()
        parser = build_parser(settings)
    except OperatorError as error:
        print(error, file=sys.stderr)
        return EXIT_CODE
    args = parser.parse_args(argv)
    try:
        ensure_writable_dir(settings.data_dir, "TROLY_DATA_DIR")
        configure_logging(settings, service=getattr(args, "service", False))
        return int(args.run(settings, args))
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        message = describe(error)
        if message is None:
            raise
        log.debug("stopped by a problem of configuration or environment", exc_info=True)
        print(message, file=sys.stderr)
        return EXIT_CODE


def run() -> NoReturn:
    """The `troly` program (its console script, and `python -m bot`): `main`, then the exit.

    What a command loaded (SQLAlchemy, pydantic, the plugins' models: a few hundred thousand objects) lives
    until the process ends, and on the way out the interpreter's last garbage collections walked all of it once
    more: 70-90 ms of a 400 ms `troly --help`, measured. Moved out of the collector's sight first (gc.freeze, as
    the core workers do after their start-up), it is simply released with the process. Tests call `main`,
    which leaves the collector alone.
    """
    try:
        code = main()
    finally:  # also after argparse's own exit (--help, a usage error)
        gc.freeze()
    raise SystemExit(code)
