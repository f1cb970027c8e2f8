"""A test plugin loaded by name (TROLY_PLUGINS): `/cham N [LABEL]` answers after N seconds, from inside its
transaction, so a test can act while a message is in flight in a core worker process (or see in which order
a user's messages were handled: the reply is "xong LABEL", or "xong <pid>" without one)."""

from __future__ import annotations

import os
import time

from bot.app import Troly
from bot.context import Context, Reply


def setup(troly: Troly) -> None:
    troly.router.command("cham", answer_slowly, description="Trả lời chậm (kiểm thử)", menu=False)


def answer_slowly(ctx: Context) -> Reply:
    seconds, _, label = (ctx.args or "1").partition(" ")
    time.sleep(float(seconds))
    return f"xong {label or os.getpid()}"
