"""The index: built once, saved without pickle, loaded back with identical results; rebuilt when stale."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embeddings.index import Document, HybridIndex
from knowledge.guides import load_guides
from knowledge.store import IndexSource, load_index, load_or_build

QUESTIONS = ["cài vneid ntn", "quen mat khau dinh danh", "Móng Cái 2023 hộ gia đình cáp quang", "giá vàng"]


def test_save_and_load_round_trip_without_pickle(tmp_path: Path) -> None:
    documents = [
        Document("a", "Cài đặt ứng dụng VNeID trên điện thoại"),
        Document("a", "tải vneid ở đâu"),
        Document("b", "Quên mật khẩu VNeID thì lấy lại thế nào"),
        Document("c", "Kế hoạch năm 2023: 88% hộ gia đình có Internet cáp quang", group="plan-1"),
        Document("d", "Ke hoach 2022: 80% ho gia dinh co cap quang", noisy=True, group="plan-2"),
    ]
    index = HybridIndex.build(documents)
    index.save(tmp_path / "index")
    for array in (tmp_path / "index").rglob("*.npy"):
        np.load(array, allow_pickle=False)  # raises if anything was pickled
    assert not list((tmp_path / "index").rglob("*.pkl")) and not list((tmp_path / "index").rglob("*.pickle"))
    loaded = HybridIndex.load(tmp_path / "index")
    for question in ["cai vneid", "quên mk vneid", "ho gia dinh cap quang 2023"]:
        assert loaded.search(question).hits == index.search(question).hits
    assert loaded.corrector.correct("vnied").tokens == ("vneid",)


def test_noisy_text_is_not_a_spelling_reference(tmp_path: Path) -> None:
    index = HybridIndex.build([Document("a", "đăng ký tài khoản"), Document("b", "dang kyy tai khoann", noisy=True)])
    assert "khoann" not in index.corrector.vocabulary


def test_loaded_index_answers_like_the_built_one(data_dir: Path) -> None:
    source = IndexSource(data_dir)
    first = load_index(source)
    assert first is not None
    index, knowledge = first
    assert len(knowledge.guides) == len(load_guides())
    assert {passage.document for passage in knowledge.passages.values()} == {
        path.stem for path in (data_dir / "plans").glob("*.txt")
    }
    again = load_index(source)
    assert again is not None
    for question in QUESTIONS:
        assert again[0].search(question).hits == index.search(question).hits


def test_stale_or_missing_index_is_rebuilt(copy_of_data: Path) -> None:
    source = IndexSource(copy_of_data)
    assert load_index(source) is not None
    (copy_of_data / "plans" / "extra.txt").write_text("KẾ HOẠCH\n\nThử nghiệm\n\nI. MỤC TIÊU\n\nNội dung.\n")
    assert load_index(source) is None, "a new plan file must invalidate the index"
    _, knowledge = load_or_build(source)
    assert "extra" in knowledge.documents
    assert load_index(source) is not None
