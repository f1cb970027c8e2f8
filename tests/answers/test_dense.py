"""The dense arm (the `troly[dense]` extra, installed by `make test`): MiniLM retrieval, the index that keeps it,
and `troly train-encoder` on sentence-transformers' own trainer, exercised on real models (the bundled MiniLM,
and a tiny static-embedding model built here so that training takes seconds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.dense import DenseIndex, Encoder, bundled_model_path, load_encoder, resolve_model
from embeddings.index import Document, HybridIndex
from embeddings.text import analyze
from knowledge.answers import Answerer
from knowledge.guides import load_guides
from knowledge.store import IndexSource, build_index, load_index
from knowledge.training import train_encoder


def folded(text: str) -> str:
    return " ".join(analyze(text).folded)


def test_minilm_finds_by_meaning_what_no_word_of_the_question_matches() -> None:
    encoder = load_encoder(str(bundled_model_path()))  # the bundled model is English
    documents = [
        Document("password", "How to reset a forgotten password"),
        Document("bill", "Paying the electricity bill online"),
        Document("passport", "Applying for a passport at the immigration office"),
    ]
    index = HybridIndex.build(documents, encoder=encoder)
    question = "I cannot remember my login secret"

    assert index.search(question, use_dense=False).hits == []  # BM25 alone: no shared word, nothing
    hits = index.search(question).hits
    assert hits[0].target == "password"
    assert hits[0].lexical == 0.0 and hits[0].dense > max(hit.dense for hit in hits[1:])


def test_the_faiss_index_round_trips(tmp_path: Path) -> None:
    vectors = np.eye(4, 8, dtype=np.float32)
    DenseIndex.build(vectors).save(tmp_path / "dense.faiss")
    scores, ids = DenseIndex.load(tmp_path / "dense.faiss").search(vectors[2], k=2)
    assert ids[0] == 2 and scores[0] == pytest.approx(1.0)


def test_an_index_built_with_minilm_keeps_and_reloads_its_dense_arm(tmp_path: Path) -> None:
    source = IndexSource(data_dir=tmp_path, embedding_model="minilm")  # the guides only: quick to encode
    built, _ = build_index(source)
    assert built.meta.dense_model == str(bundled_model_path())
    assert (source.index_dir / "dense.faiss").exists()

    loaded = load_index(source)
    assert loaded is not None, "an index that matches its sources loads instead of being rebuilt"
    index, knowledge = loaded
    assert index.dense is not None and index.encoder is not None
    assert index.dense.num_docs == index.lexical.num_docs
    answer = Answerer(index, knowledge).answer("cai vneid ntn")
    assert answer.topic == "vneid-cai-dat"
    assert index.search("cai vneid ntn").hits[0].dense > 0  # the dense arm took part


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A static-embedding model (MiniLM's tokenizer, 32 random dimensions per token), seeded."""
    import torch
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    try:
        from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    except ImportError:  # sentence-transformers before 6
        from sentence_transformers.models import StaticEmbedding

    torch.manual_seed(7)
    tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
    path = tmp_path_factory.mktemp("tiny") / "model"
    SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_dim=32)], device="cpu").save(str(path))
    return path


def question_to_guide_accuracy(model_path: Path) -> float:
    """How often a guide's own question is nearest to that guide's title and summary."""
    guides = load_guides()
    encoder = Encoder(str(model_path))
    heads = encoder.encode([folded(f"{guide.title}. {guide.summary}") for guide in guides])
    right = total = 0
    for number, guide in enumerate(guides):
        questions = encoder.encode([folded(question) for question in guide.questions])
        right += int(((questions @ heads.T).argmax(axis=1) == number).sum())
        total += len(guide.questions)
    return right / total


def test_train_encoder_learns_the_guides_and_troly_then_uses_the_result(tiny_model: Path, tmp_path: Path) -> None:
    before = question_to_guide_accuracy(tiny_model)

    saved = train_encoder(tmp_path, base=str(tiny_model), epochs=3, learning_rate=0.05)

    assert saved == tmp_path / "models" / "troly-encoder"
    assert resolve_model("troly", tmp_path) == saved
    after = question_to_guide_accuracy(saved)
    assert after > before + 0.25 and after > 0.75, (before, after)
    index, _ = build_index(IndexSource(data_dir=tmp_path, embedding_model="troly"))
    assert index.meta.dense_model == str(saved) and index.dense is not None
