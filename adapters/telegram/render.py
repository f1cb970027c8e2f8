"""Rendering the core's `Outbound` for Telegram: escaped HTML, splitting, inline and reply keyboards.

Callback data: a choice's value when it fits Telegram's 64-byte limit (the core takes it as the user's text,
so an old button keeps its meaning across restarts); otherwise the choice's number "1".."n", which the core
resolves against the choices it last offered this user (stored in the database, not in memory).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from adapters.telegram import texts
from bot.channels import split_text
from bot.messages import Choice, Outbound

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


@dataclass(frozen=True, slots=True)
class Part:
    """One Telegram message: HTML text (or a photo's caption), and the keyboard it carries."""

    text: str
    markup: Markup | None = None
    photo: bytes | None = None


def render(message: Outbound, limit: int = MAX_TEXT) -> list[Part]:
    """The messages that carry `message`, in order; the keyboard rides on the last one."""
    text = _with_prompt(message)
    markup = _keyboard(message)
    if message.image is not None:
        if len(text) <= MAX_CAPTION:
            return [Part(escape(text), markup, message.image)]
        head = [Part("", None, message.image)]
    else:
        head = []
    chunks = [chunk for chunk in split_message(text, limit) if chunk]
    parts = [Part(escape(chunk)) for chunk in chunks]
    if parts and markup is not None:
        parts[-1] = Part(parts[-1].text, markup)
    return head + parts


def escape(text: str) -> str:
    """The core writes plain text; in HTML parse mode only <, > and & need escaping."""
    return html.escape(text, quote=False)


def split_message(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split at paragraph (then line, sentence, word) ends; Telegram counts UTF-16 code units, so emoji count 2."""
    pieces: list[str] = []
    for chunk in split_text(text, limit):
        size, parts = limit, [chunk]
        while any(utf16_len(part) > limit for part in parts):
            size = max(1, size * 3 // 4)
            parts = split_text(chunk, size)
        pieces.extend(parts)
    return pieces


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def callback_data(number: int, choice: Choice) -> str:
    value = choice.value
    return value if value and len(value.encode()) <= MAX_CALLBACK_BYTES else str(number)


def _with_prompt(message: Outbound) -> str:
    """Telegram refuses empty texts; with a location keyboard the choices are listed to be answered by number."""
    text = message.text.strip()
    if (message.request_location or message.request_contact) and message.choices:
        listed = "\n".join(f"{n}. {choice.label}" for n, choice in enumerate(message.choices, start=1))
        text = f"{text}\n\n{listed}" if text else listed
    if not text and message.image is None:
        if message.choices:
            return texts.CHOOSE_PROMPT
        if message.request_location:
            return texts.LOCATION_PROMPT
    return text


def _keyboard(message: Outbound) -> Markup | None:
    if message.request_contact:
        rows = [[KeyboardButton(texts.CONTACT_BUTTON, request_contact=True)]]
        if message.choices:
            rows.append([KeyboardButton(str(n)) for n in range(1, len(message.choices) + 1)])
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if message.request_location:
        rows = [[KeyboardButton(texts.LOCATION_BUTTON, request_location=True)], [KeyboardButton(texts.SKIP_BUTTON)]]
        if message.choices:
            rows.append([KeyboardButton(str(n)) for n in range(1, len(message.choices) + 1)])
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if message.choices:
        buttons = [
            [InlineKeyboardButton(choice.label[:100], callback_data=callback_data(n, choice))]
            for n, choice in enumerate(message.choices, start=1)
        ]
        return InlineKeyboardMarkup(buttons)
    return None
