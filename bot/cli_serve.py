"""`troly serve` on the command line. The server (aiohttp, the channels' web code) is imported when the command
runs, so that every other command, `troly ask` first, starts without it."""

from __future__ import annotations

import argparse

from bot.commands import Commands
from bot.settings import Settings


def register_cli(commands: Commands) -> None:
    commands.add(
        "serve",
        help="Chạy máy chủ nhận tin nhắn từ Telegram và Zalo (webhook) cùng /healthz, /readyz và /metrics",
        run=run_serve,
        service=True,
        configure=lambda p: p.add_argument(
            "--polling", action="store_true", help="Telegram: lấy tin bằng getUpdates thay vì webhook"
        ),
    )


def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.server import run_serve as serve

    return serve(settings, args)
