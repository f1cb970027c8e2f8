"""The console chat loop: one line in, the bot's replies out, choices shown as numbered options."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from adapters.console import CHANNEL, DEFAULT_USER
from bot.app import create_app
from bot.messages import Inbound, Outbound
from bot.push_delivery import PushDelivery
from bot.senders import SendResult, SendStatus
from bot.settings import Settings

PROMPT = "Bạn: "
BANNER = "troly – trợ lý số cộng đồng. Gõ câu hỏi rồi Enter; /trogiup để xem chức năng; Ctrl-D để thoát."


def run_chat(settings: Settings, args: argparse.Namespace) -> int:
    """Talk until end of input. Log records go to the log file, not between the lines of the conversation
    (bot.logs); the search index is loaded (or built) before the first line, so a problem with it is
    reported at start and not as an apology to the first question."""
    troly = create_app(settings)
    user_id, name = args.user or DEFAULT_USER, args.user or ""
    interactive = sys.stdin.isatty()
    image_dir = settings.data_dir / "console-images"
    pushes = PushDelivery(troly.database, {CHANNEL: ConsoleSender(user_id, image_dir)}, troly.policies, troly.clock)
    try:
        if interactive:
            _enable_line_editing()
            print(BANNER, flush=True)
        troly.prepare()
        for line in _read_lines(interactive):
            replies = troly.handle(console_inbound(user_id, line, name))
            write_replies(replies, sys.stdout, image_dir=image_dir)
            asyncio.run(pushes.step())
    finally:
        troly.close()
    return 0


class ConsoleSender:
    """Prints messages pushed to console users (notifications, reminders) after the replies, naming the
    recipient when it is not the person at the keyboard."""

    channel = CHANNEL

    def __init__(self, user: str, image_dir: Path) -> None:
        self.user = user
        self.image_dir = image_dir

    async def send(self, chat_id: str, message: Outbound, *, bulk: bool = False) -> SendResult:
        if chat_id != self.user:
            sys.stdout.write(f"(tin gửi cho {chat_id})\n")
        write_replies([message], sys.stdout, image_dir=self.image_dir)
        return SendResult(SendStatus.SENT)

    async def aclose(self) -> None:
        """Nothing to release."""


def console_inbound(user_id: str, line: str, name: str = "") -> Inbound:
    return Inbound(
        channel=CHANNEL, user_id=user_id, chat_id=user_id, text=line, message_id=uuid.uuid4().hex, user_name=name
    )


def write_replies(replies: Iterable[Outbound], out: TextIO, *, image_dir: Path) -> None:
    """Print each reply; choices become numbered lines the user answers by typing the number."""
    for reply in replies:
        if reply.image is not None:
            out.write(f"troly: [hình ảnh đã lưu tại {_save_image(reply.image, image_dir)}]\n")
        out.write(f"troly: {reply.text}\n")
        for number, choice in enumerate(reply.choices, start=1):
            out.write(f"  {number}. {choice.label}\n")
        if reply.choices:
            out.write("  (gõ số để chọn)\n")
        if reply.request_contact:
            out.write("  (trên Telegram có nút gửi số điện thoại; ở đây hãy gõ số)\n")
        if reply.request_location:
            out.write("  (trên điện thoại, bạn có thể gửi vị trí; ở đây hãy gõ «bỏ qua»)\n")
    out.flush()


def _read_lines(interactive: bool) -> Iterator[str]:
    if not interactive:
        for line in sys.stdin:
            yield line.rstrip("\n")
        return
    while True:
        try:
            yield input(PROMPT)
        except EOFError:
            print()
            return


def _enable_line_editing() -> None:
    """Arrow keys and history for `input()` where the platform has readline."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - importing it is what enables line editing


def _save_image(image: bytes, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex[:12]}.png"
    path.write_bytes(image)
    return path


__all__ = ["console_inbound", "run_chat", "write_replies"]
