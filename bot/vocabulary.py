"""Roles and area levels in the words operators use, and parsing of either those words or the stored values.

The database and JSON keep the English values (`member`, `commune`): they are identifiers. What a person
reads is Vietnamese, and what a person types may be either: `--role to-truong`, `--role "tổ trưởng"` and
`--role leader` are the same role.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

from bot.storage.models import AreaLevel, Role
from bot.textutil import fold

E = TypeVar("E", bound=StrEnum)

ROLE_LABELS: Mapping[Role, str] = {
    Role.CITIZEN: "người dân",
    Role.MEMBER: "thành viên",
    Role.LEADER: "tổ trưởng",
    Role.OFFICIAL: "cán bộ",
    Role.ADMIN: "quản trị viên",
}
LEVEL_LABELS: Mapping[AreaLevel, str] = {
    AreaLevel.PROVINCE: "tỉnh/thành phố",
    AreaLevel.COMMUNE: "xã/phường",
    AreaLevel.VILLAGE: "thôn/tổ dân phố",
}
# Other words for a level that a CSV of areas may use.
LEVEL_ALIASES: Mapping[AreaLevel, tuple[str, ...]] = {
    AreaLevel.PROVINCE: ("tỉnh", "thành phố trực thuộc trung ương"),
    AreaLevel.COMMUNE: ("xã", "phường", "đặc khu", "thị trấn"),
    AreaLevel.VILLAGE: ("thôn", "tổ dân phố", "ấp", "bản", "khu phố", "xóm", "buôn", "làng"),
}
ROLE_ALIASES: Mapping[Role, tuple[str, ...]] = {Role.ADMIN: ("quản trị",), Role.OFFICIAL: ("cán bộ phụ trách",)}


def role_label(role: Role) -> str:
    return ROLE_LABELS[role]


def level_label(level: AreaLevel) -> str:
    return LEVEL_LABELS[level]


def _key(text: str) -> str:
    """Folded, with hyphens and underscores as spaces: "Tổ-trưởng", "to truong" and "TO_TRUONG" match."""
    return " ".join(fold(text.replace("-", " ").replace("_", " ")).split())


def parse_value(text: str, labels: Mapping[E, str], aliases: Mapping[E, tuple[str, ...]] | None = None) -> E | None:
    wanted = _key(text)
    for member, label in labels.items():
        names = (member.value, label, *(aliases or {}).get(member, ()))
        if wanted in {_key(name) for name in names}:
            return member
    return None


def parse_role(text: str) -> Role | None:
    return parse_value(text, ROLE_LABELS, ROLE_ALIASES)


def parse_level(text: str) -> AreaLevel | None:
    return parse_value(text, LEVEL_LABELS, LEVEL_ALIASES)


def slug(label: str) -> str:
    """The label as one word to type on a command line: "tổ trưởng" -> "to-truong"."""
    return _key(label.split("/")[0]).replace(" ", "-")


def choice_list(members: Iterable[E], labels: Mapping[E, str]) -> str:
    """For help texts: "thanh-vien (member), to-truong (leader)"."""
    return ", ".join(f"{slug(labels[member])} ({member.value})" for member in members)


def argparse_type(members: Iterable[E], labels: Mapping[E, str], what: str) -> Callable[[str], E]:
    """An argparse `type` that accepts the value or the Vietnamese word, among `members` only."""
    allowed = list(members)

    def convert(text: str) -> E:
        found = parse_value(text, {member: labels[member] for member in allowed})
        if found is None:
            raise argparse.ArgumentTypeError(
                f"{what} «{text}» không có; chọn một trong: {choice_list(allowed, labels)}"
            )
        return found

    convert.__name__ = what
    return convert
