"""How a new team member is brought in: an invite's links (one per channel that has them) and its QR code.

One place for what `troly invite`, `/moi` in chat and the web console show. The core knows no channel: a
channel plugin that can open a chat with an invite code in it (Telegram's deep link
`https://t.me/<bot>?start=<CODE>`) adds an `InviteLinker` to `INVITE_LINKERS` in its `setup`. Opening such a
link sends `/start CODE`, which redeems the invite (handlers/basic.py); everywhere else the member types
`/thamgia CODE`, which the QR code carries when no channel offers a link.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import segno

from bot.extensions import ExtensionPoint

if TYPE_CHECKING:
    from bot.app import Troly


class InviteLinker(Protocol):
    """A channel's link that opens a chat with the bot carrying an invite code."""

    channel: str  # "telegram"
    label: str  # Vietnamese, shown before the link: "Telegram"

    def link(self, code: str, *, fetch: bool = False) -> str | None:
        """The link for `code`, or None when it cannot be made now. Without `fetch`, only what is already known
        is used (no network: handlers call this inside their transaction)."""
        ...


# Channels whose links open the bot with an invite code (the Telegram adapter adds its deep link).
INVITE_LINKERS: ExtensionPoint[InviteLinker] = ExtensionPoint("invite_linkers")


@dataclass(frozen=True, slots=True)
class InviteLink:
    channel: str
    label: str
    url: str


def invite_links(troly: Troly, code: str, *, fetch: bool = False) -> list[InviteLink]:
    """Every channel's link for this invite code (those that could not be made are left out)."""
    found = []
    for linker in troly.extensions[INVITE_LINKERS]:
        url = linker.link(code, fetch=fetch)
        if url:
            found.append(InviteLink(linker.channel, linker.label, url))
    return found


def join_command(code: str) -> str:
    return f"/thamgia {code}"


def qr_content(code: str, links: Sequence[InviteLink]) -> str:
    """What the QR code holds: the first channel link (a phone camera opens it), else the join command."""
    return links[0].url if links else join_command(code)


def qr_png(content: str, *, scale: int = 8) -> bytes:
    """A QR code (error correction M, quiet zone of 4 modules) as PNG bytes."""
    buffer = io.BytesIO()
    segno.make(content, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def invite_lines(code: str, links: Sequence[InviteLink]) -> list[str]:
    """The Vietnamese lines that tell an invited person how to join, for chat and the command line."""
    lines = [f"Người được mời gửi cho trợ lý: {join_command(code)}"]
    lines += [f"Hoặc mở liên kết {link.label} (tự gửi mã khi bấm Bắt đầu): {link.url}" for link in links]
    return lines
