"""Question answering in the chat: free text goes to the answerer; /huongdan shows topics and guides.

The answerer (index + knowledge) is a lazy service: the first question loads the index from the data directory,
or builds it there when a new installation has none, so `troly chat` and `troly ask` start at once. `troly serve`
loads it before it starts listening (`prepare`), so the first citizen never waits for an index build and
/healthz answers only when questions can be answered.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.app import Troly
from bot.commands import Commands
from bot.context import Context, Reply
from bot.extensions import ANSWER_PROVIDERS, ProvidedAnswer
from bot.messages import Choice, Outbound
from bot.privacy import mask_personal
from bot.services import ServiceKey
from bot.settings import Settings
from knowledge import formatting
from knowledge.answers import Answer, Answerer, Outcome, Source
from knowledge.corpus import GUIDE_KIND
from knowledge.store import IndexSource, load_or_build

ANSWERER: ServiceKey[Answerer] = ServiceKey("questions.answerer")
PROVIDED_ANSWER_AT = 0.5  # an answer from another plugin must be at least this confident to be given
MAX_CHOICE_VALUE_BYTES = 60


def setup(troly: Troly) -> None:
    troly.provide(ANSWERER, lambda: make_answerer(troly.settings))
    troly.router.fallback(answer_question, precompute=lambda text: troly[ANSWERER].answer(text))
    troly.router.command("huongdan", show_guide, description="Xem danh sách hướng dẫn hoặc một hướng dẫn")
    troly.router.command("kehoach", show_passage, description="Xem một đoạn kế hoạch chuyển đổi số", menu=False)


def prepare(troly: Troly) -> None:
    """Load the index, or build it on a new installation, before the process serves anyone."""
    troly[ANSWERER]


def register_cli(commands: Commands) -> None:
    from handlers.questions_cli import register

    register(commands)


def index_source(settings: Settings) -> IndexSource:
    return IndexSource(data_dir=settings.data_dir, embedding_model=settings.embedding_model)


def make_answerer(settings: Settings) -> Answerer:
    index, knowledge = load_or_build(index_source(settings))
    return Answerer(index, knowledge)


def answer_question(ctx: Context) -> Reply:
    """The answer retrieved before the transaction (`precompute` in setup), or retrieved now; an answer from
    another plugin (ANSWER_PROVIDERS, e.g. a local answer for the user's area) wins when it is more confident."""
    answer = ctx.precomputed()
    if not isinstance(answer, Answer):
        answer = ctx.troly[ANSWERER].answer(ctx.text)
    provided = best_provided(ctx)
    if provided is not None and provided.score >= PROVIDED_ANSWER_AT and provided.score >= answer.score:
        meta: dict[str, Any] = {"kind": "answer", "outcome": Outcome.ANSWER.value, "question": mask_personal(ctx.text)}
        meta |= {"source_kind": provided.source.get("kind"), "source_id": provided.source.get("id")}
        return Outbound(provided.text, choices=provided.choices, meta=meta | provided.meta | {"score": provided.score})
    return with_help_line(ctx, to_outbound(answer))


def with_help_line(ctx: Context, reply: Outbound) -> Outbound:
    """The asker's own contact card (HELP_LINES, e.g. their ward's team) in place of the generic sentence."""
    if formatting.HELP_LINE not in reply.text:
        return reply
    line = ctx.help_line()
    if line == formatting.HELP_LINE:
        return reply
    return replace(reply, text=reply.text.replace(formatting.HELP_LINE, line))


def best_provided(ctx: Context) -> ProvidedAnswer | None:
    answers = [provider(ctx, ctx.text) for provider in ctx.troly.extensions[ANSWER_PROVIDERS]]
    return max((a for a in answers if a is not None), key=lambda a: a.score, default=None)


def to_outbound(answer: Answer) -> Outbound:
    """The answer with the choices that fit its outcome: the full guide, the suggestions, or the topic menu."""
    meta = answer_meta(answer)
    if answer.outcome is Outcome.ANSWER and answer.source is not None and answer.source.kind == GUIDE_KIND:
        choices: tuple[Choice, ...] = (Choice("Xem hướng dẫn đầy đủ", f"/huongdan {answer.source.id}"),)
        return Outbound(answer.text, choices=choices, meta=meta)
    if answer.outcome is Outcome.SUGGEST and answer.source is not None:
        sources = [answer.source, *answer.alternatives][:3]
        choices = tuple(choice for choice in map(source_choice, sources) if choice is not None)
        return Outbound(answer.text, choices=choices, meta=meta)
    if answer.outcome is Outcome.FALLBACK:
        return Outbound(answer.text, choices=(Choice("Danh sách chủ đề", "/huongdan"),), meta=meta)
    return Outbound(answer.text, meta=meta)


def answer_meta(answer: Answer) -> dict[str, Any]:
    """What other plugins' reply hooks may read (ratings, the help desk, the question log)."""
    source = answer.source
    return {
        "kind": "answer",
        "outcome": answer.outcome.value,
        "question": mask_personal(answer.question),
        "topic": answer.topic,
        "source_kind": source.kind if source else None,
        "source_id": source.id if source else None,
        "section": source.section if source else None,
        "score": round(answer.score, 4),
    }


def source_choice(source: Source) -> Choice | None:
    command = "huongdan" if source.kind == GUIDE_KIND else "kehoach"
    value = f"/{command} {source.id}"
    if len(value.encode()) > MAX_CHOICE_VALUE_BYTES:
        return None
    return Choice(formatting.choice_label(source)[:64], value)


def show_guide(ctx: Context) -> Reply:
    """`/huongdan` lists the topics; `/huongdan <id>` shows that guide; other words are searched for."""
    answerer = ctx.troly[ANSWERER]
    guides = answerer.knowledge.guides
    wanted = ctx.args.strip().lower()
    if wanted in guides:
        return Outbound(formatting.full_guide(guides[wanted]))
    if wanted and " " in wanted:  # words, not an id: search the guides for them
        answer = answerer.answer(wanted)
        if answer.confident and answer.topic:
            return Outbound(formatting.full_guide(guides[answer.topic]))
    menu = [Choice(guide.title[:64], f"/huongdan {guide.id}") for guide in guides.values()]
    note = f"Mình không tìm thấy hướng dẫn «{ctx.args.strip()}».\n\n" if wanted else ""
    return Outbound(note + formatting.topic_menu(guides.values()), choices=tuple(menu))


def show_passage(ctx: Context) -> Reply:
    """`/kehoach <passage id>`: a plan passage chosen from a suggestion, with its citation."""
    knowledge = ctx.troly[ANSWERER].knowledge
    passage = knowledge.passages.get(ctx.args.strip())
    if passage is None:
        titles = "\n".join(f"• {title}" for title in knowledge.documents.values())
        listing = f"Các kế hoạch mình đã đọc:\n{titles}" if titles else "Mình chưa có tài liệu kế hoạch nào."
        return Outbound(f"{listing}\n\nBạn cứ hỏi về nội dung kế hoạch, mình sẽ trích dẫn đoạn liên quan.")
    return Outbound(formatting.plan_answer(passage, set()))
