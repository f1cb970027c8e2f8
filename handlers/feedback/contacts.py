"""Contact cards: each area's own "who to contact" text, set by its officials (`/lienhe`, `troly contacts`).

The HELP_LINES entry gives a citizen the card of their area, or of the nearest area above it that has one, in
place of the generic sentence in fallbacks, referrals and help replies. A hotline is shown only when an official
typed it for publication; nothing is made up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.storage.models import Area, AuditLog
from bot.textutil import fold
from handlers.feedback import texts
from handlers.feedback.local_answers import bump_version
from handlers.feedback.local_index import LocalIndex
from handlers.feedback.models import ContactCard
from handlers.feedback.scope import PUBLISHERS, user_area_id

DIALOG = "feedback.contact"
HOTLINE = re.compile(r"^\+?[\d .-]{8,20}$")
SKIP_WORDS = frozenset({"bo qua", "khong", "khong co"})
LIMITS = {"team_name": 200, "meets": 300}


class CardFields(Protocol):
    @property
    def team_name(self) -> str: ...
    @property
    def meets(self) -> str: ...
    @property
    def hotline(self) -> str: ...


def card_text(card: CardFields) -> str:
    line = texts.CARD_LINE.format(team=card.team_name)
    if card.meets:
        line += texts.CARD_MEETS.format(meets=card.meets)
    if card.hotline:
        line += texts.CARD_HOTLINE.format(hotline=card.hotline)
    return line + "."


def make_help_line(local_index: Callable[[], LocalIndex]) -> Callable[[Context], str | None]:
    """HELP_LINES: the card of this user's area, or of the nearest area above it. Cards live in the local answers'
    snapshot, whose version every question has checked already: no query of its own."""

    def help_line(ctx: Context) -> str | None:
        area_id = user_area_id(ctx.user)
        if area_id is None:
            return None
        index = local_index()
        snapshot = index.current(ctx.session)
        if not snapshot.cards:
            return None
        index.learn_area(ctx.session, snapshot, area_id)
        card = snapshot.card(area_id)
        return card_text(card) if card is not None else None

    return help_line


def valid_hotline(text: str) -> str | None:
    """A phone number as the official wrote it, if it looks like one (8-15 digits); else None."""
    text = " ".join(text.split())
    digits = re.sub(r"\D", "", text)
    return text if HOTLINE.match(text) and 8 <= len(digits) <= 15 else None


def save_card(
    session: Session, area: Area, values: dict[str, str], *, actor: str, actor_id: int | None, now: datetime
) -> None:
    card = session.get(ContactCard, area.id)
    if card is None:
        card = ContactCard(area_id=area.id)
        session.add(card)
    card.team_name, card.meets, card.hotline = values["team_name"], values.get("meets", ""), values.get("hotline", "")
    card.updated_at, card.updated_by = now, actor[:200]
    bump_version(session, now)  # every process's snapshot holds the cards
    details = {"area": area.code, **{key: values.get(key, "") for key in ("team_name", "meets", "hotline")}}
    session.add(
        AuditLog(at=now, actor_user_id=actor_id, actor_label=actor[:64], action="contact_card.set",
                 target=f"area:{area.id}", details=details)
    )  # fmt: skip


def remove_card(session: Session, card: ContactCard, *, actor: str, now: datetime) -> None:
    session.add(AuditLog(at=now, actor_label=actor[:64], action="contact_card.remove", target=f"area:{card.area_id}"))
    session.delete(card)
    bump_version(session, now)


def show_contact(ctx: Context) -> Reply:
    """`/lienhe`: whom to contact; an official also sees their area's card and may change it (`/lienhe sua`)."""
    area = ctx.user.area if ctx.user.role in PUBLISHERS else None
    if area is None:
        return ctx.help_line()
    if ctx.args.strip().lower() in ("sua", "sửa"):
        ctx.start_dialog(DIALOG, "team_name", {"area_id": area.id})
        current = ctx.session.get(ContactCard, area.id)
        default = current.team_name if current else f"Tổ công nghệ số cộng đồng {area.name[:1].lower()}{area.name[1:]}"
        return Outbound(texts.ASK_TEAM, choices=(Choice(default[:60], default),))
    card = ctx.session.get(ContactCard, area.id)
    header = (texts.CURRENT_CARD if card else texts.NO_CARD).format(area=area.name)
    return Outbound(f"{header}\n{ctx.help_line()}", choices=(Choice(texts.EDIT_CARD_LABEL, "/lienhe sua"),))


def continue_dialog(ctx: Context) -> Reply:
    dialog = ctx.dialog
    assert dialog is not None
    data: dict[str, Any] = dict(dialog.data)
    text = " ".join(ctx.text.split())
    skipped = fold(text) in SKIP_WORDS
    if dialog.step in LIMITS:
        if len(text) > LIMITS[dialog.step]:
            return texts.TOO_LONG_FIELD.format(limit=LIMITS[dialog.step])
        if dialog.step == "team_name" and (skipped or not text):
            return texts.ASK_TEAM
        data[dialog.step] = "" if skipped else text
        if dialog.step == "team_name":
            ctx.update_dialog("meets", data)
            return Outbound(texts.ASK_MEETS, choices=(Choice(texts.SKIP_LABEL, "bỏ qua"),))
        ctx.update_dialog("hotline", data)
        return Outbound(texts.ASK_HOTLINE, choices=(Choice(texts.SKIP_LABEL, "bỏ qua"),))
    if dialog.step == "hotline":
        hotline = "" if skipped else valid_hotline(text)
        if hotline is None:
            return texts.BAD_HOTLINE
        data["hotline"] = hotline
        return _preview(ctx, data)
    return _confirm(ctx, data)


def _preview(ctx: Context, data: dict[str, Any]) -> Reply:
    area = ctx.session.get(Area, data["area_id"])
    assert area is not None
    ctx.update_dialog("confirm", data)
    card = ContactCard(team_name=data["team_name"], meets=data["meets"], hotline=data["hotline"])
    text = f"{texts.CARD_PREVIEW.format(area=area.name)}\n{card_text(card)}"
    return Outbound(text, choices=(Choice(texts.SAVE_LABEL, "lưu"), Choice(texts.CANCEL_LABEL, "/huy")))


def _confirm(ctx: Context, data: dict[str, Any]) -> Reply:
    if fold(ctx.text) != "luu":
        return texts.CARD_CONFIRM_HINT
    area = ctx.session.get(Area, data["area_id"])
    assert area is not None
    actor = f"{ctx.user.channel}:{ctx.user.id}"
    save_card(ctx.session, area, data, actor=actor, actor_id=ctx.user.id, now=ctx.now)
    ctx.end_dialog()
    return texts.CARD_SAVED.format(area=area.name)
