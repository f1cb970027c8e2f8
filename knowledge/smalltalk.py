"""Small talk: thanks, greetings, goodbyes, "ok", insults and emoji get a short, natural reply.

These messages are not questions: searching the guides for "cảm ơn" or "bot ngu" can only produce an odd answer
or an "I don't know". A message is small talk when, once its small-talk words are removed, nothing that could be
a question is left ("cảm ơn, cài vneid thế nào" is a question). Matching is on folded words, so "cam on", "cảm
ơn" and "camon" meet; the replies are fixed texts.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from embeddings.text import fold


class Kind(StrEnum):
    THANKS = "thanks"
    GREETING = "greeting"
    GOODBYE = "goodbye"
    OK = "ok"
    INSULT = "insult"
    EMOJI = "emoji"
    PRAISE = "praise"


_PHRASES: dict[Kind, tuple[str, ...]] = {
    Kind.THANKS: (
        "cam on",
        "cam on nhieu",
        "cam on nhe",
        "cam on ban",
        "cam on bot",
        "cam on troly",
        "cam on tro ly",
        "camon",
        "cam om",
        "cmon",
        "thanks",
        "thank",
        "thank you",
        "thanks you",
        "thanh kiu",
        "tks",
        "thks",
        "thx",
        "ty",
        "cam on a",
        "da cam on",
        "xin cam on",
        "ok cam on",
        "ok thanks",
        "hay qua",
        "tuyet voi",
        "cam on nhieu nha",
        "cam on nha",
    ),
    Kind.GREETING: (
        "xin chao",
        "chao",
        "chao ban",
        "chao bot",
        "chao em",
        "chao anh",
        "chao chi",
        "chao buoi sang",
        "chao buoi toi",
        "hello",
        "helo",
        "hi",
        "hey",
        "alo",
        "a lo",
        "alo alo",
    ),
    Kind.GOODBYE: (
        "tam biet",
        "bye",
        "bai",
        "bye bye",
        "goodbye",
        "hen gap lai",
        "chao nhe",
        "thoi nhe",
        "di ngu",
        "chuc ngu ngon",
        "ngu ngon",
    ),
    Kind.OK: (
        "ok",
        "oke",
        "okie",
        "okay",
        "oki",
        "okela",
        "uk",
        "uh",
        "u",
        "um",
        "uhm",
        "vang",
        "da",
        "duoc",
        "duoc roi",
        "hieu roi",
        "da hieu",
        "biet roi",
        "roi",
        "nhe",
        "vay a",
        "the a",
        "a",
        "ok roi",
        "ok nhe",
        "da vang",
        "vang a",
        "da a",
        "de minh thu",
        "de toi thu",
        "minh thu xem",
    ),
    Kind.INSULT: (
        "bot ngu",
        "ngu",
        "ngu qua",
        "ngu the",
        "do ngu",
        "vo dung",
        "vo dung qua",
        "bot vo dung",
        "chan",
        "chan qua",
        "te qua",
        "do te",
        "kem qua",
        "bot do",
        "do",
        "vo ich",
        "chang giup duoc gi",
        "khong giup duoc gi",
        "tra loi linh tinh",
        "noi linh tinh",
        "sai roi",
        "sai bet",
    ),
    Kind.PRAISE: ("gioi qua", "gioi", "bot gioi", "hay", "hay lam", "huu ich", "rat huu ich"),
}

REPLIES: dict[Kind, str] = {
    Kind.THANKS: "Không có gì ạ! Bạn cần gì thêm cứ hỏi mình nhé.",
    Kind.GREETING: "Chào bạn! Bạn cần hỏi gì về VNeID, chữ ký số, dịch vụ công trực tuyến hay thanh toán số ạ?",
    Kind.GOODBYE: "Chào bạn, chúc bạn một ngày tốt lành! Khi cần, bạn cứ nhắn mình nhé.",
    Kind.OK: "Dạ. Bạn cần hỏi thêm gì cứ nhắn mình nhé.",
    Kind.INSULT: (
        "Xin lỗi vì mình chưa giúp được bạn. Bạn thử hỏi lại ngắn gọn hơn, ví dụ «cài VNeID thế nào», "
        "hoặc gõ /huongdan để xem các chủ đề mình biết."
    ),
    Kind.EMOJI: "Mình đọc được chữ thôi ạ 😊 Bạn gõ câu hỏi, ví dụ «đăng ký định danh mức 2 ở đâu», nhé.",
    Kind.PRAISE: "Cảm ơn bạn! Bạn cần gì thêm cứ hỏi mình nhé.",
}

_LOOKUP = {phrase: kind for kind, phrases in _PHRASES.items() for phrase in phrases}
_FILLERS = frozenset(
    "a ah ak nha nhe nhen nhé ha ho hi hihi haha hehe bot ban em anh chi minh ad admin oi".split()  # noqa: SIM905
)
_NON_WORD = re.compile(r"[^\w\s]|_", re.UNICODE)


def classify(text: str) -> Kind | None:
    """The kind of small talk a whole message is, or None when it may be a question."""
    if not text.strip():
        return None
    if is_emoji_only(text):
        return Kind.EMOJI
    words = fold(_NON_WORD.sub(" ", text)).lower().split()
    if not words or len(words) > 8:
        return None
    kept = [word for word in words if word not in _FILLERS] or words
    phrase = " ".join(kept)
    kind = _LOOKUP.get(phrase) or _LOOKUP.get(" ".join(words))
    if kind is not None:
        return kind
    return _leading(kept)


def _leading(words: list[str]) -> Kind | None:
    """ "cảm ơn bạn nhiều lắm", "ok cảm ơn": a small-talk phrase followed only by small-talk words."""
    for size in range(min(4, len(words)), 0, -1):
        kind = _LOOKUP.get(" ".join(words[:size]))
        if kind is None:
            continue
        rest = words[size:]
        if all(word in _FILLERS or word in _TAIL for word in rest):
            return kind
    return None


_TAIL = frozenset("nhieu lam qua nhe nha a roi vay the ha luon".split())  # noqa: SIM905


def is_emoji_only(text: str) -> bool:
    """Only symbols, pictographs and punctuation: nothing a search could use."""
    stripped = "".join(char for char in text if not char.isspace())
    if not stripped:
        return False
    return not any(unicodedata.category(char)[0] in "LN" for char in stripped)


def reply(kind: Kind) -> str:
    return REPLIES[kind]
