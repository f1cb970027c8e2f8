"""The knowledge base: one Markdown guide per topic, with YAML front matter (see GUIDE_FORMAT in the docs)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

REQUIRED_FIELDS = ("id", "title", "summary", "questions")
MAX_SHORT_CHARS = 32  # a menu button's label on a phone


class GuideError(ValueError):
    """A guide file is malformed; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class Guide:
    id: str
    title: str
    summary: str
    questions: tuple[str, ...]
    body: str
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    reviewed: str = ""
    short: str = ""  # a label that fits a phone's menu button ("Cài VNeID")
    group: str = ""  # the menu group: vneid, cks, dvc or khac
    faq: tuple[tuple[str, str], ...] = ()  # (question, one-sentence answer) pairs that lead replies


def default_guides_dir() -> Path:
    """The guides shipped as package data (knowledge/guides/*.md)."""
    return Path(str(resources.files("knowledge") / "guides"))


def parse_guide(text: str, name: str = "<guide>") -> Guide:
    """Parse one guide file's text: `---` front matter `---`, then the Markdown body. PyYAML is imported here:
    guides are parsed when the index is built, and `troly ask` on a built index does not need it."""
    import yaml

    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    if not text.startswith("---"):
        raise GuideError(f"{name}: missing YAML front matter")
    try:
        _, header, body = text.split("---", 2)
        meta = yaml.safe_load(header)
    except (ValueError, yaml.YAMLError) as error:
        raise GuideError(f"{name}: bad front matter: {error}") from error
    if not isinstance(meta, dict):
        raise GuideError(f"{name}: front matter is not a mapping")
    missing = [key for key in REQUIRED_FIELDS if not meta.get(key)]
    if missing:
        raise GuideError(f"{name}: missing {', '.join(missing)}")
    if len(_text(meta.get("short") or "")) > MAX_SHORT_CHARS:
        raise GuideError(f"{name}: short label longer than {MAX_SHORT_CHARS} characters")
    return Guide(
        id=str(meta["id"]).strip(),
        title=_text(meta["title"]),
        summary=_text(meta["summary"]),
        questions=_texts(meta["questions"]),
        body=body.strip(),
        tags=_texts(meta.get("tags") or ()),
        sources=_texts(meta.get("sources") or ()),
        reviewed=_date(meta.get("reviewed")),
        short=_text(meta.get("short") or ""),
        group=_text(meta.get("group") or _default_group(str(meta["id"]))),
        faq=_faq(meta.get("faq") or (), name),
    )


GROUPS = ("vneid", "cks", "dvc", "khac")


def _default_group(guide_id: str) -> str:
    prefix = guide_id.split("-", 1)[0]
    return prefix if prefix in GROUPS else "khac"


def _faq(items: Any, name: str) -> tuple[tuple[str, str], ...]:
    """`faq:` is a list of {q: ..., a: ...}: a question people ask and the one sentence that answers it."""
    pairs = []
    for item in items:
        if not isinstance(item, dict) or not item.get("q") or not item.get("a"):
            raise GuideError(f"{name}: every faq entry needs q and a")
        pairs.append((_text(item["q"]), _text(item["a"])))
    return tuple(pairs)


def load_guides(directory: Path | None = None) -> list[Guide]:
    """All guides in a directory, sorted by id; duplicated ids or a file name that is not its id are errors."""
    directory = directory or default_guides_dir()
    guides = []
    for path in sorted(directory.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        guide = parse_guide(path.read_text(encoding="utf-8"), path.name)
        if guide.id != path.stem:
            raise GuideError(f"{path.name}: id {guide.id!r} does not match the file name")
        guides.append(guide)
    return guides


def _text(value: Any) -> str:
    return " ".join(str(value).split())


def _texts(values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    return tuple(_text(value) for value in values if str(value).strip())


def _date(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)
