"""A channel plugin for tests of channel-neutral delivery: "loopback", with a Zalo-like 7-day push window.

It only describes the channel (policy, and that it can push); tests hand the delivery worker a
`ScriptedSender` standing in for the remote messaging service, which answers each send as scripted.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from datetime import timedelta
from typing import Any

from bot.channels import ChannelPolicy
from bot.messages import Outbound
from bot.senders import SendResult, SendStatus

CHANNEL = "loopback"


def channel_policy() -> ChannelPolicy:
    return ChannelPolicy(name=CHANNEL, max_text_chars=2000, push_window=timedelta(days=7))


def make_sender(_troly: Any) -> None:
    """The plugin can push, but is configured by the tests themselves (see ScriptedSender)."""
    return None


class ScriptedSender:
    """Answers each chat's sends from its script (then SENT), recording what was delivered and how."""

    def __init__(self, channel: str = CHANNEL, latency: float = 0.0) -> None:
        self.channel = channel
        self.latency = latency
        self.scripts: dict[str, deque[SendResult]] = defaultdict(deque)
        self.delivered: list[tuple[str, str]] = []
        self.attempts: list[str] = []
        self.attempt_times: list[float] = []
        self.bulk_flags: set[bool] = set()
        self.closed = False

    def script(self, chat_id: str, *results: SendResult) -> None:
        self.scripts[chat_id].extend(results)

    async def send(self, chat_id: str, message: Outbound, *, bulk: bool = False) -> SendResult:
        self.attempts.append(chat_id)
        self.attempt_times.append(time.monotonic())
        self.bulk_flags.add(bulk)
        if self.latency:
            await asyncio.sleep(self.latency)
        script = self.scripts.get(chat_id)
        result = script.popleft() if script else SendResult(SendStatus.SENT)
        if result.ok:
            self.delivered.append((chat_id, message.text))
        return result

    async def aclose(self) -> None:
        self.closed = True
