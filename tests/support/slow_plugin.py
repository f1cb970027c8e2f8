"""A test plugin loaded by name (TROLY_PLUGINS): `/cham N` answers after N seconds, from inside its
transaction, so a test can act while a message is in flight in a core worker process."""

from __future__ import annotations

import os
import time

from bot.app import Troly
from bot.context import Context, Reply


def setup(troly: Troly) -> None:
    troly.router.command("cham", answer_slowly, description="Trả lời chậm (kiểm thử)", menu=False)


def answer_slowly(ctx: Context) -> Reply:
    time.sleep(float(ctx.args or "1"))
    return f"xong {os.getpid()}"
