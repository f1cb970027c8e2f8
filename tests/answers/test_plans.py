"""Plan splitting and ingestion on the five real documents (section paths, citations, the OCR file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.ingest import IngestError, ingest, load_plans, read_document
from knowledge.plans import PlanDocument, split_plan


def _plan(files: list[Path], prefix: str) -> PlanDocument:
    path = next(path for path in files if path.name.startswith(prefix))
    return split_plan(path.read_text(encoding="utf-8"), path.stem)


def _passage_with(plan: PlanDocument, text: str):  # type: ignore[no-untyped-def]
    found = [passage for passage in plan.passages if text in passage.text]
    assert found, f"no passage of {plan.name} contains {text!r}"
    return found[0]


def test_all_five_documents_split_into_ordered_passages(plan_files: list[Path]) -> None:
    for path in plan_files:
        plan = split_plan(path.read_text(encoding="utf-8"), path.stem)
        assert len(plan.passages) >= 20, plan.name
        assert [p.position for p in plan.passages] == list(range(1, len(plan.passages) + 1))
        lines = [p.line for p in plan.passages]
        assert lines == sorted(lines), f"{plan.name}: passages out of document order"
        assert all(p.text.strip() for p in plan.passages)
        assert plan.title != plan.name, f"{plan.name}: title not found in the header"


def test_markdown_headings_give_section_path_and_citation(plan_files: list[Path]) -> None:
    plan = _plan(plan_files, "001_")
    assert plan.title == "Kế hoạch Chuyển đổi số toàn diện thành phố Móng Cái năm 2023"
    passage = _passage_with(plan, "88% hộ gia đình")
    assert passage.section == (
        "II. MỤC TIÊU NĂM 2023",
        "2. Mục tiêu cụ thể",
        "2.4. Về phát triển xã hội số",
    )
    assert passage.citation == f"{plan.title}, mục 2.4. Về phát triển xã hội số"


def test_nested_decimal_headings_under_roman_numerals_with_dash(plan_files: list[Path]) -> None:
    plan = _plan(plan_files, "002_")
    passage = _passage_with(plan, "161/259")
    assert passage.section[0] == "II. KẾT QUẢ TRIỂN KHAI THỰC HIỆN"  # written "## II- KẾT QUẢ ..."
    assert passage.section[-1].startswith("3.4")


def test_letter_items_and_colon_labels_become_subsections(plan_files: list[Path]) -> None:
    plan = _plan(plan_files, "003_")
    passage = _passage_with(plan, "Trên 90% dân số")
    assert passage.section[-3:] == ("2. Mục tiêu Đề án", "b) Mục tiêu cụ thể đến năm 2025", "Về xã hội số")
    assert "Trà Vinh" in passage.citation


def test_long_list_items_stay_body_text_not_headings(plan_files: list[Path]) -> None:
    plan = _plan(plan_files, "000_")
    labels = {label for passage in plan.passages for label in passage.section}
    assert "3.2. Mục tiêu đến năm 2025" in labels
    assert not any(label.startswith("- ") or len(label) > 160 for label in labels)


def test_ocr_document_without_diacritics_is_flagged_and_structured(plan_files: list[Path]) -> None:
    plan = _plan(plan_files, "004_")
    assert plan.noisy
    assert "Hai Phong" in plan.title
    passage = _passage_with(plan, "80% ho gia dinh")
    assert passage.section[0] == "II. MUC TIEU CU THE"
    assert passage.section[-1].startswith("3.")
    # OCR reads "III." as "111."; the heading keeps its Roman number
    assert any(label.startswith("III. ") for p in plan.passages for label in p.section)


def test_clean_documents_are_not_flagged_noisy(plan_files: list[Path]) -> None:
    assert not any(_plan(plan_files, prefix).noisy for prefix in ("000_", "001_", "002_", "003_"))


def test_ingest_all_five_and_reload(plan_files: list[Path], tmp_path: Path) -> None:
    plans = ingest(plan_files, tmp_path)
    assert [plan.name for plan in plans] == [path.stem for path in plan_files]
    reloaded = load_plans(tmp_path)
    assert [plan.title for plan in reloaded] == [plan.title for plan in plans]


def test_ingest_title_override_is_kept(plan_files: list[Path], tmp_path: Path) -> None:
    ocr = next(path for path in plan_files if path.name.startswith("004_"))
    ingest([ocr], tmp_path, title="Kế hoạch Chuyển đổi số thành phố Hải Phòng năm 2022")
    (plan,) = load_plans(tmp_path)
    assert plan.passages[3].citation.startswith("Kế hoạch Chuyển đổi số thành phố Hải Phòng năm 2022, mục")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"   \n", "empty"),
        ("binary.txt", b"\x00\x01\x02PK\x00", "binary"),
        ("latin1.txt", "Kế hoạch".encode("cp1258", errors="replace") + b"\xe0\xff", "UTF-8"),
        ("table.xlsx", b"whatever", "unsupported"),
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        ingest([path], tmp_path / "data")
    assert not (tmp_path / "data" / "plans").exists(), "nothing is written when a file is refused"


def test_docx_documents_are_read_with_their_headings(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph("Chuyển đổi số xã Thử Nghiệm năm 2026")
    document.add_heading("I. MỤC TIÊU", level=1)
    document.add_heading("1. Hạ tầng số", level=2)
    document.add_paragraph("- 90% hộ gia đình có Internet cáp quang.")
    path = tmp_path / "ke-hoach.docx"
    document.save(str(path))
    plan = split_plan(read_document(path), "ke-hoach")
    assert plan.title == "Kế hoạch Chuyển đổi số xã Thử Nghiệm năm 2026"
    passage = _passage_with(plan, "90% hộ gia đình")
    assert passage.section == ("I. MỤC TIÊU", "1. Hạ tầng số")
