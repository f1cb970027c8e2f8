"""Outbound → Zalo OA v3 `message` objects: text under 2000 characters, choices as numbers and buttons.

Choices are always written out as a numbered list, because the core resolves a bare "2" against the last
offered choices and because not every Zalo client shows template buttons. When there are at most five of
them, the last chunk also carries `oa.query.show` buttons: tapping one makes the user send the button's
payload as an ordinary `user_send_text`, so no extra webhook event is needed. The payload is the choice's
value (like Telegram's callback data), not its number: a button tapped in an older message then still does
what it said, whereas a number would be resolved against whatever was offered last.
"""

from __future__ import annotations

from typing import Any

from bot.channels import split_text
from bot.messages import Choice, Outbound

MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100
MAX_BUTTON_PAYLOAD = 1000
MAX_IMAGE_BYTES = 1024 * 1024
CHOICE_HINT = "(Bạn bấm nút hoặc trả lời bằng số tương ứng, ví dụ: 1)"
CONTACT_HINT = "(Bạn gõ số điện thoại vào khung chat, ví dụ: 0912 345 678.)"
REQUEST_INFO_TITLE = "Chia sẻ số điện thoại với trợ lý"
REQUEST_INFO_SUBTITLE = "Bấm vào đây để gửi số điện thoại Zalo của bạn, tổ công nghệ số cộng đồng sẽ liên hệ lại."
LOCATION_HINT = "(Bạn có thể gửi vị trí qua mục «Vị trí» trong khung chat Zalo, hoặc gõ «bỏ qua».)"

Message = dict[str, Any]


def render(outbound: Outbound, *, buttons: bool = True) -> list[Message]:
    """The messages to post for one outbound, in order (an image is uploaded by the sender first)."""
    text = outbound.text.strip()
    extra = []
    if outbound.choices:
        extra.append("\n".join(f"{n}. {choice.label}" for n, choice in enumerate(outbound.choices, start=1)))
        extra.append(CHOICE_HINT)
    if outbound.request_location:
        extra.append(LOCATION_HINT)
    if outbound.request_contact:
        extra.append(CONTACT_HINT)
    full = "\n\n".join(part for part in (text, *extra) if part)
    if not full:
        return []
    messages: list[Message] = [{"text": chunk} for chunk in split_text(full, MAX_TEXT)]
    if buttons and button_ready(outbound.choices):
        messages[-1]["attachment"] = {"type": "template", "payload": {"buttons": _buttons(outbound.choices)}}
    if outbound.request_contact:
        messages.append(request_user_info())
    return messages


def request_user_info() -> Message:
    """Zalo's consent form (`template_type: request_user_info`, one element): the user taps it to share their
    number with the OA, which comes back as a `user_submit_info` event (Inbound.contact). The text above it
    still says the number can be typed, for clients that do not show the form."""
    element = {"title": REQUEST_INFO_TITLE, "subtitle": REQUEST_INFO_SUBTITLE}
    payload = {"template_type": "request_user_info", "elements": [element]}
    return {"attachment": {"type": "template", "payload": payload}}


def is_request_user_info(message: Message) -> bool:
    attachment = message.get("attachment")
    return isinstance(attachment, dict) and attachment.get("payload", {}).get("template_type") == "request_user_info"


def image_message(attachment_id: str) -> Message:
    """An image uploaded to Zalo (its text, if any, follows in the next messages)."""
    element = {"media_type": "image", "attachment_id": attachment_id}
    return {"attachment": {"type": "template", "payload": {"template_type": "media", "elements": [element]}}}


def without_buttons(message: Message) -> Message:
    """The plain-text form of a message, used when Zalo refuses its template."""
    return {"text": message.get("text", "")}


def button_ready(choices: tuple[Choice, ...]) -> bool:
    return 0 < len(choices) <= MAX_BUTTONS and all(choice.label.strip() for choice in choices)


def _buttons(choices: tuple[Choice, ...]) -> list[dict[str, str]]:
    buttons = []
    for number, choice in enumerate(choices, start=1):
        payload = choice.value if choice.value.strip() and len(choice.value) <= MAX_BUTTON_PAYLOAD else str(number)
        title = f"{number}. {choice.label.strip()}"
        if len(title) > MAX_BUTTON_TITLE:
            title = title[: MAX_BUTTON_TITLE - 1] + "…"
        buttons.append({"title": title, "type": "oa.query.show", "payload": payload})
    return buttons
