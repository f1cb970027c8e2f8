"""`troly ingest`: read plan documents into the data directory as UTF-8 text.

Text and Markdown are read as they are; Word (.docx) and PDF files are converted with python-docx and pypdf
when those libraries are installed. The stored copy is what the index is built from, so the original file can
move or disappear afterwards.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.plans import PlanDocument, is_noisy, split_plan

if TYPE_CHECKING:
    from knowledge.diacritics import Restorer

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
    """Copy each document's text into the data directory; every file is checked before any is written.

    With a title and the name of a document already ingested (its stored name, or its original file name
    that no longer exists), only the title is changed: `troly ingest --title "..." 004_8440493076699264`.
    """
    if title and len(paths) != 1:
        raise IngestError("--title applies to a single document")
    if title and not paths[0].is_file():
        return [retitle(data_dir, paths[0], title)]
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
    names = {stored.name for stored, _ in prepared}
    return [plan for plan in load_plans(data_dir) if plan.name in names]  # as indexed: OCR text restored


def retitle(data_dir: Path, name: Path, title: str) -> PlanDocument:
    """Give an ingested document a new title (kept beside its text, used in every citation)."""
    stored = plans_dir(data_dir) / f"{stored_name(name)}.txt"
    if not stored.is_file():
        raise IngestError(f"{name}: no such file, and no ingested document of that name")
    meta = stored.with_suffix(".json")
    meta.write_text(json.dumps({"title": " ".join(title.split())}, ensure_ascii=False), encoding="utf-8")
    return split_plan(stored.read_text(encoding="utf-8"), stored.stem, title)


def restore_plan(plan: PlanDocument, restorer: Restorer, keep_title: bool) -> PlanDocument:
    """The plan with diacritics restored in its title, headings and passages (each with its garble share)."""
    title = plan.title if keep_title else restorer.restore(plan.title).text
    passages = []
    for passage in plan.passages:
        restored = restorer.restore(passage.text)
        section = tuple(restorer.restore(label).text for label in passage.section)
        cited = restorer.restore(passage.cited).text if passage.cited else ""
        passages.append(
            replace(passage, title=title, text=restored.text, section=section, cited=cited, garble=restored.garble)
        )
    return replace(plan, title=title, passages=tuple(passages))


def default_references() -> list[str]:
    """Clean Vietnamese the diacritics model learns from besides the clean plans: the guides, place names."""
    from knowledge.guides import load_guides
    from knowledge.places import Gazetteer

    texts = [f"{guide.title}\n{guide.summary}\n{guide.body}\n" + "\n".join(guide.questions) for guide in load_guides()]
    texts.append("\n".join(place.name for place in Gazetteer.load().places.values()))
    return texts


def load_stored(data_dir: Path) -> list[StoredPlan]:
    """Every ingested document's text and title, in file-name order."""
    stored = []
    for path in sorted(plans_dir(data_dir).glob("*.txt")):
        meta = path.with_suffix(".json")
        title = json.loads(meta.read_text(encoding="utf-8")).get("title") if meta.exists() else None
        stored.append(StoredPlan(path.stem, path.read_text(encoding="utf-8"), title))
    return stored


def load_plans(data_dir: Path, reference_texts: list[str] | None = None) -> list[PlanDocument]:
    """Every ingested plan, split into passages, in file-name order.

    OCR documents get their diacritics restored (knowledge.diacritics) by a model trained on the clean
    documents and `reference_texts` (the guides), so their passages can be quoted, and each passage says how
    much of it stayed unreadable.
    """
    stored = load_stored(data_dir)
    noisy = {plan.name for plan in stored if is_noisy(plan.text)}
    plans = [split_plan(plan.text, plan.name, plan.title, noisy=plan.name in noisy) for plan in stored]
    if noisy:
        from knowledge.diacritics import Restorer

        clean = [plan.text for plan in stored if plan.name not in noisy]
        references = default_references() if reference_texts is None else reference_texts
        restorer = Restorer.train([*clean, *references])
        plans = [
            restore_plan(plan, restorer, keep_title=bool(raw.title)) if plan.noisy else plan
            for plan, raw in zip(plans, stored, strict=True)
        ]
    return [plan if raw.title else with_place(plan) for plan, raw in zip(plans, stored, strict=True)]


def with_place(plan: PlanDocument) -> PlanDocument:
    """The title with the document's place when the title does not name it: the Uông Bí report's title only
    says "tỉnh Quảng Ninh", so citations read "... (Uông Bí)"."""
    from knowledge.places import Gazetteer

    gazetteer = Gazetteer.load()
    home = gazetteer.home(plan.title + "\n" + "\n".join(passage.text for passage in plan.passages))
    if home is None or home.key in {place.key for place in gazetteer.find(plan.title)}:
        return plan
    title = f"{plan.title} ({home.name})"
    return replace(plan, title=title, passages=tuple(replace(p, title=title) for p in plan.passages))
