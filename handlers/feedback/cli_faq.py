"""`troly faq add|list|edit|retire|publish|reject|history|rollback|import`: local answers from the command line.

Every change is made as the actor "cli", audited and recorded as a revision (handlers.feedback.local_answers),
and is served by every running process from its next question on. The editing code is imported by the command
that runs: every `troly` command registers these.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commands import Commands
from bot.settings import Settings
from bot.storage.models import Area
from bot.storage.types import utcnow
from handlers.feedback import cli_common as cli
from handlers.feedback.models import AnswerStatus, LocalAnswer, LocalAnswerRevision
from handlers.feedback.scope import area_scope, default_source, local_day
from handlers.feedback.sheets import Sheet

if TYPE_CHECKING:
    from handlers.feedback.local_answers import Actor, LocalAnswerError

STATUS_ACTIONS = {"retire": AnswerStatus.RETIRED, "publish": AnswerStatus.PUBLISHED, "reject": AnswerStatus.REJECTED}


def register_cli(commands: Commands) -> None:
    faq = commands.group("faq", help="Câu trả lời địa phương do cán bộ soạn (hỏi đáp riêng của từng khu vực)")
    faq.add("add", help="Thêm và đăng một câu trả lời", run=run_add, configure=_add)
    faq.add("list", help="Liệt kê câu trả lời (CSV có cùng cột với tệp nhập)", run=run_list, configure=_list)
    faq.add("edit", help="Sửa một câu trả lời", run=run_edit, configure=_edit)
    for name, label in (("retire", "Gỡ"), ("publish", "Đăng (duyệt đề xuất)"), ("reject", "Từ chối đề xuất")):
        faq.add(name, help=f"{label} một câu trả lời", run=run_status, configure=_with_id).set_defaults(faq_action=name)
    faq.add("history", help="Xem các phiên bản của một câu trả lời", run=run_history, configure=_with_id)
    faq.add("rollback", help="Quay một câu trả lời về phiên bản cũ", run=run_rollback, configure=_rollback)
    faq.add("import", help="Nhập nhiều câu trả lời từ tệp CSV/XLSX (lỗi ở đâu thì không nhập gì)", run=run_import,
            configure=_import)  # fmt: skip


def _content(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--question", "-q", action="append", required=required,
                        help="một cách hỏi (lặp lại để thêm cách hỏi khác)")  # fmt: skip
    parser.add_argument("--answer", "-a", required=required, metavar="CÂU_TRẢ_LỜI", help="câu trả lời cho người dân")
    parser.add_argument("--source", metavar="CƠ_QUAN", help="cơ quan chịu trách nhiệm (mặc định: UBND của khu vực)")
    parser.add_argument(
        "--valid-until", type=cli.day_argument, metavar="NGÀY", help="hết hạn dùng sau ngày này (YYYY-MM-DD)"
    )


def _add(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", required=True, help="mã khu vực (áp dụng cho cả các khu vực cấp dưới)")
    _content(parser, required=True)


def _edit(parser: argparse.ArgumentParser) -> None:
    _with_id(parser)
    parser.add_argument("--area", help="chuyển sang khu vực khác (mã)")
    _content(parser, required=False)
    parser.add_argument("--no-expiry", action="store_true", help="bỏ hạn dùng")


def _with_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", type=int, help="số của câu trả lời (xem: troly faq list)")


def _rollback(parser: argparse.ArgumentParser) -> None:
    _with_id(parser)
    parser.add_argument(
        "--to", type=int, required=True, metavar="PHIÊN_BẢN", help="phiên bản muốn quay về (xem: troly faq history)"
    )


def _list(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", help="mã khu vực (gồm cả các khu vực cấp dưới)")
    parser.add_argument("--status", choices=[status.value for status in AnswerStatus], help="chỉ trạng thái này")
    cli.add_output(parser, ("text", "csv", "xlsx", "json"))


def _import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, help="tệp .csv hoặc .xlsx, tiêu đề: questions,answer,area,source,valid_until"
    )
    parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra tệp, không nhập")


def _answer(session: Session, answer_id: int) -> LocalAnswer:
    answer = session.get(LocalAnswer, answer_id)
    if answer is None:
        raise cli.CliError(f"Không có câu trả lời #{answer_id}. Xem: troly faq list")
    return answer


def _as_cli() -> Actor:
    from handlers.feedback.local_answers import Actor

    return Actor("cli")


def _refused(error: LocalAnswerError) -> cli.CliError:
    return cli.CliError("Không lưu được vì:\n" + "\n".join(f"  - {problem}" for problem in error.problems))


@cli.reporting
def run_add(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.feedback.local_answers import Draft, LocalAnswerError, clean_questions, create

    with cli.session_for(settings) as session:
        area = cli.find_area(session, args.area)
        assert area is not None
        draft = Draft(area, clean_questions(args.question), args.answer, args.source or default_source(area),
                      args.valid_until)  # fmt: skip
        try:
            saved = create(session, draft, status=AnswerStatus.PUBLISHED, actor=_as_cli(), origin="cli", now=utcnow())
        except LocalAnswerError as error:
            raise _refused(error) from None
        print(f"Đã đăng câu trả lời #{saved.id} cho {area.name} ({len(draft.questions)} cách hỏi).")
    return 0


@cli.reporting
def run_edit(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.feedback.local_answers import Draft, LocalAnswerError, clean_questions, edit

    with cli.session_for(settings) as session:
        answer = _answer(session, args.id)
        area = cli.find_area(session, args.area) or session.get(Area, answer.area_id)
        assert area is not None
        until = None if args.no_expiry else (args.valid_until or answer.valid_until)
        questions = clean_questions(args.question) if args.question else list(answer.questions)
        draft = Draft(area, questions, args.answer or answer.answer, args.source or answer.source, until)
        try:
            edit(session, answer, draft, _as_cli(), utcnow())
        except LocalAnswerError as error:
            raise _refused(error) from None
        print(f"Đã sửa câu trả lời #{answer.id} (phiên bản {answer.revision}).")
    return 0


@cli.reporting
def run_status(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.feedback.local_answers import LocalAnswerError, set_status

    status = STATUS_ACTIONS[args.faq_action]
    with cli.session_for(settings) as session:
        answer = _answer(session, args.id)
        if answer.status == status.value:
            raise cli.CliError(f"Câu trả lời #{answer.id} đã ở trạng thái này rồi.")
        if status is not AnswerStatus.RETIRED and answer.status != AnswerStatus.PROPOSED:
            raise cli.CliError(f"Câu trả lời #{answer.id} không phải đề xuất chờ duyệt (dùng troly faq rollback).")
        try:
            set_status(session, answer, status, _as_cli(), utcnow())
        except LocalAnswerError as error:
            raise _refused(error) from None
        print(f"Câu trả lời #{answer.id}: {status.value} (phiên bản {answer.revision}).")
    return 0


def run_history(settings: Settings, args: argparse.Namespace) -> int:
    with cli.reading_session(settings) as session:
        query = select(LocalAnswerRevision).where(LocalAnswerRevision.answer_id == args.id)
        revisions = list(session.scalars(query.order_by(LocalAnswerRevision.revision)))
        for revision in revisions:
            state = revision.snapshot
            when = revision.at.strftime("%d/%m/%Y %H:%M UTC")
            print(f"phiên bản {revision.revision}: {revision.action} bởi {revision.actor_label}, {when}, "
                  f"{state['status']}: «{state['answer'][:60]}»")  # fmt: skip
    if not revisions:
        print(f"Không có câu trả lời #{args.id}. Xem: troly faq list")
        return 1
    return 0


@cli.reporting
def run_rollback(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.feedback.local_answers import LocalAnswerError, rollback

    with cli.session_for(settings) as session:
        answer = _answer(session, args.id)
        try:
            rollback(session, answer, args.to, _as_cli(), utcnow())
        except LocalAnswerError as error:
            raise _refused(error) from None
        print(f"Đã quay câu trả lời #{answer.id} về phiên bản {args.to} (thành phiên bản {answer.revision}).")
    return 0


@cli.reporting
def run_import(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.feedback.faq_import import FaqFileError, parse_faq
    from handlers.feedback.local_answers import create

    with cli.session_for(settings) as session:
        try:
            rows = parse_faq(session, args.file)
        except FileNotFoundError:
            raise cli.CliError(f"Không thấy tệp {args.file}.") from None
        except FaqFileError as error:
            raise cli.CliError("Không nhập gì cả, vì tệp có lỗi:\n" + "\n".join(error.problems)) from None
        if args.dry_run:
            print(f"Tệp hợp lệ: {len(rows)} câu trả lời (chưa nhập vì có --dry-run).")
            return 0
        now = utcnow()
        for row in rows:
            create(session, row.draft, status=AnswerStatus.PUBLISHED, actor=_as_cli(), origin="import", now=now)
    print(f"Đã nhập và đăng {len(rows)} câu trả lời.")
    return 0


@cli.reporting
def run_list(settings: Settings, args: argparse.Namespace) -> int:
    with cli.reading_session(settings) as session:
        scope = area_scope(session, cli.find_area(session, args.area))
        query = select(LocalAnswer).order_by(LocalAnswer.id)
        if scope.area_ids is not None:
            query = query.where(LocalAnswer.area_id.in_(scope.area_ids))
        if args.status:
            query = query.where(LocalAnswer.status == args.status)
        records = [_record(answer) for answer in session.scalars(query)]
    header = ["questions", "answer", "area", "source", "valid_until", "id", "status", "reviewed"]
    table = Sheet("Câu trả lời địa phương", header, [[r[key] for key in header] for r in records], (50, 70, 12, 30))
    lines = [_line(record) for record in records]
    return cli.emit(args, text=lambda: "\n".join(lines) or "Chưa có câu trả lời địa phương nào.",
                    json_data=lambda: records, tables=[table])  # fmt: skip


def _record(answer: LocalAnswer) -> dict[str, object]:
    return {
        "questions": " | ".join(answer.questions),
        "answer": answer.answer,
        "area": answer.area.code,
        "source": answer.source,
        "valid_until": answer.valid_until.isoformat() if answer.valid_until else "",
        "id": answer.id,
        "status": answer.status,
        "reviewed": local_day(answer.reviewed_at).isoformat(),
    }


def _line(record: dict[str, object]) -> str:
    first = str(record["questions"]).split(" | ")[0]
    return f"#{record['id']} [{record['status']}] {record['area']}: «{first}» – {str(record['answer'])[:60]}"
