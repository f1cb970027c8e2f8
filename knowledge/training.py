"""`troly train-encoder`: fine-tune the offline MiniLM on pairs drawn from the knowledge base.

The bundled encoder is English; on Vietnamese it barely helps retrieval. Each guide question is paired with its
guide's title and summary, and with its body, and the model learns to put them together with the
multiple-negatives ranking loss (in-batch negatives, as sentence-transformers' MultipleNegativesRankingLoss).
The loop is written with plain torch so that no training framework is needed; it runs on CPU in about a minute
and is seeded, so the same knowledge base gives the same model.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

from embeddings.dense import FINETUNED_DIR, resolve_model
from embeddings.text import analyze
from knowledge.guides import Guide, load_guides

log = logging.getLogger(__name__)


def training_pairs(guides: list[Guide]) -> list[tuple[str, str]]:
    """(question, passage) pairs in the folded form the index encodes."""
    pairs = []
    for guide in guides:
        head = _folded(f"{guide.title}. {guide.summary}")
        body = _folded(f"{guide.title}. {guide.body}")
        for question in guide.questions:
            pairs.append((_folded(question), head))
            pairs.append((_folded(question), body))
    return pairs


def _folded(text: str) -> str:
    return " ".join(analyze(text).folded)


def train_encoder(
    data_dir: Path,
    base: str = "minilm",
    epochs: int = 3,
    batch_size: int = 32,
    max_length: int = 128,
    learning_rate: float = 3e-5,
    seed: int = 13,
    guides_dir: Path | None = None,
) -> Path:
    """Fine-tune `base` and save it to <data_dir>/models/troly-encoder (TROLY_EMBEDDING_MODEL=troly)."""
    import torch
    from sentence_transformers import SentenceTransformer

    base_path = resolve_model(base, data_dir)
    if base_path is None:
        raise ValueError("a base model is needed to fine-tune")
    random.seed(seed)
    torch.manual_seed(seed)
    model = SentenceTransformer(str(base_path), device="cpu", local_files_only=True)
    model.max_seq_length = max_length  # questions are short; passages are cut like the index's input
    pairs = training_pairs(load_guides(guides_dir))
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    model.train()
    for epoch in range(epochs):
        random.shuffle(pairs)
        total = 0.0
        for start in range(0, len(pairs), batch_size):
            batch = _distinct_anchors(pairs[start : start + batch_size])
            loss = _ranking_loss(model, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss)
        log.info("epoch %d: loss %.3f", epoch + 1, total)
    model.eval()
    target = data_dir / FINETUNED_DIR
    target.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(target))
    return target


def _distinct_anchors(batch: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """In-batch negatives must not be positives too: keep one pair per positive text."""
    seen: set[str] = set()
    kept = []
    for anchor, positive in batch:
        if positive not in seen:
            seen.add(positive)
            kept.append((anchor, positive))
    return kept


def _ranking_loss(model: object, batch: list[tuple[str, str]], scale: float = 20.0):  # type: ignore[no-untyped-def]
    import torch
    import torch.nn.functional as functional

    def embed(texts: list[str]) -> torch.Tensor:
        features = model.tokenize(texts)  # type: ignore[attr-defined]
        output = model(features)  # type: ignore[operator]
        return functional.normalize(output["sentence_embedding"], dim=-1)

    anchors = embed([anchor for anchor, _ in batch])
    positives = embed([positive for _, positive in batch])
    scores = anchors @ positives.T * scale
    labels = torch.arange(len(batch))
    return functional.cross_entropy(scores, labels)
