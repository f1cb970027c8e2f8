"""Small talk is recognised as such; OCR text gets its diacritics back from a model of the clean documents."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from embeddings.text import fold
from knowledge.diacritics import Restorer
from knowledge.ingest import IngestError, default_references, ingest, load_plans
from knowledge.smalltalk import Kind, classify


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("cảm ơn", Kind.THANKS),
        ("cam on nhieu nha", Kind.THANKS),
        ("thanks bot", Kind.THANKS),
        ("ok", Kind.OK),
        ("Dạ vâng ạ", Kind.OK),
        ("xin chào", Kind.GREETING),
        ("tạm biệt nhé", Kind.GOODBYE),
        ("bot ngu", Kind.INSULT),
        ("👍🙏", Kind.EMOJI),
    ],
)
def test_small_talk_is_recognised(text: str, kind: Kind) -> None:
    assert classify(text) is kind


@pytest.mark.parametrize(
    "text", ["cảm ơn, cài vneid thế nào", "ok vậy đăng ký mức 2 ở đâu", "chào bạn, tôi quên mật khẩu vneid", "", "123"]
)
def test_questions_are_not_small_talk(text: str) -> None:
    assert classify(text) is None


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text).lower())


def test_restoring_a_held_out_clean_plan_gets_most_syllables_right(plan_files: list[Path]) -> None:
    """Train on three clean plans and the guides, strip the fourth of its diacritics, restore it."""
    clean = [path for path in plan_files if not path.name.startswith("004_")]
    held_out, training = clean[-1], clean[:-1]
    restorer = Restorer.train([path.read_text(encoding="utf-8") for path in training] + default_references())
    original = held_out.read_text(encoding="utf-8")
    restored = restorer.restore(fold(original)).text
    pairs = list(zip(_words(original), _words(restored), strict=True))
    right = sum(1 for want, got in pairs if want == got or fold(want) != fold(got))
    assert right / len(pairs) >= 0.93


def test_the_ocr_plan_is_indexed_with_diacritics_and_its_place(plan_files: list[Path], tmp_path: Path) -> None:
    plan = ingest(plan_files, tmp_path)[-1]  # the clean plans are what the model learns from
    assert plan.noisy and plan.title == "Kế hoạch Chuyển đổi số thành phố Hải Phòng năm 2022"
    text = "\n".join(passage.text for passage in plan.passages)
    assert "phủ 80% hộ gia đình" in text and "Chuyển đổi số" in text
    assert all(passage.garble < 0.35 for passage in plan.passages)


def test_ingest_title_renames_an_ingested_document(plan_files: list[Path], tmp_path: Path) -> None:
    ingest([plan_files[2]], tmp_path)
    (renamed,) = ingest([Path(plan_files[2].stem)], tmp_path, title="Báo cáo chuyển đổi số thành phố Uông Bí")
    assert renamed.title == "Báo cáo chuyển đổi số thành phố Uông Bí"
    assert load_plans(tmp_path)[0].title == renamed.title
    with pytest.raises(IngestError):
        ingest([Path("khong-co-tai-lieu-nay")], tmp_path, title="X")
