"""The `Commands` registry that the CLI hands to the core and to every plugin's `register_cli`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bot.settings import Settings

Run = Callable[[Settings, argparse.Namespace], int]


class Commands:
    """A thin wrapper over argparse sub-commands that keeps help texts and `run` functions together."""

    def __init__(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    ) -> argparse.ArgumentParser:
        parser = self._subparsers.add_parser(name, help=help, description=description or help)
        if configure is not None:
            configure(parser)
        parser.set_defaults(run=run)
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
