"""PTB's networking on aiohttp instead of httpx.

PTB lets a bot bring its own HTTP client (telegram.request.BaseRequest). Measured on this project's 2-core
machine against the fake Bot API, a sendMessage through PTB's default httpx backend cost about 5 ms of CPU
and about 0.6 ms through aiohttp, which the server already runs on; at hundreds of replies a second that
is the difference between keeping up and not. The session is created lazily inside the running loop.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram._utils.types import JSONDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from adapters.telegram.unparseable import UnparseableUpdates

JSON_TYPE = "application/json"


class AiohttpRequest(BaseRequest):
    """A BaseRequest on one aiohttp ClientSession with at most `pool_size` connections."""

    def __init__(
        self,
        *,
        pool_size: int = 16,
        read_timeout: float = 15.0,
        connect_timeout: float = 10.0,
        pool_timeout: float = 10.0,
    ) -> None:
        self._pool_size = pool_size
        self._timeouts = {"sock_read": read_timeout, "sock_connect": connect_timeout, "connect": pool_timeout}
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["sock_read"]

    async def initialize(self) -> None:
        """Nothing to do: the session is made on first use, so an unused request never holds one open."""

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,  # float | None, or PTB's "not given" sentinel
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """POST the parameters (form-encoded, multipart when a file goes along); map failures to PTB's errors."""
        session = self._ensure_session()
        given = {"sock_read": read_timeout, "sock_connect": connect_timeout, "connect": pool_timeout}
        limits = {
            key: self._timeouts[key] if value is BaseRequest.DEFAULT_NONE else value for key, value in given.items()
        }
        timeout = aiohttp.ClientTimeout(total=None, **limits)
        try:
            data, headers = _body(request_data)
            headers["User-Agent"] = self.USER_AGENT
            async with session.request(method, url, data=data, timeout=timeout, headers=headers) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut(f"Telegram did not answer in time ({type(error).__name__})") from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session


def _body(request_data: RequestData | None) -> tuple[aiohttp.FormData | bytes | None, dict[str, str]]:
    """A JSON body (the Bot API takes one; cheaper than percent-encoding a form), multipart with files."""
    if request_data is None:
        return None, {}
    if not request_data.contains_files:
        return json.dumps(request_data.parameters).encode(), {"Content-Type": JSON_TYPE}
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, {}


class UpdatesRequest(AiohttpRequest):
    """The getUpdates client of polling mode: updates PTB cannot parse are replaced by their bare id.

    PTB parses a getUpdates batch as a whole: one update it refuses (a poll without `persistent_id` since Bot
    API 9.6) fails the batch, and its Updater asks for the same batch again, forever. Here each update is
    checked first; an unreadable one is logged once per kind and reduced to `{"update_id": n}`, which PTB
    reads, no handler matches, and the offset moves past (adapters/telegram/unparseable.py).
    """

    def __init__(self, unparseable: UnparseableUpdates, **options: Any) -> None:
        super().__init__(**options)
        self.unparseable = unparseable

    def parse_json_payload(self, payload: bytes) -> JSONDict:  # type: ignore[override]  # PTB calls it on self
        data = super().parse_json_payload(payload)
        result = data.get("result")
        if isinstance(result, list):
            data["result"] = self.unparseable.readable(result)
        return data
