"""`troly ingest`: read plan documents into the data directory as UTF-8 text.

Text and Markdown are read as they are; Word (.docx) and PDF files are converted with python-docx and pypdf
when those libraries are installed. The stored copy is what the index is built from, so the original file can
move or disappear afterwards.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from knowledge.plans import PlanDocument, split_plan

SUPPORTED = (".txt", ".md", ".docx", ".pdf")
_SAFE_NAME = re.compile(r"[^\w.-]+")


class IngestError(ValueError):
    """A file cannot be ingested; the message says which and why."""


@dataclass(frozen=True, slots=True)
class StoredPlan:
    name: str
    text: str
    title: str | None


def plans_dir(data_dir: Path) -> Path:
    return data_dir / "plans"


def read_document(path: Path) -> str:
    """The text of a plan file, NFC-normalised."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(f"{path.name}: unsupported file type {suffix or '(none)'}; use {', '.join(SUPPORTED)}")
    if suffix == ".docx":
        text = _read_docx(path)
    elif suffix == ".pdf":
        text = _read_pdf(path)
    else:
        raw = path.read_bytes()
        if b"\x00" in raw[:4096]:
            raise IngestError(f"{path.name}: looks like a binary file, not text")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise IngestError(f"{path.name}: not UTF-8 text ({error.reason})") from error
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise IngestError(f"{path.name}: the document is empty")
    return text


def _read_docx(path: Path) -> str:
    try:
        import docx
    except ImportError as error:
        raise IngestError("reading .docx needs python-docx (pip install 'troly[documents]')") from error
    try:
        document = docx.Document(str(path))
    except Exception as error:  # python-docx raises several unrelated types for a corrupt file
        raise IngestError(f"{path.name}: cannot read the Word document ({error})") from error
    lines = []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        prefix = "## " if style.lower().startswith(("heading", "title")) else ""
        lines.append(prefix + paragraph.text)
    return "\n\n".join(lines)


def _read_pdf(path: Path) -> str:
    try:
        import pypdf
    except ImportError as error:
        raise IngestError("reading .pdf needs pypdf (pip install 'troly[documents]')") from error
    try:
        reader = pypdf.PdfReader(str(path))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as error:  # pypdf raises many error types for damaged files
        raise IngestError(f"{path.name}: cannot read the PDF ({error})") from error


def stored_name(path: Path) -> str:
    return _SAFE_NAME.sub("_", unicodedata.normalize("NFC", path.stem)).strip("._") or "document"


def ingest(paths: list[Path], data_dir: Path, title: str | None = None) -> list[PlanDocument]:
    """Copy each document's text into the data directory; every file is checked before any is written."""
    if title and len(paths) != 1:
        raise IngestError("--title applies to a single document")
    prepared = []
    for path in paths:
        if not path.is_file():
            raise IngestError(f"{path}: no such file")
        name = stored_name(path)
        text = read_document(path)
        plan = split_plan(text, name, title)
        if not plan.passages:
            raise IngestError(f"{path.name}: no text passages found")
        prepared.append((StoredPlan(name, text, title), plan))
    target = plans_dir(data_dir)
    target.mkdir(parents=True, exist_ok=True)
    for stored, _ in prepared:
        (target / f"{stored.name}.txt").write_text(stored.text, encoding="utf-8")
        meta = target / f"{stored.name}.json"
        if stored.title:
            meta.write_text(json.dumps({"title": stored.title}, ensure_ascii=False), encoding="utf-8")
        elif meta.exists():
            meta.unlink()
    return [plan for _, plan in prepared]


def load_plans(data_dir: Path) -> list[PlanDocument]:
    """Every ingested plan, split into passages, in file-name order."""
    plans = []
    for path in sorted(plans_dir(data_dir).glob("*.txt")):
        meta = path.with_suffix(".json")
        title = json.loads(meta.read_text(encoding="utf-8")).get("title") if meta.exists() else None
        plans.append(split_plan(path.read_text(encoding="utf-8"), path.stem, title))
    return plans
