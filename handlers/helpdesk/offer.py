"""Offering a person where the bot falls short, and the plain words that ask for one.

A reply hook adds a help choice to the questions feature's replies (read from `Outbound.meta`): "Nhờ người của tổ
hỗ trợ" under a fallback, a "did you mean" or a referral, "Vẫn cần người hỗ trợ?" under an answer or a whole guide;
small talk, menus and other replies are left alone. An unsure answer's question (already masked) is kept a day
as a draft, so that the request form can offer it as "what is needed".
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.textutil import fold
from handlers.helpdesk import asking, texts
from handlers.helpdesk.models import HelpDraft

COMMAND = "/nhotro"
UNSURE = {"fallback", "suggest", "referral"}
OFFERED_UNDER = {"answer", "guide"}  # answers to free text, and a whole guide opened from one
PHRASES = (
    "gap nguoi that",
    "noi chuyen voi nguoi",
    "nho to ho tro",
    "nho nguoi ho tro",
    "can nguoi giup",
    "can nguoi ho tro",
    "can to ho tro",
    "gap to ho tro",
    "gap nguoi ho tro",
    "gap nhan vien",
    "can gap nguoi",
)
FILLER = frozenset(
    [
        "toi",
        "muon",
        "minh",
        "em",
        "anh",
        "chi",
        "cho",
        "xin",
        "a",
        "voi",
        "duoc",
        "khong",
        "ko",
        "k",
        "di",
        "nhe",
        "oi",
        "ban",
        "bot",
        "troly",
        "tro",
        "ly",
        "giup",
        "ho",
        "la",
        "mot",
        "nguoi",
        "that",
        "can",
        "gap",
        "nho",
        "to",
        "noi",
        "chuyen",
        "nhan",
        "vien",
    ]
)
_WORDS = re.compile(r"[^\w\s]")


def offer_help(ctx: Context, replies: list[Outbound]) -> list[Outbound]:
    """Add the help choice to the questions feature's replies, and keep the question as a draft."""
    changed = []
    for reply in replies:
        meta = reply.meta
        if meta.get("kind") not in OFFERED_UNDER or any(choice.value == COMMAND for choice in reply.choices):
            changed.append(reply)
            continue
        label = texts.OFFER_AFTER_FALLBACK if meta.get("outcome") in UNSURE else texts.OFFER_AFTER_ANSWER
        choices = (*reply.choices, Choice(label, COMMAND))
        changed.append(replace(reply, choices=choices))
        question = str(meta.get("question") or "")
        if question and meta.get("outcome") in UNSURE:  # a confident answer's question is rarely the need
            _keep_draft(ctx, question)
    return changed


def _keep_draft(ctx: Context, question: str) -> None:
    table = cast(Table, HelpDraft.__table__)
    insert = sqlite_insert if ctx.session.get_bind().dialect.name == "sqlite" else postgresql_insert
    values = {"user_id": ctx.user.id, "question": question[: asking.MAX_NEED], "at": ctx.now}
    statement = insert(table).values(values)
    changes = {"question": statement.excluded.question, "at": statement.excluded.at}
    ctx.session.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=changes))


def _words(text: str) -> list[str]:
    return _WORDS.sub(" ", fold(text)).split()


def is_help_phrase(text: str) -> bool:
    """ "tôi muốn gặp người thật", "nhờ tổ hỗ trợ", "cần người giúp cài VNeID"..."""
    words = _words(text)
    if not words or len(words) > 25:
        return False
    joined = " ".join(words)
    return any(f" {phrase} " in f" {joined} " for phrase in PHRASES)


def ask_by_words(ctx: Context) -> Reply:
    """The plain words start the request; what else was said ("... cài VNeID") becomes what is needed."""
    rest = [word for word in _words(ctx.text) if word not in FILLER]
    return asking.start(ctx, ctx.text if len(rest) >= 2 else "", origin="words")


def ask_by_command(ctx: Context) -> Reply:
    return asking.start(ctx, ctx.args, origin="command")
