"""Answer texts as a citizen sees them: plain text (adapters escape it), Vietnamese, within Zalo's 2000 chars.

A guide answer is its title, summary and steps, with a pointer to the full guide; a plan answer quotes the
passage (trimmed around the words of the question) and cites the document and its section.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from embeddings.text import analyze
from knowledge.plans import Passage

if TYPE_CHECKING:
    from knowledge.answers import Source
    from knowledge.corpus import GuideCard

MAX_CHARS = 2000
MAX_QUOTE_CHARS = 700
HELP_LINE = (
    "Cần người hỗ trợ trực tiếp, bạn hãy liên hệ Tổ công nghệ số cộng đồng hoặc Công an xã/phường nơi bạn cư trú."
)
_SECTION = re.compile(r"^\*\*(.+?)\*\*\s*$", re.MULTILINE)
_EMPHASIS = re.compile(r"\*{1,3}([^*\n]+?)\*{1,3}")
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def plain(markdown: str) -> str:
    """Markdown to plain text readable in any messenger: no asterisks, bullets as "•", links spelled out."""
    text = _MARKDOWN_LINK.sub(r"\1 (\2)", markdown)
    text = _EMPHASIS.sub(r"\1", text)
    text = re.sub(r"^\s*[-*]\s+", "• ", text, flags=re.MULTILINE)
    text = re.sub(r"^#+\s*", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def sections(body: str) -> dict[str, str]:
    """A guide body's sections by their bold headings ("Cần chuẩn bị", "Các bước", ...); "" is the intro."""
    parts = _SECTION.split(body)
    result = {"": parts[0].strip()}
    for heading, content in zip(parts[1::2], parts[2::2], strict=False):
        result[heading.strip().rstrip(":")] = content.strip()
    return result


def guide_answer(guide: GuideCard) -> str:
    """Title, summary and steps; the whole guide is one command away."""
    parts = sections(guide.body)
    steps = next((text for name, text in parts.items() if name.lower().startswith("các bước")), "")
    lines = [guide.title.upper(), "", guide.summary]
    if steps:
        lines += ["", "Các bước:", plain(steps)]
    footer = f"Xem hướng dẫn đầy đủ (cần chuẩn bị gì, lỗi thường gặp): /huongdan {guide.id}\n{HELP_LINE}"
    return _fit("\n".join(lines), footer)


def full_guide(guide: GuideCard) -> str:
    """The whole guide, for /huongdan <id>."""
    return f"{guide.title.upper()}\n\n{plain(guide.body)}"


def plan_answer(passage: Passage, query_words: set[str]) -> str:
    quote = trim_passage(passage.text, query_words)
    text = f"Theo {passage.title}:\n\n«{quote}»"
    return _fit(text, f"(Nguồn: {passage.citation})")


def trim_passage(text: str, query_words: set[str], limit: int = MAX_QUOTE_CHARS) -> str:
    """The passage, or when too long the run of its lines/sentences that best covers the question's words.

    A window scores the distinct question words it contains, each weighted by how rare it is among the
    passage's sentences, so the sentence with the specific words ("rất hài lòng") beats generic ones.
    """
    text = plain(text)
    if len(text) <= limit:
        return text
    pieces = [piece for line in text.splitlines() for piece in _sentences(line, limit)]
    words = [query_words & set(analyze(piece).folded) for piece in pieces]
    spread = Counter(word for found in words for word in found)
    best_start, best_end, best_score = 0, 1, -1.0
    for start in range(len(pieces)):
        end, size, covered = start, 0, set()
        while end < len(pieces) and size + len(pieces[end]) <= limit:
            size, end = size + len(pieces[end]) + 1, end + 1
            covered |= words[end - 1]
        score = sum(1.0 / spread[word] for word in covered)
        if score > best_score:
            best_start, best_end, best_score = start, max(end, start + 1), score
    quote = "\n".join(piece[:limit] for piece in pieces[best_start:best_end])
    prefix = "… " if best_start > 0 else ""
    suffix = " …" if best_end < len(pieces) else ""
    return prefix + quote + suffix


def _sentences(line: str, limit: int) -> list[str]:
    """A line short enough stays whole; a longer one is cut into sentences."""
    if len(line) <= limit:
        return [line] if line.strip() else []
    return [part for part in re.split(r"(?<=[.;])\s+", line) if part.strip()]


def suggestion_text(choices: Sequence[Source]) -> str:
    lines = ["Mình chưa chắc đã hiểu đúng câu hỏi của bạn. Có phải bạn muốn hỏi về:"]
    lines += [f"{number}. {choice_label(source)}" for number, source in enumerate(choices, start=1)]
    lines += ["", "Bạn gõ số thứ tự để xem, hoặc hỏi lại rõ hơn nhé."]
    return "\n".join(lines)


def fallback_text() -> str:
    return (
        "Mình chưa có câu trả lời chắc chắn cho câu hỏi này. "
        "Bạn có thể xem danh sách chủ đề mình hướng dẫn được (/huongdan), hoặc hỏi lại với vài từ khóa "
        "như «VNeID», «chữ ký số», «dịch vụ công».\n"
        f"{HELP_LINE}"
    )


def choice_label(source: Source) -> str:
    if source.document is None:
        return source.title
    section = source.section.split(" › ")[-1] if source.section else "phần mở đầu"
    return f"{section} ({_short(source.title, 60)})"


def topic_menu(guides: Iterable[GuideCard]) -> str:
    lines = ["Các chủ đề mình hướng dẫn được (gõ lệnh bên cạnh để xem):"]
    lines += [f"• {guide.title}: /huongdan {guide.id}" for guide in guides]
    lines += ["", HELP_LINE]
    return "\n".join(lines)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fit(text: str, footer: str, limit: int = MAX_CHARS) -> str:
    """Cut the body (at a line end) so that body + footer fit the limit."""
    room = limit - len(footer) - 2
    if len(text) > room:
        cut = text.rfind("\n", 0, room - 2)
        text = text[: cut if cut > room // 2 else room - 2].rstrip() + "\n…"
    return f"{text}\n\n{footer}"
