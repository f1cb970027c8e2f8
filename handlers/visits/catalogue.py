"""The services a community team gives and the outcomes of a visit, with the words members type for them.

Codes are what the database and exports store; labels are what people read. Matching folds diacritics, so
"Định danh mức 2", "dinh danh muc 2" and "muc2" all name the same service.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.textutil import fold


@dataclass(frozen=True, slots=True)
class Service:
    code: str
    label: str
    aliases: tuple[str, ...] = ()


SERVICES: tuple[Service, ...] = (
    Service("vneid", "Cài đặt VNeID", ("cai vneid", "cai dat vneid", "cai app vneid", "ung dung vneid")),
    Service(
        "muc2",
        "Định danh điện tử mức 2",
        ("muc 2", "dinh danh muc 2", "kich hoat muc 2", "dang ky muc 2", "tai khoan muc 2", "dddt muc 2"),
    ),
    Service("tichhop", "Tích hợp giấy tờ vào VNeID", ("tich hop", "tich hop giay to", "tich hop vneid")),
    Service("cks", "Chữ ký số từ xa", ("chu ky so", "ky so", "ky so tu xa")),
    Service("dvc", "Dịch vụ công trực tuyến", ("dich vu cong", "dvc truc tuyen", "dvctt", "nop ho so truc tuyen")),
    Service(
        "thanhtoan",
        "Thanh toán không dùng tiền mặt",
        ("thanh toan", "thanh toan so", "khong dung tien mat", "ttkdtm", "thanh toan khong tien mat"),
    ),
    Service("vssid", "VssID (bảo hiểm xã hội số)", ("bhxh so", "bao hiem xa hoi so", "cai vssid")),
    Service("luadao", "Phòng chống lừa đảo trực tuyến", ("lua dao", "phong chong lua dao", "canh bao lua dao")),
    Service("khac", "Hỗ trợ khác", ("khac",)),
)
SERVICE_BY_CODE = {service.code: service for service in SERVICES}


class Outcome(StrEnum):
    DONE = "done"
    LATER = "later"
    DECLINED = "declined"


OUTCOME_LABELS = {Outcome.DONE: "Đã xong", Outcome.LATER: "Hẹn lại", Outcome.DECLINED: "Từ chối"}
OUTCOME_WORDS = {
    Outcome.DONE: ("xong", "da xong", "hoan thanh", "done", "ok"),
    Outcome.LATER: ("hen lai", "hen", "quay lai", "quay lai sau", "chua xong", "lan sau"),
    Outcome.DECLINED: ("tu choi", "khong dong y", "khong can"),
}


def _key(text: str) -> str:
    """Folded, without punctuation or spaces: "Mức 2" → "muc2", so "muc 2" and "muc2" meet."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


def _service_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for service in SERVICES:
        for name in (service.code, service.label, *service.aliases):
            keys[_key(name)] = service.code
    return keys


def find_service(text: str) -> str | None:
    """The code of the service `text` names (a code, a label or a common phrasing), or None."""
    key = _key(text)
    return _service_keys().get(key) if key else None


def find_outcome(text: str) -> Outcome | None:
    key = _key(text)
    for outcome, words in OUTCOME_WORDS.items():
        if key in {_key(word) for word in (*words, OUTCOME_LABELS[outcome], outcome.value)}:
            return outcome
    return None


def service_labels(codes: list[str] | tuple[str, ...]) -> list[str]:
    """Labels in catalogue order, whatever order the codes came in."""
    return [service.label for service in SERVICES if service.code in set(codes)]


def ordered_codes(codes: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    return [service.code for service in SERVICES if service.code in set(codes)]
