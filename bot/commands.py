"""The `Commands` registry that the CLI hands to the core and to every plugin's `register_cli`, and the
Vietnamese argument parser behind it.

argparse writes its own words ("usage:", "options:", "show this help message and exit", its error formats)
through gettext's `_`. `VietnameseParser` swaps in a translation of exactly those strings while it builds,
parses or prints, and puts argparse's own back afterwards, so nothing else in the process is affected.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from bot.settings import Settings

Run = Callable[[Settings, argparse.Namespace], int]

# argparse's messages (CPython 3.11 to 3.13) and what an operator reads instead.
ARGPARSE_VI = {
    "usage: ": "cách dùng: ",
    "options": "tùy chọn",
    "positional arguments": "tham số",
    "show this help message and exit": "xem hướng dẫn này rồi thoát",
    "show program's version number and exit": "xem phiên bản rồi thoát",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "không có lệnh %(parser_name)r (các lệnh: %(choices)s)",
    "can't open '%(filename)s': %(error)s": "không mở được tệp '%(filename)s': %(error)s",
    "unrecognized arguments: %s": "không hiểu tham số: %s",
    "not allowed with argument %s": "không dùng được cùng với %s",
    "ignored explicit argument %r": "giá trị %r bị bỏ qua",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "one of the arguments %s is required": "cần một trong các tham số %s",
    "expected one argument": "cần một giá trị",
    "expected at most one argument": "cần nhiều nhất một giá trị",
    "expected at least one argument": "cần ít nhất một giá trị",
    "ambiguous option: %(option)s could match %(matches)s": "tùy chọn %(option)s không rõ: có thể là %(matches)s",
    "unexpected option string: %s": "tùy chọn không đúng chỗ: %s",
    "invalid %(type)s value: %(value)r": "giá trị %(value)r không hợp lệ (cần kiểu %(type)s)",
    "invalid choice: %(value)r (choose from %(choices)s)": "%(value)r không hợp lệ (chọn một trong: %(choices)s)",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
    "cannot have multiple subparser arguments": "chỉ được có một nhóm lệnh con",
}
ARGPARSE_VI_PLURAL = {
    "expected %s argument": "cần %s giá trị",
    "conflicting option string: %s": "tùy chọn bị trùng: %s",
}


# What a value is called in the usage line when its command did not say (argparse would print the option's
# name in capitals: `--area AREA`). Keyed by the option's destination.
METAVARS_VI = {
    "area": "MÃ_KHU_VỰC",
    "at": "THỜI_ĐIỂM",
    "base": "MÔ_HÌNH",
    "channel": "KÊNH",
    "devset": "TỆP",
    "end": "NGÀY",
    "epochs": "SỐ",
    "file": "TỆP",
    "hours": "SỐ_GIỜ",
    "id": "SỐ",
    "month": "THÁNG",
    "name": "TÊN",
    "output": "TỆP",
    "paths": "TỆP",
    "question": "CÂU_HỎI",
    "start": "NGÀY",
    "team": "TÊN_TỔ",
    "text": "NỘI_DUNG",
    "title": "TÊN",
    "user": "TÊN",
    "user_id": "MÃ",
}


def _translate(message: str) -> str:
    return ARGPARSE_VI.get(message, message)


def _translate_plural(singular: str, plural: str, count: int) -> str:
    return ARGPARSE_VI_PLURAL.get(singular, singular if count == 1 else plural)


@contextmanager
def vietnamese_argparse() -> Iterator[None]:
    """argparse's gettext functions replaced by the Vietnamese ones for the duration of the block."""
    saved = getattr(argparse, "_"), getattr(argparse, "ngettext")  # noqa: B009 - not in the type stubs
    setattr(argparse, "_", _translate)  # noqa: B010
    setattr(argparse, "ngettext", _translate_plural)  # noqa: B010
    try:
        yield
    finally:
        setattr(argparse, "_", saved[0])  # noqa: B010
        setattr(argparse, "ngettext", saved[1])  # noqa: B010


class VietnameseParser(argparse.ArgumentParser):
    """An ArgumentParser whose own texts (usage, headings, the help option, errors) are Vietnamese.

    Its sub-command parsers are of the same class (argparse makes them with `type(self)`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with vietnamese_argparse():
            super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """argparse's own, with a Vietnamese name for the value when the command gave none (METAVARS_VI)."""
        action = super().add_argument(*args, **kwargs)
        if action.metavar is None and action.nargs != 0 and action.choices is None:
            action.metavar = METAVARS_VI.get(action.dest)
        return action

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        with vietnamese_argparse():
            return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        with vietnamese_argparse():
            return super().format_usage()

    def format_help(self) -> str:
        with vietnamese_argparse():
            return super().format_help()

    def error(self, message: str) -> NoReturn:
        with vietnamese_argparse():
            super().error(message)


class Commands:
    """A thin wrapper over argparse sub-commands that keeps help texts and `run` functions together."""

    def __init__(self, subparsers: argparse._SubParsersAction[Any]) -> None:
        self._subparsers = subparsers
        self._groups: dict[str, Commands] = {}

    def add(
        self,
        name: str,
        *,
        help: str,
        run: Run,
        configure: Callable[[argparse.ArgumentParser], object] | None = None,
        description: str | None = None,
        service: bool = False,
    ) -> argparse.ArgumentParser:
        """A sub-command. A `service` (a long-running process such as `serve`) logs to stderr as well as to the
        log file; other commands keep stderr for warnings, so their own output stays readable (bot.logs)."""
        parser: argparse.ArgumentParser = self._subparsers.add_parser(name, help=help, description=description or help)
        if configure is not None:
            configure(parser)
        parser.set_defaults(run=run, service=service)
        return parser

    def group(self, name: str, *, help: str) -> Commands:
        """A command with sub-commands (`troly db upgrade`); asking twice returns the same group."""
        if name not in self._groups:
            parser = self._subparsers.add_parser(name, help=help, description=help)
            parser.set_defaults(run=help_of(parser))
            self._groups[name] = Commands(parser.add_subparsers(title="lệnh", metavar="LỆNH"))
        return self._groups[name]


def help_of(parser: argparse.ArgumentParser) -> Run:
    """A `run` that prints the parser's help: what a bare command group does."""

    def show_help(_settings: Settings, _args: argparse.Namespace) -> int:
        parser.print_help()
        return 0

    return show_help
