"""Help desk (plugin "handlers.helpdesk"): from "I don't know" to a named helper of the citizen's local team.

A citizen asks for a person (/nhotro, plain words, or the choice added under unsure answers); the request goes
to the members of the teams responsible for the area; the first to tap «Nhận hỗ trợ» takes it; they talk through
the bot across channels; a home visit logged with /ghinhan closes it; the citizen rates it. Unclaimed requests
escalate in working hours. See docs/helpdesk.md. Other features meet it through bot.extensions only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands import Commands
from handlers.helpdesk import models as models  # registers the tables on Base

if TYPE_CHECKING:
    from bot.app import Troly


def setup(troly: Troly) -> None:
    """The chat side, imported here: loading the plugin (every `troly` command does) registers only its tables."""
    from bot.extensions import CANCEL_HOOKS, MEMBERSHIP_CHANGED, RATING_SUMMARIES, REPORT_SECTIONS, VISIT_HOOKS
    from handlers.helpdesk import appointments, asking, claims, closing, jobs, listing, offer, reports, talk, visitlink
    from handlers.helpdesk.places import STAFF
    from handlers.helpdesk.satisfaction import rating_summaries

    router = troly.router
    router.command("nhotro", offer.ask_by_command, description="Nhờ người của tổ công nghệ số hỗ trợ trực tiếp")
    router.command("yeucau", listing.show, description="Xem các yêu cầu hỗ trợ")
    router.command("nhan", claims.claim, description="Nhận một yêu cầu hỗ trợ", roles=STAFF)
    router.command("traloi", talk.reply_command, description="Nhắn cho người dân (hoặc người hỗ trợ) về một yêu cầu")
    router.command("xong", closing.close_command, description="Kết thúc một yêu cầu hỗ trợ")
    router.command("tralai", claims.hand_back, description="Trả yêu cầu lại cho tổ", roles=STAFF)
    router.command("hen", appointments.propose, description="Hẹn giờ đến nhà người dân", roles=STAFF)
    router.command("hendongy", appointments.confirm, description="Đồng ý lịch hẹn", menu=False)
    router.command("hendoi", appointments.ask_other_time, description="Xin hẹn giờ khác", menu=False)
    router.command("danhgia", closing.rate, description="Đánh giá sự hỗ trợ", menu=False)
    router.command("molai", closing.reopen_command, description="Mở lại yêu cầu chưa xong", menu=False)
    if "baocao" not in router.commands:  # the visits feature's report shows ours as a section when installed
        router.command("baocao", reports.chat_report, description="Xem báo cáo yêu cầu hỗ trợ", roles=STAFF)
    router.dialog(asking.NAME, asking.handle)
    router.dialog(closing.COMMENT_DIALOG, closing.comment)
    router.dialog(appointments.RESCHEDULE_DIALOG, appointments.other_time)
    router.mode(talk.talk, active=talk.in_talk)
    router.text(offer.ask_by_words, when=offer.is_help_phrase)
    router.text(closing.reopen_by_words, when=closing.is_reopen_phrase)
    router.text(asking.stale_button, when=asking.is_stale_button)
    router.after(offer.offer_help)
    troly.extensions.add(CANCEL_HOOKS, talk.cancel)
    troly.extensions.add(VISIT_HOOKS, visitlink.HOOKS)
    troly.extensions.add(REPORT_SECTIONS, reports.report_lines)
    troly.extensions.add(RATING_SUMMARIES, rating_summaries(troly.settings.helpdesk_timezone))
    troly.extensions.add(MEMBERSHIP_CHANGED, lambda session, user, now: claims.release_for(troly, session, user, now))
    jobs.register(troly)


def register_cli(commands: Commands) -> None:
    """`troly report requests`."""
    from handlers.helpdesk.cli import register_cli as register

    register(commands)
