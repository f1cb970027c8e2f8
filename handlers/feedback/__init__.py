"""Feedback and the knowledge loop: the question log, ratings, gap reports, local answers, contact cards and the
satisfaction report.

Plugin "handlers.feedback". It meets the other features only through the core: a reply hook logs every answered
question and adds "Hữu ích / Chưa đúng" (bot.router `after`), local answers are an ANSWER_PROVIDERS entry, contact
cards a HELP_LINES entry, and the help desk, when installed, is discovered by its `/nhotro` command and may offer
answers through ANSWER_PROPOSALS. See docs/feedback.md.

Loading the plugin registers its tables on `Base`; the chat handlers and the commands' work are imported by the
hooks that use them, so a `troly` command starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import Commands
from handlers.feedback import models as models  # registers the tables on Base

if TYPE_CHECKING:
    from bot.app import Troly
    from handlers.feedback.pseudonym import Pseudonymizer


def setup(troly: Troly) -> None:
    from bot.extensions import ANSWER_PROPOSALS, ANSWER_PROVIDERS, HELP_LINES
    from handlers.feedback import contacts, gaps_chat, proposals
    from handlers.feedback.local_index import make_provider
    from handlers.feedback.pseudonym import make_pseudonymizer
    from handlers.feedback.questionlog import RATE_COMMAND, make_hook, retention
    from handlers.feedback.ratings import make_rate_command, make_reaction_handler
    from handlers.feedback.satisfaction_views import show_satisfaction
    from handlers.feedback.scope import MANAGERS, PUBLISHERS
    from handlers.feedback.services import LOCAL_INDEX, PSEUDONYMS, make_local_index

    troly.provide(LOCAL_INDEX, make_local_index)
    troly.provide(PSEUDONYMS, lambda: make_pseudonymizer(troly.settings))

    def pseudonyms() -> Pseudonymizer:
        return troly[PSEUDONYMS]

    router = troly.router
    router.after(make_hook(pseudonyms))
    router.command(RATE_COMMAND, make_rate_command(pseudonyms), description="Đánh giá câu trả lời", menu=False)
    router.event("reaction", make_reaction_handler(pseudonyms))
    router.command("lienhe", contacts.show_contact, description="Liên hệ người hỗ trợ trực tiếp ở khu vực của bạn")
    router.dialog(contacts.DIALOG, contacts.continue_dialog)
    router.command("khoangtrong", gaps_chat.show_gaps, description="Câu hỏi chưa được trả lời, soạn câu trả lời",
                   roles=MANAGERS)  # fmt: skip
    router.dialog(gaps_chat.DIALOG, gaps_chat.continue_dialog)
    router.command("duyet", proposals.review, description="Duyệt đề xuất câu trả lời địa phương", roles=PUBLISHERS)
    router.command("cautraloi", proposals.manage, description="Xem, gỡ câu trả lời địa phương", roles=MANAGERS)
    router.command("hailong", show_satisfaction, description="Mức độ hài lòng của người dân", roles=MANAGERS)
    troly.extensions.add(ANSWER_PROVIDERS, make_provider(lambda: troly[LOCAL_INDEX]))
    troly.extensions.add(HELP_LINES, contacts.make_help_line(lambda: troly[LOCAL_INDEX]))
    troly.extensions.add(ANSWER_PROPOSALS, proposals.propose_from_feature)
    troly.jobs.retain(retention(troly.settings))


def prepare(troly: Troly) -> None:
    """Before `serve` takes messages: the pseudonym key exists (so worker processes read, not race to create
    it), and the local answers' index is built."""
    from handlers.feedback.services import LOCAL_INDEX, PSEUDONYMS

    troly[PSEUDONYMS]
    with troly.database.transaction() as session:
        troly[LOCAL_INDEX].current(session)


def register_cli(commands: Commands) -> None:
    from handlers.feedback import cli, cli_faq

    cli.register_cli(commands)
    cli_faq.register_cli(commands)
