"""Answer texts as a citizen sees them: plain text (adapters escape it), Vietnamese, short enough for a phone.

A guide answer leads with the one sentence that answers the question, then the most useful part of the section
it came from, within about 600 characters; the whole guide is one tap away ("Xem đầy đủ"). A plan answer quotes
the passage (trimmed around the words of the question) and cites the document and its section. Referrals name
the kind of office that handles the question; nothing here invents a phone number, an address or a fee.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from embeddings.text import analyze
from knowledge.asked import Asked, states
from knowledge.plans import Passage

if TYPE_CHECKING:
    from knowledge.answers import Source
    from knowledge.corpus import GuideCard
    from knowledge.referrals import Domain

MAX_CHARS = 2000
MAX_QUOTE_CHARS = 640
ASKED_BONUS = 1.5  # a line stating the kind of fact asked (a date, a share) weighs this much more
SECOND_QUOTE_CHARS = 360
MAX_GARBLE = 0.35  # an OCR passage with more unreadable words than this is cited, not quoted
ANSWER_BUDGET = 600
NEAR_KINDS = frozenset({Asked.PERCENT, Asked.NUMBER})  # figures read with the words beside them
HELP_LINE = (
    "Cần người hỗ trợ trực tiếp, bạn hãy liên hệ Tổ công nghệ số cộng đồng hoặc Công an xã/phường nơi bạn cư trú."
)
SCAM_LEAD = "Đây là lừa đảo."
OCR_NOTE = "(Trích từ bản quét của văn bản; dấu tiếng Việt được khôi phục tự động nên có thể còn sai sót.)"
PRIVACY_NOTE = (
    "Lưu ý: mình không tra cứu được hồ sơ cá nhân, và bạn đừng gửi số căn cước, số định danh hay số điện thoại "
    "vào đây. Mình đã không lưu các số đó."
)
GROUP_TITLES = {
    "vneid": "VNeID và định danh điện tử",
    "cks": "Chữ ký số",
    "dvc": "Dịch vụ công trực tuyến",
    "khac": "Khác (thanh toán, lừa đảo, hỗ trợ)",
}
_EMPHASIS = re.compile(r"\*{1,3}([^*\n]+?)\*{1,3}")
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def plain(markdown: str) -> str:
    """Markdown to plain text readable in any messenger: no asterisks, bullets as "•", links spelled out."""
    text = _MARKDOWN_LINK.sub(r"\1 (\2)", markdown)
    text = _EMPHASIS.sub(r"\1", text)
    text = re.sub(r"^\s*[-*]\s+", "• ", text, flags=re.MULTILINE)
    text = re.sub(r"^#+\s*", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_BARE_MARKER = re.compile(r"[\s•*\-]*(?:\d+[.)])?[\s.]*")


def guide_reply(lead: str, rest: str, budget: int = ANSWER_BUDGET) -> str:
    """The lead sentence, then as many whole lines of the rest as fit the budget."""
    lead = plain(lead)
    rest = plain(rest).replace(lead, "")
    # The lead is cut out of its section; a list item that held only the lead leaves a bare "3." behind.
    lines = [line.strip() for line in rest.splitlines() if not _BARE_MARKER.fullmatch(line)]
    kept: list[str] = []
    size = len(lead)
    for line in lines:
        if size + len(line) + 1 > budget:
            if kept:
                kept.append("…")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join([lead, *kept]) if kept else lead


def full_guide(guide: GuideCard) -> str:
    """The whole guide, for /huongdan <id> and "Xem đầy đủ"."""
    return f"{guide.title.upper()}\n\n{plain(guide.body)}"


def plan_answer(
    passage: Passage,
    query_words: Mapping[str, float],
    ocr: bool = False,
    note: str = "",
    limit: int = MAX_QUOTE_CHARS,
    also: Passage | None = None,
    asked: Asked | None = None,
) -> str:
    """The best passage quoted and cited; `also`, a nearly as good passage of the same document, quoted after
    it more briefly (the figure asked for is often in the next passage)."""
    if ocr and passage.garble > MAX_GARBLE:
        return (
            f"Đoạn liên quan trong {passage.title} là bản quét khó đọc, nên mình không trích nguyên văn để tránh "
            f"sai. Bạn xem trực tiếp văn bản, {passage.citation.removeprefix(passage.title + ', ')}."
        )
    quote = trim_passage(passage.text, query_words, limit, asked)
    lead = f"{note}\n\n" if note else ""
    text = f"{lead}Theo {passage.title}:\n«{quote}»"
    footer = f"(Nguồn: {passage.citation})"
    if also is not None and not (ocr and also.garble > MAX_GARBLE):
        more = trim_passage(also.text, query_words, SECOND_QUOTE_CHARS, asked)
        footer += f"\n\nCùng văn bản, mục {also.cited or also.section_label or 'mở đầu'}:\n«{more}»"
    if ocr:
        footer += f"\n{OCR_NOTE}"
    return _fit(text, footer)


def trim_passage(
    text: str, query_words: Mapping[str, float], limit: int = MAX_QUOTE_CHARS, asked: Asked | None = None
) -> str:
    """The passage, or when too long a run of its lines/sentences around the one that best answers.

    Each line or sentence scores the distinct question words it holds, each by its weight (IDF) divided by
    how many of the passage's pieces hold it ("GRDP" beats "kinh tế số"), and half as much again when it states
    the kind of fact asked (a date for "bao giờ": knowledge.asked). For a share or a count, the piece whose
    figure sits in one clause with the question's words comes first (`_nearest_fact`). The quote starts at it
    (with the piece before it when that is a short lead-in ending with ":") and runs on while it fits.
    """
    text = plain(text)
    if len(text) <= limit:
        return text
    pieces = [piece for line in text.splitlines() for piece in _sentences(line, limit)]
    words = [query_words.keys() & set(analyze(piece).folded) for piece in pieces]
    spread = Counter(word for found in words for word in found)
    scores = [sum(query_words[word] / spread[word] for word in found) for found in words]
    scores = [
        score * (ASKED_BONUS if states(asked, piece) else 1.0) for score, piece in zip(scores, pieces, strict=True)
    ]
    near = [_nearest_fact(piece, query_words, spread, asked) for piece in pieces]
    best = max(range(len(pieces)), key=lambda i: (near[i], scores[i], -i))
    start = best - 1 if best > 0 and pieces[best - 1].rstrip().endswith(":") and len(pieces[best - 1]) < 120 else best
    end, size = start, 0
    while end < len(pieces) and size + len(pieces[end]) <= limit:
        size, end = size + len(pieces[end]) + 1, end + 1
    if end == start:
        end = start + 1
    while start > 0 and size + len(pieces[start - 1]) <= limit and end == len(pieces):
        start -= 1  # room left at the end of the passage: show what comes before
        size += len(pieces[start]) + 1
    quote = "\n".join(_cut(piece, limit) for piece in pieces[start:end])
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(pieces) else ""
    return prefix + quote + suffix


def _nearest_fact(piece: str, query_words: Mapping[str, float], spread: Counter[str], asked: Asked | None) -> float:
    """For a share or a count asked, the question words in the same clause as such a figure ("đánh giá chung:
    rất hài lòng 1.428 phiếu (94%)"): a statistics paragraph lists many shares, and the one asked for is the one
    next to the question's words. Zero for the other kinds: a date often closes the item it belongs to."""
    if asked not in NEAR_KINDS:
        return 0.0
    best = 0.0
    for clause in re.split(r"[;:]", piece):  # not at commas: "tỷ trọng kinh tế số trong các ngành, lĩnh vực đạt 15%"
        if states(asked, clause):
            found = query_words.keys() & set(analyze(clause).folded)
            best = max(best, sum(query_words[word] / spread[word] for word in found))
    return best


def _cut(piece: str, limit: int) -> str:
    if len(piece) <= limit:
        return piece
    return piece[: piece.rfind(" ", 0, limit - 1)].rstrip(" ,;") + " …"


def _sentences(line: str, limit: int) -> list[str]:
    """A line short enough stays whole; a longer one is cut into sentences."""
    if len(line) <= limit:
        return [line] if line.strip() else []
    return [part for part in re.split(r"(?<=[.;])\s+", line) if part.strip()]


def suggestion_text(choices: Sequence[Source]) -> str:
    lines = ["Mình chưa chắc đã hiểu đúng câu hỏi của bạn. Có phải bạn muốn hỏi về:"]
    lines += [f"{number}. {choice_label(source)}" for number, source in enumerate(choices, start=1)]
    lines += ["", "Bạn chọn một mục, hoặc hỏi lại rõ hơn nhé."]
    return "\n".join(lines)


def fallback_text() -> str:
    return (
        "Mình chưa có câu trả lời chắc chắn cho câu hỏi này. Bạn có thể xem các chủ đề mình hướng dẫn được "
        "(/huongdan), hoặc hỏi lại với vài từ khóa như «VNeID», «chữ ký số», «dịch vụ công».\n"
        f"{HELP_LINE}"
    )


def referral_text(domain: Domain) -> str:
    """An honest "not my topic" that names the kind of office handling it."""
    return (
        f"Câu hỏi về {domain.name} nằm ngoài các hướng dẫn của mình, nên mình không trả lời để tránh sai. "
        f"Bạn nên hỏi {domain.office}.\n"
        "Mình giúp được các việc về VNeID, chữ ký số, dịch vụ công trực tuyến và thanh toán số (/huongdan)."
    )


def uncovered_intent_text(what: str, guide: GuideCard, office: str) -> str:
    """The guide is the right topic but says nothing about what was asked (a cost, a duration)."""
    return (
        f"Mình chưa có thông tin chắc chắn về {what} của việc này, nên không đoán. "
        f"Bạn hỏi {_without_verb(office)} để biết chính xác.\n"
        f"Hướng dẫn liên quan: «{guide.title}» (bấm «Xem đầy đủ»)."
    )


def _without_verb(office: str) -> str:
    """A guide's help section often opens with "Hỏi ..." itself: do not say "hỏi hỏi"."""
    return re.sub(r"^(?:hỏi|liên hệ)\s+", "", office.strip(), flags=re.IGNORECASE)


def no_plan_text(place: str, loaded: Sequence[str], related: str = "") -> str:
    lines = [f"Mình chưa có kế hoạch chuyển đổi số của {place}."]
    if related:
        lines.append(related)
    if loaded:
        lines += ["", "Các tài liệu mình đã có:", *(f"• {_short(title, 110)}" for title in loaded)]
    lines += ["", "Kế hoạch của địa phương thường được đăng trên cổng thông tin của UBND tỉnh/thành phố."]
    return "\n".join(lines)


def which_place_text(places: Sequence[str]) -> str:
    listing = ", ".join(places)
    return (
        "Bạn muốn hỏi kế hoạch của địa phương nào? Mình đang có tài liệu của: "
        f"{listing}. Bạn chọn một nơi, hoặc hỏi kèm tên địa phương nhé."
    )


def choice_label(source: Source) -> str:
    if source.document is None:
        return source.title
    section = source.section.split(" › ")[-1] if source.section else "phần mở đầu"
    return f"{_short(section, 40)} ({_short(source.title, 50)})"


def guide_label(guide: GuideCard) -> str:
    return guide.short or _short(guide.title, 32)


def group_menu_text(counts: dict[str, int]) -> str:
    lines = ["Mình hướng dẫn được các nhóm chủ đề sau, bạn chọn một nhóm:"]
    lines += [f"• {GROUP_TITLES[group]} ({n})" for group, n in counts.items()]
    lines += ["", "Hoặc cứ gõ câu hỏi, ví dụ «cài VNeID thế nào»."]
    return "\n".join(lines)


def group_text(group: str, guides: Iterable[GuideCard]) -> str:
    lines = [f"{GROUP_TITLES.get(group, group)}:"]
    lines += [f"• {guide_label(guide)}" for guide in guides]
    lines += ["", "Bạn chọn một mục để xem hướng dẫn."]
    return "\n".join(lines)


def _short(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


def _fit(text: str, footer: str, limit: int = MAX_CHARS) -> str:
    """Cut the body (at a line end) so that body + footer fit the limit."""
    room = limit - len(footer) - 2
    if len(text) > room:
        cut = text.rfind("\n", 0, room - 2)
        text = text[: cut if cut > room // 2 else room - 2].rstrip() + "\n…"
    return f"{text}\n{footer}"
