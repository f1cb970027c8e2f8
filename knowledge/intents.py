"""What kind of answer a question wants: a definition, yes or no, a cost, a place, a duration, the steps...

Citizens ask the same guide very different things: "Chữ ký số từ xa là gì?" wants an explanation, "có mất phí
không" wants the cost, "ở đâu" a place. The intent decides which section of a guide leads the reply. Patterns are
matched on the folded text (no diacritics, teencode expanded), so "co mat phi ko" and "có mất phí không" meet.
"""

from __future__ import annotations

import re
from enum import StrEnum

from embeddings.text import analyze


class Intent(StrEnum):
    SCAM = "scam"
    DEFINITION = "definition"
    COST = "cost"
    DURATION = "duration"
    WHERE = "where"
    BRING = "bring"
    YESNO = "yesno"
    HOW = "how"
    OTHER = "other"


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"(?:^| )(?:" + "|".join(patterns) + r")(?: |$)")


# Order matters: the first intent whose pattern matches wins (a "có mất phí không" is a cost question first).
_PATTERNS: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (
        Intent.DEFINITION,
        _words(
            r"la gi",
            r"la cai gi",
            r"nghia la gi",
            r"la the nao",
            r"de lam gi",
            r"dung lam gi",
            r"dung de lam gi",
            r"co tac dung gi",
            r"co ich gi",
            r"loi ich gi",
            r"co gi hay",
            r"la ai",
            r"khac (?:nhau )?(?:gi|the nao|nhu the nao|cho nao)",
            r"khac nhau",
            r"giai thich",
        ),
    ),
    (
        Intent.COST,
        _words(
            r"(?:mat|ton|het) (?:phi|tien|bao nhieu)",
            r"(?:tra|dong|thu|co|nop) phi",
            r"phi bao nhieu",
            r"(?:phi|le phi) (?:\w+ ){0,6}(?:bao nhieu|la bao nhieu|het bao nhieu)",
            r"bao nhieu tien",
            r"mien phi",
            r"le phi",
            r"chi phi",
            r"gia bao nhieu",
            r"tinh phi",
            r"mat phi",
            r"thu phi",
            r"ton kem",
        ),
    ),
    (
        Intent.DURATION,
        _words(
            r"bao lau",
            r"mat may ngay",
            r"may ngay",
            r"bao nhieu ngay",
            r"bao gio (?:thi )?(?:co|xong|duoc)",
            r"khi nao (?:thi )?(?:co|xong|duoc)",
            r"lau (?:qua|the|vay|khong)",
            r"thoi gian (?:xu ly|duyet|cho)",
        ),
    ),
    (Intent.WHERE, _words(r"o dau", r"cho nao", r"noi nao", r"tai dau", r"den dau", r"lien he ai", r"hoi ai")),
    (
        Intent.BRING,
        _words(
            r"(?:mang|can|chuan bi|dem) (?:theo )?(?:nhung )?(?:gi|giay to gi|nhung gi)",
            r"giay to gi",
            r"ho so gom",
            r"can nhung gi",
            r"dieu kien gi",
        ),
    ),
    (
        Intent.YESNO,
        re.compile(
            r"(?:^| )(?:co phai|phai khong|duoc khong|co duoc|co can|co bi|co nen|co the|co bat buoc|"
            r"chua|khong a|khong vay|co .+ khong)(?: |$)|(?:khong|chua)$"
        ),
    ),
    (
        Intent.HOW,
        _words(
            r"lam sao",
            r"the nao",
            r"nhu the nao",
            r"ra sao",
            r"cach",
            r"huong dan",
            r"cac buoc",
            r"lam gi",
            r"xu ly",
            r"phai lam",
        ),
    ),
)

# A scam question describes someone who calls or writes, claims authority or a prize, and wants an app, a link,
# a code or money; or it asks outright whether something is a scam. Checked on its own, before the others.
_SCAM_ASKED = re.compile(
    r"(?:co phai|phai|la|co bi|bi|co) (?:la )?lua(?: dao)?(?: khong| ko| a| chang| ha|$)|lua dao (?:khong|a|ha)(?: |$)"
    r"|(?:that|that hay gia|gia hay that) (?:khong|ko)(?: |$)|scam"
)
_SCAM_ACTOR = _words(
    r"xung (?:la )?\w+",
    r"tu xung",
    r"gia danh",
    r"gia mao",
    r"nguoi la",
    r"so la",
    r"goi (?:dien|den|toi)",
    r"nhan tin",
    r"tin nhan",
    r"trung thuong",
    r"trung giai",
    r"qua tang",
    r"sms",
)
_SCAM_DEMAND = _words(
    r"cai (?:dat )?(?:app|ung dung|phan mem)",
    r"tai (?:app|ung dung)",
    r"bam (?:vao )?(?:link|duong link|duong dan)",
    r"link",
    r"duong link",
    r"ma otp",
    r"otp",
    r"chuyen (?:tien|khoan)",
    r"nop phi",
    r"mat khau",
    r"dong bo",
    r"cap nhat (?:thong tin|muc 2|dinh danh)",
    r"phat nguoi",
    r"nhan thuong",
)


def folded(text: str) -> str:
    return " ".join(analyze(text).folded)


def detect(text: str) -> Intent:
    """The question's intent, from its folded words (see the module's docstring)."""
    words = folded(text)
    if is_scam(words):
        return Intent.SCAM
    for intent, pattern in _PATTERNS:
        if pattern.search(words):
            return intent
    return Intent.OTHER


def is_scam(words: str) -> bool:
    """A described scam: an actor (a caller, a message, a prize) and a demand (an app, a link, a code, money)."""
    if _SCAM_ASKED.search(words):
        return True
    return bool(_SCAM_ACTOR.search(words) and _SCAM_DEMAND.search(words))
