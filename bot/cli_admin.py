"""Administration commands of the core: database, areas, roles and invites.

The app (bot.app) and the invites' links and QR codes are imported by the commands that build them: every
`troly` command registers these, and most never need them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.areas import (
    AreaImportError,
    import_areas,
    parse_areas_csv,
    parse_population_csv,
    render_tree,
    require_area,
    set_population,
)
from bot.commands import Commands
from bot.database import open_database
from bot.invites import INVITABLE_ROLES, create_invite, default_team
from bot.settings import Settings
from bot.storage.models import Area, AuditLog, Role, User
from bot.storage.types import utcnow
from bot.vocabulary import ROLE_LABELS, argparse_type, choice_list, role_label

if TYPE_CHECKING:
    from bot.app import Troly

CHANNELS = ("telegram", "zalo", "console")
AREA_ROLES = frozenset({Role.MEMBER, Role.LEADER, Role.OFFICIAL})


def register_cli(commands: Commands) -> None:
    db = commands.group("db", help="Quản lý cơ sở dữ liệu")
    db.add("upgrade", help="Áp dụng các bản nâng cấp cấu trúc dữ liệu (Alembic)", run=run_db_upgrade)
    areas = commands.group("areas", help="Quản lý danh sách khu vực hành chính")
    areas.add(
        "import",
        help="Nhập khu vực từ tệp CSV (code,name,level,parent_code, có thể thêm households,adults; "
        "level: tỉnh, xã/phường, thôn/tổ dân phố)",
        run=run_areas_import,
        configure=lambda p: p.add_argument("file", type=Path, help="đường dẫn tệp CSV"),
    )
    areas.add(
        "population",
        help="Nhập số hộ và số người trưởng thành của các khu vực từ tệp CSV (code,households,adults)",
        run=run_areas_population,
        configure=lambda p: p.add_argument("file", type=Path, help="đường dẫn tệp CSV"),
    )
    areas.add("list", help="Xem cây khu vực", run=run_areas_list)
    users = commands.group("users", help="Quản lý người dùng và vai trò")
    users.add("grant", help="Cấp vai trò cho một người dùng", run=run_users_grant, configure=_configure_grant)
    users.add("list", help="Liệt kê người dùng có vai trò khác người dân", run=run_users_list)
    commands.add(
        "invite",
        help="Tạo mã mời dùng một lần cho thành viên Tổ công nghệ số cộng đồng",
        run=run_invite,
        configure=_configure_invite,
    )


def run_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    database = open_database(settings, migrate=False)
    before = database.current_revisions()
    database.upgrade()
    after = database.current_revisions()
    database.dispose()
    if before == after:
        print(f"Cơ sở dữ liệu đã ở phiên bản mới nhất, không có gì để nâng cấp: {', '.join(sorted(after))}")
    elif not before:
        print(f"Đã tạo cơ sở dữ liệu mới ở phiên bản: {', '.join(sorted(after))}")
    else:
        print(f"Đã nâng cấp cơ sở dữ liệu từ {', '.join(sorted(before))} lên {', '.join(sorted(after))}")
    return 0


def run_areas_import(settings: Settings, args: argparse.Namespace) -> int:
    def apply(text: str) -> str:
        rows = parse_areas_csv(text)
        with open_database(settings).transaction() as session:
            created, updated = import_areas(session, rows)
        return f"Đã nhập {created} khu vực mới, cập nhật {updated} khu vực."

    return _import_csv(args.file, apply)


def run_areas_population(settings: Settings, args: argparse.Namespace) -> int:
    def apply(text: str) -> str:
        rows = parse_population_csv(text)
        with open_database(settings).transaction() as session:
            count = set_population(session, rows)
        return f"Đã cập nhật số dân của {count} khu vực."

    return _import_csv(args.file, apply)


def _import_csv(path: Path, apply: Callable[[str], str]) -> int:
    """Read the file and apply it whole (one transaction), or say in Vietnamese why nothing was imported."""
    try:
        done = apply(path.read_text(encoding="utf-8"))
    except OSError as error:
        print(f"Không đọc được tệp {path}: {error.strerror}")
        return 1
    except (AreaImportError, UnicodeDecodeError) as error:
        print(f"Không nhập gì cả, vì tệp có lỗi:\n{error}")
        return 1
    print(done)
    return 0


def run_areas_list(settings: Settings, _args: argparse.Namespace) -> int:
    with open_database(settings).transaction() as session:
        tree = render_tree(session.scalars(select(Area)))
    print(tree or "Chưa có khu vực nào. Dùng: troly areas import TỆP.csv")
    return 0


def _configure_grant(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--channel", required=True, choices=CHANNELS, help="kênh của người dùng: " + ", ".join(CHANNELS)
    )
    parser.add_argument("--user-id", required=True, help="mã người dùng trên kênh (chuỗi; xem: troly users list)")
    parser.add_argument(
        "--role",
        required=True,
        type=argparse_type(Role, ROLE_LABELS, "vai trò"),
        metavar="VAI_TRÒ",
        help=f"vai trò, tiếng Việt hoặc tiếng Anh: {choice_list(Role, ROLE_LABELS)}",
    )
    parser.add_argument("--area", help="mã khu vực phụ trách (bắt buộc với thành viên, tổ trưởng, cán bộ)")


def run_users_grant(settings: Settings, args: argparse.Namespace) -> int:
    role = Role(args.role)  # the parser gives a Role; a caller in code may give its value
    if role in AREA_ROLES and not args.area:
        print(f"Vai trò {role_label(role)} cần --area (mã khu vực).")
        return 1
    from bot.app import create_app

    troly = create_app(settings)  # the plugins' MEMBERSHIP_CHANGED hooks run in the same transaction
    try:
        return _grant(troly, args, role)
    finally:
        troly.close()


def _grant(troly: Troly, args: argparse.Namespace, role: Role) -> int:
    from bot.extensions import MEMBERSHIP_CHANGED

    with troly.database.transaction() as session:
        area = require_area(session, args.area) if args.area else None
        user = session.scalar(select(User).where(User.channel == args.channel, User.channel_user_id == args.user_id))
        if user is None:
            user = User(channel=args.channel, channel_user_id=args.user_id, created_at=utcnow())
            session.add(user)
        user.role, user.area_id = role, (area.id if area else user.area_id)
        if area is not None and role in {Role.MEMBER, Role.LEADER}:
            user.team_id = default_team(session, area).id
        session.flush()
        session.add(
            AuditLog(
                at=utcnow(),
                actor_label="cli",
                action="role.grant",
                target=f"user:{user.id}",
                details={"role": role.value, "area": args.area},
            )
        )
        for changed in troly.extensions[MEMBERSHIP_CHANGED]:
            changed(session, user, troly.clock.now())
    print(f"Đã cấp vai trò {role_label(role)} cho {args.channel}:{args.user_id}.")
    return 0


def run_users_list(settings: Settings, _args: argparse.Namespace) -> int:
    with open_database(settings).transaction() as session:
        users = session.scalars(select(User).where(User.role != Role.CITIZEN).order_by(User.role, User.id))
        lines = [
            f"{role_label(u.role):13} {u.channel}:{u.channel_user_id}  {u.display_name or '-'}  "
            f"{u.area.code if u.area else '-'}"
            for u in users
        ]
    print("\n".join(lines) or "Chưa có ai ngoài người dân.")
    return 0


def _configure_invite(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--role",
        default=Role.MEMBER,
        type=argparse_type(INVITABLE_ROLES, ROLE_LABELS, "vai trò"),
        metavar="VAI_TRÒ",
        help=f"vai trò của người được mời (mặc định thành viên): {choice_list(INVITABLE_ROLES, ROLE_LABELS)}",
    )
    parser.add_argument("--area", required=True, help="mã khu vực của tổ")
    parser.add_argument("--team", help="tên tổ (mặc định: Tổ công nghệ số cộng đồng + tên khu vực)")
    parser.add_argument("--hours", type=int, help="thời hạn của mã, tính bằng giờ (mặc định 72)")
    parser.add_argument(
        "--qr", type=Path, metavar="TỆP", help="nơi lưu ảnh mã QR (PNG; mặc định: thư mục dữ liệu/invites/MÃ.png)"
    )


def run_invite(settings: Settings, args: argparse.Namespace) -> int:
    """Create the invite, then print how to join (the command, each channel's link), save its QR code, and
    end with the code alone on the last line (scripts read it)."""
    hours = args.hours or settings.invite_valid_hours
    if hours < 1:
        print("--hours phải là số giờ dương.")
        return 1
    from bot.app import create_app
    from bot.onboarding import invite_lines, invite_links, qr_content

    role = Role(args.role)  # the parser gives a Role; a caller in code may give its value
    troly = create_app(settings)
    try:
        with troly.database.transaction() as session:
            area = require_area(session, args.area)
            team = default_team(session, area, args.team)
            invite = create_invite(session, role=role, area=area, team=team, now=utcnow(), hours=hours)
            session.add(
                AuditLog(
                    at=utcnow(),
                    actor_label="cli",
                    action="invite.create",
                    target=f"team:{team.id}",
                    details={"role": role.value, "area": area.code, "hours": hours},
                )
            )
            code, team_name, area_code = invite.code, team.name, area.code
        links = invite_links(troly, code, fetch=True)
    finally:
        troly.close()
    print(f"Mã mời cho {team_name} ({area_code}), vai trò {role_label(role)}, dùng một lần, hết hạn sau {hours} giờ.")
    print("\n".join(invite_lines(code, links)))
    _save_qr(args.qr or settings.data_dir / "invites" / f"{code}.png", qr_content(code, links))
    print(code)
    return 0


def _save_qr(path: Path, content: str) -> None:
    from bot.onboarding import qr_png

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(qr_png(content))
    except OSError as error:
        print(f"Không lưu được ảnh mã QR vào {path}: {error.strerror}")
        return
    print(f"Ảnh mã QR (mở bằng camera điện thoại): {path}")
