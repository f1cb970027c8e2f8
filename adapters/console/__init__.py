"""The console channel: `troly chat` talks to the same router, handlers and storage as the messengers."""

from __future__ import annotations

from adapters.console.chat import configure_chat, run_chat
from bot.channels import ChannelPolicy
from bot.commands import Commands

CHANNEL = "console"


def channel_policy() -> ChannelPolicy:
    return ChannelPolicy(name=CHANNEL, max_text_chars=4096)


def register_cli(commands: Commands) -> None:
    commands.add(
        "chat",
        help="Trò chuyện với trợ lý ngay trong cửa sổ dòng lệnh (hoặc đọc từng dòng từ đầu vào chuẩn)",
        run=run_chat,
        configure=configure_chat,
    )
