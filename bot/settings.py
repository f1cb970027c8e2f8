"""Configuration, read once at start-up from `TROLY_*` environment variables and an optional `troly.toml`.

Everything configurable lives in one validated object that is passed to whoever needs it, so a bad value is
reported at start-up, naming the variable, instead of surfacing later as an odd failure.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError
from rapidfuzz import fuzz, process
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import OperatorError

ENV_PREFIX = "TROLY_"
ADMIN_CHAT = re.compile(r"([a-z][a-z0-9_]{0,15}):([^\s:,]{1,64})")
TEST_PREFIX = "TROLY_TEST_"  # the test suite's own variables (tests/conftest.py), not troly's
TOML_FILE = Path("troly.toml")
DATABASE_BACKENDS = ("sqlite", "postgresql")

DEFAULT_PLUGINS: tuple[str, ...] = (
    "handlers.basic",
    "handlers.membership",
    "handlers.visits",
    "handlers.announcements",
    "handlers.helpdesk",
    "handlers.follow",
    "handlers.dashboard",
    "handlers.feedback",
    "handlers.questions",
    "adapters.console",
    "adapters.telegram",
    "adapters.zalo",
)


class SettingsError(OperatorError):
    """Raised with a Vietnamese message naming the variable or key when the configuration is invalid."""


class Settings(BaseSettings):
    """All of troly's configuration. Field `x` is read from `TROLY_X` (or key `x` in troly.toml)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        toml_file="troly.toml",
        extra="ignore",
        frozen=True,
    )

    data_dir: Path = Path("var")
    database_url: str = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # Log records go to this file (default <data_dir>/troly.log; "-": none) and, from `serve`/`deliver`, to stderr;
    # other commands show only warnings on stderr, so a chat is not interleaved with log lines (bot.logs).
    log_file: str = ""
    log_format: Literal["text", "json"] = "text"
    plugins: Annotated[tuple[str, ...], NoDecode] = DEFAULT_PLUGINS

    dialog_timeout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    embedding_model: str = "none"  # dense arm: "none", "minilm" (bundled), "troly" (fine-tuned), a name or a path
    max_message_chars: int = Field(default=2000, ge=100, le=100_000)
    invite_valid_hours: int = Field(default=72, ge=1, le=24 * 90)
    # Per-user inbound limit (bot.floodgate): a burst of `user_burst` messages, then this many a minute.
    user_burst: int = Field(default=20, ge=1, le=1000)
    user_messages_per_minute: float = Field(default=60.0, gt=0, le=6000)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str = ""
    # `troly serve`: processes that run the core beside the web server (bot.workers); 0 runs it in a thread
    # of the server (less memory, about half the throughput). On the 2-core reference machine 1 measured best.
    core_workers: int = Field(default=1, ge=0, le=32)
    # `/healthz` and `/readyz` report failure when the data directory has less free space than this.
    min_free_disk_mb: int = Field(default=64, ge=0)
    # The web console (handlers.dashboard): a session ends after this long without a request.
    web_idle_minutes: int = Field(default=30, ge=5, le=24 * 60)

    telegram_token: SecretStr = SecretStr("")
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: SecretStr = SecretStr("")
    telegram_rate: float = Field(default=25.0, gt=0)

    zalo_app_id: str = ""
    zalo_app_secret: SecretStr = SecretStr("")
    zalo_oa_secret_key: SecretStr = SecretStr("")
    zalo_access_token: SecretStr = SecretStr("")
    zalo_refresh_token: SecretStr = SecretStr("")
    zalo_api_url: str = "https://openapi.zalo.me"
    zalo_oauth_url: str = "https://oauth.zaloapp.com"
    zalo_rate: float = Field(default=10.0, gt=0)
    # Zalo webhook watch (adapters/zalo): alert when no event came for this long while the OA has followers,
    # and when this many requests with a wrong signature came within 10 minutes.
    zalo_silence_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    zalo_refused_signatures: int = Field(default=20, ge=1, le=100_000)
    # After an OA admin replied from Zalo's own console, the bot holds back its replies to that user's free
    # text for this long, so it does not talk over a person (0: never hold back).
    zalo_admin_quiet_minutes: int = Field(default=30, ge=0, le=24 * 60)

    # Operators (bot/alerts.py): `channel:id` pairs that receive operational alerts, and how long an alert
    # stays quiet after it was sent (it is still counted in the audit log).
    admin_chats: Annotated[tuple[str, ...], NoDecode] = ()
    alert_repeat_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)

    # Announcement delivery (handlers.announcements): sends kept in flight per channel, how long a silent
    # worker keeps its claimed rows, retries of transient errors, and how often an idle worker looks again.
    delivery_concurrency: int = Field(default=16, ge=1, le=1000)
    delivery_lease_seconds: float = Field(default=30.0, gt=0)
    delivery_max_attempts: int = Field(default=6, ge=1, le=100)
    delivery_poll_seconds: float = Field(default=1.0, gt=0, le=60)

    # Retention (bot.jobs: the daily "retention" job of `troly serve` and `troly prune`). Message ids must outlive
    # the channels' redelivery (Telegram keeps an update for up to 24 h); finished push messages hold personal text.
    processed_retention_days: int = Field(default=7, ge=2, le=3650)
    push_retention_days: int = Field(default=30, ge=1, le=3650)
    # handlers.feedback: how long logged questions (masked, pseudonymised) and their ratings are kept.
    question_log_retention_days: int = Field(default=180, ge=1, le=3650)
    # Key of the pseudonyms in the question log (a keyed hash of the user); empty: a random key generated once
    # in the data directory (`pseudonym.key`). Set it when several hosts share one PostgreSQL database.
    pseudonym_key: SecretStr = SecretStr("")
    # `troly serve`: how often due jobs are looked for, and how often the push outbox is polled.
    jobs_tick_seconds: float = Field(default=30.0, gt=0, le=3600)
    push_poll_seconds: float = Field(default=0.5, gt=0, le=60)

    # Help desk (handlers.helpdesk): a request nobody takes within `helpdesk_escalate_hours` working hours goes
    # to the team leaders, as long again to the area's officials; working hours are counted between the two
    # hours below, local time. Phone numbers are erased `helpdesk_phone_days` after the request closes.
    helpdesk_timezone: str = "Asia/Ho_Chi_Minh"
    helpdesk_escalate_hours: float = Field(default=4.0, gt=0, le=24 * 14)
    helpdesk_work_start_hour: int = Field(default=7, ge=0, le=23)
    helpdesk_work_end_hour: int = Field(default=21, ge=1, le=24)
    helpdesk_digest_hour: int = Field(default=7, ge=0, le=23)
    helpdesk_phone_days: int = Field(default=30, ge=1, le=3650)
    helpdesk_reopen_days: int = Field(default=3, ge=1, le=90)
    helpdesk_max_open: int = Field(default=3, ge=1, le=50)

    @field_validator("helpdesk_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"múi giờ không tồn tại: {value}") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_log_format(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        """A URL SQLAlchemy can parse, for a database troly supports: caught here, not at the first query."""
        if not value:
            return value
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise ValueError(
                "không phải địa chỉ cơ sở dữ liệu; ví dụ postgresql://troly:MẬT_KHẨU@127.0.0.1/troly, "
                "hoặc để trống để dùng SQLite trong thư mục dữ liệu"
            ) from None
        if backend not in DATABASE_BACKENDS:
            raise ValueError(f"troly dùng SQLite hoặc PostgreSQL, không dùng «{backend}»")
        return value

    @field_validator("plugins", mode="before")
    @classmethod
    def _split_plugins(cls, value: Any) -> Any:
        """Accept `TROLY_PLUGINS=a,b,c` as well as a JSON list."""
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("admin_chats", mode="before")
    @classmethod
    def _split_admin_chats(cls, value: Any) -> Any:
        """`TROLY_ADMIN_CHATS=telegram:123,zalo:456`; each must be `channel:id`."""
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        for item in value or ():
            if not isinstance(item, str) or not ADMIN_CHAT.fullmatch(item.strip()):
                raise ValueError(f"«{item}» không có dạng kênh:mã (ví dụ telegram:123456789)")
        return value

    @property
    def resolved_log_file(self) -> Path | None:
        if self.log_file == "-":
            return None
        return Path(self.log_file) if self.log_file else self.data_dir / "troly.log"

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'troly.db').resolve()}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment variables win over troly.toml, which wins over the defaults."""
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the configuration; every problem becomes one clear Vietnamese message.

    A key of troly.toml or a TROLY_* variable that is not a setting is refused (with the closest name): a
    misspelt token name would otherwise silently switch a channel off.
    """
    environ = os.environ
    from_file = read_toml(TOML_FILE)
    refuse_unknown(from_file, environ)
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(_describe(error, environ)) from None
    except SourceError as error:
        raise SettingsError(f"Cấu hình không đọc được: {error}. Hãy sửa tệp {TOML_FILE} hoặc biến TROLY_*.") from None


def read_toml(path: Path) -> dict[str, Any]:
    """The file's keys and values ({} without a file); a syntax error names the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"Không đọc được tệp cấu hình {path.resolve()}: {error}.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(
            f"Tệp cấu hình {path.resolve()} sai cú pháp TOML ({error}).\n"
            'Mỗi dòng có dạng khoa = "giá trị" (chuỗi trong ngoặc kép, số để nguyên); hãy sửa rồi chạy lại.'
        ) from None


def refuse_unknown(from_file: Mapping[str, Any], environ: Mapping[str, str]) -> None:
    known = list(Settings.model_fields)
    problems = []
    for key in from_file:
        if key not in known:
            problems.append(f"Tệp {TOML_FILE}: khóa «{key}» không phải một thiết lập của troly.{_suggest(key, known)}")
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name.startswith(TEST_PREFIX):
            continue
        field = name[len(ENV_PREFIX) :].lower()
        if field not in known:
            suggestion = _suggest(field, known, prefix=ENV_PREFIX, upper=True)
            problems.append(f"Biến môi trường {name} không phải một thiết lập của troly.{suggestion}")
    if problems:
        problems.append("Hãy sửa tên cho đúng hoặc bỏ đi (danh sách thiết lập: README.md, mục Cấu hình).")
        raise SettingsError("\n".join(problems))


def _suggest(name: str, known: Iterable[str], *, prefix: str = "", upper: bool = False) -> str:
    found = process.extractOne(name.lower(), list(known), scorer=fuzz.ratio, score_cutoff=70)
    if found is None:
        return ""
    best = f"{prefix}{found[0].upper() if upper else found[0]}"
    return f" Có phải ý bạn là {best}?"


# Values never repeated in a message: they may hold a password or a token.
HIDDEN_VALUES = frozenset(
    {"database_url", "telegram_token", "telegram_webhook_secret", "zalo_app_secret", "zalo_oa_secret_key"}
    | {"zalo_access_token", "zalo_refresh_token"}
)

VALIDATION_MESSAGES = {
    "int_parsing": "cần một số nguyên",
    "int_from_float": "cần một số nguyên",
    "float_parsing": "cần một số",
    "bool_parsing": "cần true hoặc false",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "greater_than": "phải lớn hơn {gt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "less_than": "phải nhỏ hơn {lt}",
    "literal_error": "phải là một trong: {expected}",
    "string_type": "cần một chuỗi ký tự",
    "json_invalid": "không phải JSON hợp lệ",
    "value_error": "{error}",
}


def _describe(error: ValidationError, environ: Mapping[str, str]) -> str:
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"])
        variable = f"{ENV_PREFIX}{field.upper()}"
        where = variable if variable in environ else f"{variable} (khóa {field} trong {TOML_FILE})"
        template = VALIDATION_MESSAGES.get(problem["type"])
        reason = template.format(**problem.get("ctx", {})) if template else problem["msg"]
        reason = reason.replace("' or '", "' hoặc '")
        shown = "" if field in HIDDEN_VALUES else f" = «{problem.get('input')}»"
        lines.append(f"{where}{shown} không hợp lệ: {reason}.")
    lines.append("Hãy sửa giá trị này (biến môi trường hoặc tệp troly.toml) rồi chạy lại; xem README.md, mục Cấu hình.")
    return "\n".join(lines)
