"""The answerer service of this feature, built once per process from the data directory's index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.errors import OperatorError
from bot.services import ServiceKey
from bot.settings import Settings
from embeddings.dense import FINETUNED_DIR, FINETUNED_NAME, DenseUnavailable, ModelNotFound
from knowledge.answers import Answerer
from knowledge.store import IndexSource, load_or_build

ANSWERER: ServiceKey[Answerer] = ServiceKey("questions.answerer")


def index_source(settings: Settings) -> IndexSource:
    return IndexSource(data_dir=settings.data_dir, embedding_model=settings.embedding_model)


def make_answerer(settings: Settings) -> Answerer:
    with dense_problems(settings):
        index, knowledge = load_or_build(index_source(settings))
    return Answerer(index, knowledge)


@contextmanager
def dense_problems(settings: Settings) -> Iterator[None]:
    """The dense arm's problems are the operator's to fix: a model to train, or the `dense` extra to install."""
    name = settings.embedding_model
    try:
        yield
    except ModelNotFound as error:
        if name.strip().lower() == FINETUNED_NAME:
            where = settings.data_dir / FINETUNED_DIR
            message = (
                f"TROLY_EMBEDDING_MODEL=troly nhưng chưa có mô hình tinh chỉnh trong {where}.\nHãy chạy "
                "troly train-encoder trước (cần gói troly[dense]), hoặc đặt TROLY_EMBEDDING_MODEL=none."
            )
        else:
            message = (
                f"Không nạp được mô hình nhúng «{name}» (TROLY_EMBEDDING_MODEL) từ máy này.\nHãy dùng none, minilm, "
                "troly, hoặc đường dẫn tới thư mục một mô hình sentence-transformers (troly không tải mô hình từ mạng)."
            )
        raise OperatorError(message) from error
    except DenseUnavailable as error:
        raise OperatorError(
            f"TROLY_EMBEDDING_MODEL={name} cần nhánh vector dày, chưa được cài trên máy này.\n"
            "Hãy cài: pip install 'troly[dense]' (cài torch bản CPU trước, xem Makefile), "
            "hoặc đặt TROLY_EMBEDDING_MODEL=none."
        ) from error
