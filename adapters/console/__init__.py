"""The console channel: `troly chat` talks to the same router, handlers and storage as the messengers.

The chat loop (the app, push delivery) is imported when `troly chat` runs, not when the plugin is loaded.
"""

from __future__ import annotations

import argparse

from bot.channels import ChannelPolicy
from bot.commands import Commands
from bot.settings import Settings

CHANNEL = "console"
DEFAULT_USER = "console"  # one stable user id, so dialogs and roles carry over between sessions


def channel_policy() -> ChannelPolicy:
    return ChannelPolicy(name=CHANNEL, max_text_chars=4096)


def register_cli(commands: Commands) -> None:
    commands.add(
        "chat",
        help="Trò chuyện với trợ lý ngay trong cửa sổ dòng lệnh (hoặc đọc từng dòng từ đầu vào chuẩn)",
        run=run_chat,
        configure=configure_chat,
    )


def configure_chat(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user",
        default=None,
        help=f"tên người dùng trong phiên, để thử vai trò hay mã mời (mặc định: «{DEFAULT_USER}», không tên)",
    )


def run_chat(settings: Settings, args: argparse.Namespace) -> int:
    from adapters.console.chat import run_chat as chat

    return chat(settings, args)
