"""Build, save and load the search index of a data directory (`troly index`, and first use).

The index records a fingerprint of what it was built from (guides, ingested plans, embedding model). Loading an
index whose fingerprint no longer matches rebuilds it, so an upgraded knowledge base is never answered from a
stale index, and a fresh installation builds its index on the first question.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from embeddings.dense import Encoder, load_encoder, resolve_model
from embeddings.fusion import FusionConfig
from embeddings.index import FORMAT_VERSION, HybridIndex
from knowledge.corpus import Knowledge, build_corpus
from knowledge.guides import default_guides_dir, load_guides
from knowledge.ingest import load_plans, plans_dir
from knowledge.places import Gazetteer

log = logging.getLogger(__name__)
KNOWLEDGE_FILE = "knowledge.json"
# Bump when what gets indexed changes (document fields, tokenisation), so existing indexes are rebuilt.
CORPUS_VERSION = 3


@dataclass(frozen=True, slots=True)
class IndexSource:
    """Where an index comes from: the data directory, the guides and the embedding model setting."""

    data_dir: Path
    embedding_model: str = "none"
    guides_dir: Path | None = None
    fusion: FusionConfig = field(default_factory=FusionConfig)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    def model_path(self) -> str | None:
        resolved = resolve_model(self.embedding_model, self.data_dir)
        return None if resolved is None else str(resolved)


def fingerprint(source: IndexSource) -> str:
    """A hash of everything the index is built from; it changes when a guide, a plan or the model changes."""
    digest = hashlib.sha256(f"format={FORMAT_VERSION}.{CORPUS_VERSION};model={source.model_path()}".encode())
    digest.update(repr(source.fusion).encode())
    paths = sorted((source.guides_dir or default_guides_dir()).glob("*.md"))
    paths += sorted((default_guides_dir().parent / "data").glob("*.yaml"))
    paths += sorted(plans_dir(source.data_dir).glob("*.txt")) + sorted(plans_dir(source.data_dir).glob("*.json"))
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_index(source: IndexSource, encoder: Encoder | None = None) -> tuple[HybridIndex, Knowledge]:
    """Build the index from the guides and ingested plans and save it in the data directory."""
    started = time.perf_counter()
    guides = load_guides(source.guides_dir)
    references = [f"{guide.title}\n{guide.summary}\n{guide.body}\n" + "\n".join(guide.questions) for guide in guides]
    references.append("\n".join(place.name for place in Gazetteer.load().places.values()))
    documents, knowledge, names = build_corpus(guides, load_plans(source.data_dir, references))
    model_path = source.model_path()
    if encoder is None and model_path is not None:
        encoder = load_encoder(model_path)
    index = HybridIndex.build(
        documents,
        encoder=encoder,
        fusion=source.fusion,
        extra={"fingerprint": fingerprint(source)},
        group_names=names,
    )
    save(index, knowledge, source.index_dir)
    log.info("index built in %.1fs: %d documents", time.perf_counter() - started, len(documents))
    return index, knowledge


def save(index: HybridIndex, knowledge: Knowledge, directory: Path) -> None:
    """Write to a temporary sibling and swap it in, so a crash never leaves a half-written index behind."""
    staging = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    index.save(staging)
    knowledge.save(staging / KNOWLEDGE_FILE)
    old = directory.with_name(directory.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        directory.rename(old)
    staging.rename(directory)
    shutil.rmtree(old, ignore_errors=True)


def load_index(source: IndexSource) -> tuple[HybridIndex, Knowledge] | None:
    """The saved index if it exists and matches its sources, else None."""
    directory = source.index_dir
    if not (directory / "meta.json").exists() or not (directory / KNOWLEDGE_FILE).exists():
        return None
    try:
        index = HybridIndex.load(directory, encoder_loader=load_encoder)
        knowledge = Knowledge.load(directory / KNOWLEDGE_FILE)
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as error:
        log.warning("index in %s is unreadable (%s); rebuilding", directory, error)
        return None
    if index.meta.extra.get("fingerprint") != fingerprint(source):
        log.info("index in %s is out of date; rebuilding", directory)
        return None
    return index, knowledge


def load_or_build(source: IndexSource) -> tuple[HybridIndex, Knowledge]:
    return load_index(source) or build_index(source)
