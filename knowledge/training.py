"""`troly train-encoder`: fine-tune the offline MiniLM on pairs drawn from the knowledge base.

The bundled encoder is English; on Vietnamese it barely helps retrieval. Each guide question is paired with its
guide's title and summary, and with its body, and the model learns to put them together with
sentence-transformers' own trainer and MultipleNegativesRankingLoss (in-batch negatives). The no-duplicates
batch sampler keeps a text from appearing twice in a batch, where it would be its own negative. Training runs on
CPU in about a minute and is seeded, so the same knowledge base gives the same model. It needs the `dense`
extra (sentence-transformers with its `train` extra: datasets, accelerate).
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from pathlib import Path
from typing import Any

from embeddings.dense import FINETUNED_DIR, DenseUnavailable, resolve_model
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
    try:
        from datasets import Dataset
        from sentence_transformers import (
            SentenceTransformer,
            SentenceTransformerTrainer,
            SentenceTransformerTrainingArguments,
        )
        from transformers import PrinterCallback
    except ImportError as error:
        raise DenseUnavailable(f"training needs sentence-transformers[train]: {error}") from error
    base_path = resolve_model(base, data_dir)
    if base_path is None:
        raise ValueError("a base model is needed to fine-tune")
    model = SentenceTransformer(str(base_path), device="cpu", local_files_only=True)
    # Questions are short; passages are cut like the index's input (a static embedding has no length to set).
    with contextlib.suppress(AttributeError):
        model.max_seq_length = max_length
    pairs = training_pairs(load_guides(guides_dir))
    dataset = Dataset.from_dict({"anchor": [a for a, _ in pairs], "positive": [p for _, p in pairs]})
    with tempfile.TemporaryDirectory(prefix="troly-train-") as scratch:
        arguments = SentenceTransformerTrainingArguments(
            output_dir=scratch,
            num_train_epochs=epochs,
            per_device_train_batch_size=batch_size,
            learning_rate=learning_rate,
            seed=seed,
            data_seed=seed,
            batch_sampler="no_duplicates",
            save_strategy="no",
            report_to="none",
            use_cpu=True,
            disable_tqdm=True,
            logging_strategy="no",
        )
        trainer = SentenceTransformerTrainer(
            model=model, args=arguments, train_dataset=dataset, loss=_ranking_loss(model)
        )
        trainer.remove_callback(PrinterCallback)  # it prints to stdout; the loss is logged below
        result = trainer.train()
    log.info("trained %d pairs for %d epochs: loss %.3f", len(pairs), epochs, result.training_loss)
    target = data_dir / FINETUNED_DIR
    target.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(target))
    return target


def _ranking_loss(model: Any) -> Any:
    """MultipleNegativesRankingLoss from where this version of sentence-transformers keeps it (6 moved it)."""
    try:
        from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    except ImportError:  # sentence-transformers 3 to 5
        from sentence_transformers.losses import MultipleNegativesRankingLoss  # type: ignore[no-redef]
    return MultipleNegativesRankingLoss(model)
