"""The knowledge base: one Markdown guide per topic, with YAML front matter (see GUIDE_FORMAT in the docs)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

REQUIRED_FIELDS = ("id", "title", "summary", "questions")


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
    return Guide(
        id=str(meta["id"]).strip(),
        title=_text(meta["title"]),
        summary=_text(meta["summary"]),
        questions=_texts(meta["questions"]),
        body=body.strip(),
        tags=_texts(meta.get("tags") or ()),
        sources=_texts(meta.get("sources") or ()),
        reviewed=_date(meta.get("reviewed")),
    )


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
