"""Question answering in the chat: free text goes to the answerer; /huongdan shows topics and guides.

The answerer (index + knowledge) is a lazy service: the first question loads the index from the data directory,
or builds it there when a new installation has none, so `troly chat` and `troly ask` start at once. `troly serve`
loads it before it starts listening (`prepare`), so the first citizen never waits for an index build and
/healthz answers only when questions can be answered. Each user's last question is remembered for ten minutes
(handlers/questions/memory.py) so that follow-ups ("còn iphone thì sao") are read with it.

Loading the plugin imports none of that (retrieval brings numpy and the knowledge base): every `troly` command
loads it, so the hooks import what they use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.commands import Commands
from bot.metrics import MetricDefinition
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import Troly


def setup(troly: Troly) -> None:
    from bot.jobs import Retention
    from handlers.questions import chat, memory, menu
    from handlers.questions.services import ANSWERER, make_answerer

    troly.provide(ANSWERER, lambda: make_answerer(troly.settings))
    troly.router.fallback(chat.answer_question, precompute=lambda text: troly[ANSWERER].answer(text))
    troly.router.command("huongdan", menu.show_guide, description="Xem các hướng dẫn theo nhóm")
    troly.router.command("kehoach", menu.show_passage, description="Xem một đoạn kế hoạch chuyển đổi số", menu=False)
    troly.jobs.retain(Retention("questions.memory", memory.RETENTION_DESCRIPTION, memory.prune))


def metric_definitions() -> list[MetricDefinition]:
    return [MetricDefinition("troly_answers_total", "Answers to free-text questions, by outcome", ("outcome",))]


def backup_paths(settings: Settings) -> list[Path]:
    """What `troly backup` keeps of ours: the ingested plans and a fine-tuned encoder (the index is rebuilt)."""
    from embeddings.dense import FINETUNED_DIR
    from knowledge.ingest import plans_dir

    return [plans_dir(settings.data_dir), settings.data_dir / FINETUNED_DIR]


def prepare(troly: Troly) -> None:
    """Load the index, or build it on a new installation, before the process serves anyone."""
    from handlers.questions.services import ANSWERER

    troly[ANSWERER]


def register_cli(commands: Commands) -> None:
    from handlers.questions.cli import register

    register(commands)
