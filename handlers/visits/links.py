"""What a visit is for, from other features (bot.extensions.VISIT_HOOKS): /ghinhan offers, first, the open help
requests the member took; the chosen one is told when the visit is saved. Nothing here knows the help desk."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.extensions import VISIT_HOOKS, SavedVisit
from bot.messages import Choice, Outbound

LINK = "gn:yc:"


def offers(ctx: Context) -> list[dict[str, str]]:
    """What this member's visit may be for, as dialog data (key and button label)."""
    return [{"key": link.key, "label": link.label} for hooks in ctx.troly.extensions[VISIT_HOOKS]
            for link in hooks.offers(ctx)]  # fmt: skip


def choices(data: dict[str, Any]) -> list[Choice]:
    if data.get("link"):
        return []
    return [Choice(item["label"], f"{LINK}{n}") for n, item in enumerate(data.get("links", []))]


def pick(data: dict[str, Any], text: str) -> str | None:
    """The key of the offer tapped ("gn:yc:0"), or None."""
    index = text.removeprefix(LINK)
    offered = data.get("links", [])
    return str(offered[int(index)]["key"]) if index.isdigit() and int(index) < len(offered) else None


def label_of(data: dict[str, Any]) -> str:
    return next((item["label"] for item in data.get("links", []) if item["key"] == data.get("link")), "")


def after_save(ctx: Context, visit_id: int, outcome: str, address: str, link: str | None) -> list[Outbound]:
    saved = SavedVisit(visit_id, outcome, address, link)
    return [message for hooks in ctx.troly.extensions[VISIT_HOOKS] for message in hooks.saved(ctx, saved)]
