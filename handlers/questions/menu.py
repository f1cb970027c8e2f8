"""/huongdan: a short grouped menu that fits a phone, a group's guides, or one whole guide; /kehoach: a passage.

`/huongdan` shows four groups (VNeID, chữ ký số, dịch vụ công, khác) as choices; `/huongdan vneid` lists that
group's guides by their short labels; `/huongdan <guide id>` (what "Xem đầy đủ" sends) shows the whole guide.
"""

from __future__ import annotations

from collections import Counter

from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from handlers.questions.services import ANSWERER
from knowledge import formatting
from knowledge.guides import GROUPS


def show_guide(ctx: Context) -> Reply:
    """`/huongdan`, `/huongdan <group>`, `/huongdan <id>`; other words are searched for."""
    answerer = ctx.troly[ANSWERER]
    guides = answerer.knowledge.guides
    wanted = ctx.args.strip().lower()
    if wanted in guides:
        return Outbound(formatting.full_guide(guides[wanted]), meta={"kind": "guide", "topic": wanted})
    if wanted in GROUPS:
        members = [guide for guide in guides.values() if guide.group == wanted]
        choices = tuple(Choice(formatting.guide_label(guide), f"/huongdan {guide.id}") for guide in members)
        return Outbound(formatting.group_text(wanted, members), choices=choices, meta={"kind": "menu"})
    if wanted:
        answer = answerer.answer(wanted)
        if answer.confident and answer.topic:
            return Outbound(formatting.full_guide(guides[answer.topic]), meta={"kind": "guide", "topic": answer.topic})
    counts = Counter(guide.group for guide in guides.values())
    ordered = {group: counts[group] for group in GROUPS if counts[group]}
    choices = tuple(Choice(formatting.GROUP_TITLES[group].split(" (")[0], f"/huongdan {group}") for group in ordered)
    note = f"Mình không tìm thấy hướng dẫn «{ctx.args.strip()[:60]}».\n\n" if wanted else ""
    return Outbound(note + formatting.group_menu_text(ordered), choices=choices, meta={"kind": "menu"})


def show_passage(ctx: Context) -> Reply:
    """`/kehoach <passage id>`: a whole plan passage, with its citation."""
    knowledge = ctx.troly[ANSWERER].knowledge
    passage = knowledge.passages.get(ctx.args.strip())
    if passage is None:
        titles = "\n".join(f"• {title}" for title in knowledge.documents.values())
        listing = f"Các kế hoạch mình đã đọc:\n{titles}" if titles else "Mình chưa có tài liệu kế hoạch nào."
        return Outbound(f"{listing}\n\nBạn cứ hỏi về nội dung kế hoạch, mình sẽ trích dẫn đoạn liên quan.")
    ocr = passage.document in knowledge.ocr
    text = formatting.plan_answer(passage, {}, ocr=ocr, limit=formatting.MAX_CHARS - 300)
    return Outbound(text, meta={"kind": "plan", "source_id": passage.id})
