"""Problems an operator fixes, told in one or two Vietnamese lines instead of a traceback.

A wrong setting, an unreachable database or an unwritable data directory is not a bug: the person who
installed troly needs to know which variable or file is wrong and what to do, and nothing else. Code that
meets such a problem raises `OperatorError` with that message; `describe` also recognises the usual
third-party exceptions (SQLAlchemy's, the operating system's) so that the CLI can print the message and exit
with code 2, leaving the traceback to the log at DEBUG.
"""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

EXIT_CODE = 2  # what argparse uses for a usage error: "the command was given something it cannot use"

READ_ONLY_MARKERS = ("readonly database", "read-only transaction", "read only transaction", "permission denied")


class OperatorError(Exception):
    """A configuration or environment problem, with a Vietnamese message that names what to fix."""


def describe(error: BaseException) -> str | None:
    """The operator's message for an exception, or None when it is not an operator's problem (a bug)."""
    if isinstance(error, OperatorError):
        return str(error)
    if isinstance(error, ArgumentError | NoSuchModuleError):
        return (
            f"TROLY_DATABASE_URL không dùng được ({error}). Hãy ghi dạng "
            "postgresql://NGƯỜI_DÙNG:MẬT_KHẨU@MÁY/TÊN_CSDL, hoặc bỏ trống để dùng SQLite trong thư mục dữ liệu."
        )
    if isinstance(error, DBAPIError) and is_read_only(error):
        return read_only_message()
    if isinstance(error, PermissionError | IsADirectoryError | NotADirectoryError) or (
        isinstance(error, OSError) and error.errno in {errno.EROFS, errno.ENOSPC, errno.EACCES, errno.EPERM}
    ):
        where = f" {error.filename}" if error.filename else ""
        return (
            f"Không ghi được vào{where}: {os_reason(error)}. Hãy kiểm tra TROLY_DATA_DIR (thư mục dữ liệu): thư mục "
            "phải tồn tại hoặc tạo được, và người dùng chạy troly phải có quyền ghi vào đó."
        )
    return None


def is_read_only(error: DBAPIError) -> bool:
    text = str(error.orig).lower()
    return any(marker in text for marker in READ_ONLY_MARKERS)


def read_only_message() -> str:
    return (
        "Cơ sở dữ liệu chỉ cho đọc, troly không ghi được (TROLY_DATABASE_URL). Hãy cấp quyền ghi cho tệp SQLite "
        "và thư mục chứa nó, hoặc cho người dùng PostgreSQL (và tắt default_transaction_read_only), rồi chạy lại."
    )


def outdated_schema_message() -> str:
    """For a command that read without migrating (bot.database) and met a table or column not created yet."""
    return (
        "Cấu trúc cơ sở dữ liệu cũ hơn phiên bản troly đang chạy (chưa nâng cấp sau khi cập nhật troly). "
        "Hãy chạy: troly db upgrade, rồi chạy lại lệnh này."
    )


def unreachable_message(url: str, error: BaseException) -> str:
    """For a database that refuses or never answers the connection: where we tried, and what to check."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return (
            f"Không mở được tệp cơ sở dữ liệu SQLite {parsed.database} (TROLY_DATABASE_URL / TROLY_DATA_DIR): "
            f"{_first_line(error)}. Hãy kiểm tra đường dẫn và quyền ghi vào thư mục chứa tệp."
        )
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
    return (
        f"Không kết nối được PostgreSQL tại {where} (TROLY_DATABASE_URL): {_connection_reason(error)}.\n"
        "Hãy kiểm tra máy chủ PostgreSQL đang chạy, địa chỉ, cổng, tên cơ sở dữ liệu, người dùng và mật khẩu."
    )


def ensure_writable_dir(path: Path, variable: str) -> None:
    """Create the directory and prove it takes files, so the first failure names the variable to fix."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise OperatorError(unwritable_dir_message(path.resolve(), variable, error)) from error


def unwritable_dir_message(path: Path, variable: str, error: OSError) -> str:
    return (
        f"Không ghi được vào thư mục {path} ({variable}): {os_reason(error)}.\nHãy tạo thư mục này và cấp quyền "
        f"ghi cho người dùng chạy troly, hoặc đặt {variable} sang một thư mục khác."
    )


OS_REASONS = {
    errno.EACCES: "không có quyền ghi",
    errno.EPERM: "không được phép ghi",
    errno.EROFS: "hệ thống tệp chỉ cho đọc",
    errno.ENOSPC: "đĩa đã hết chỗ trống",
    errno.ENOTDIR: "một phần của đường dẫn là tệp chứ không phải thư mục",
    errno.EISDIR: "đường dẫn là một thư mục",
    errno.ENOENT: "không có thư mục chứa",
}

# What libpq says (first line), and how an operator would say it.
CONNECTION_REASONS = (
    ("connection refused", "máy chủ từ chối kết nối (chưa chạy, hoặc sai địa chỉ/cổng)"),
    ("timeout", "quá thời gian chờ trả lời (máy chủ không tới được)"),
    ("timed out", "quá thời gian chờ trả lời (máy chủ không tới được)"),
    ("password authentication failed", "sai tên người dùng hoặc mật khẩu"),
    ("no password supplied", "thiếu mật khẩu"),
    ("does not exist", "cơ sở dữ liệu hoặc người dùng chưa được tạo"),
    ("could not translate host name", "không tìm thấy tên máy chủ"),
    ("name or service not known", "không tìm thấy tên máy chủ"),
    ("no route to host", "không có đường tới máy chủ"),
    ("no pg_hba.conf entry", "máy chủ không cho phép kết nối từ máy này (pg_hba.conf)"),
)


def os_reason(error: OSError) -> str:
    return OS_REASONS.get(error.errno or 0, error.strerror or str(error))


def _connection_reason(error: BaseException) -> str:
    """The driver's reason in Vietnamese when it is a usual one, else its own first line."""
    orig = getattr(error, "orig", None) or error
    lines = str(orig).strip().splitlines()
    text = lines[0] if lines else type(orig).__name__
    folded = str(orig).lower()
    return next((reason for marker, reason in CONNECTION_REASONS if marker in folded), text)


def _first_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__
