"""The HTTP calls to Zalo, and nothing else: send a message (to a user, or to an anonymous user), upload an
image, read a user's profile and last interaction, read the OA's own information, refresh the token pair.

Each call returns Zalo's `error` code and message (None when the call itself failed: network, HTTP status,
not JSON) and leaves deciding what it means to `errors.classify` and the sender.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from adapters.zalo.tokens import RefreshFailed, TokenPair, parse_token_answer

SEND_PATH = "/v3.0/oa/message/cs"
ANONYMOUS_SEND_PATH = "/v2.0/oa/message"  # recipient {anonymous_id, conversation_id}
UPLOAD_IMAGE_PATH = "/v2.0/oa/upload/image"
USER_DETAIL_PATH = "/v3.0/oa/user/detail"
USER_QUOTA_PATH = "/v3.0/oa/quota/message"  # {"user_id"} → last_interaction (ms) and the user's quotas
OA_INFO_PATH = "/v2.0/oa/getoa"
OAUTH_PATH = "/v4/oa/access_token"
TIMEOUT = aiohttp.ClientTimeout(total=20, connect=5)

Answer = tuple[int | None, str, dict[str, Any]]  # (error code, message, data)


class ZaloApi:
    """One aiohttp session for every call to Zalo, created on first use inside the running loop."""

    def __init__(self, api_url: str, oauth_url: str, app_id: str, app_secret: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.oauth_url = oauth_url.rstrip("/")
        self.app_id = app_id
        self._app_secret = app_secret
        self._http: aiohttp.ClientSession | None = None

    async def send_message(self, token: str, body: dict[str, Any]) -> Answer:
        return await self._call(SEND_PATH, token, json=body)

    async def send_anonymous(
        self, token: str, anonymous_id: str, conversation_id: str, message: dict[str, Any]
    ) -> Answer:
        recipient = {"anonymous_id": anonymous_id, "conversation_id": conversation_id}
        return await self._call(ANONYMOUS_SEND_PATH, token, json={"recipient": recipient, "message": message})

    async def user_detail(self, token: str, user_id: str) -> Answer:
        """GET with the parameters as one JSON `data` query parameter, as Zalo's GET endpoints take them."""
        return await self._call(
            USER_DETAIL_PATH, token, method="GET", params={"data": json.dumps({"user_id": user_id})}
        )

    async def user_quota(self, token: str, user_id: str) -> Answer:
        return await self._call(USER_QUOTA_PATH, token, json={"user_id": user_id})

    async def oa_info(self, token: str) -> Answer:
        return await self._call(OA_INFO_PATH, token, method="GET")

    async def upload_image(self, token: str, png: bytes) -> Answer:
        form = aiohttp.FormData()
        form.add_field("file", png, filename="image.png", content_type="image/png")
        return await self._call(UPLOAD_IMAGE_PATH, token, data=form)

    async def exchange(self, refresh_token: str) -> TokenPair:
        """Trade the (single-use) refresh token for a new pair."""
        form = {"app_id": self.app_id, "grant_type": "refresh_token", "refresh_token": refresh_token}
        try:
            async with self._session().post(
                self.oauth_url + OAUTH_PATH, data=form, headers={"secret_key": self._app_secret}
            ) as response:
                if response.status != 200:
                    raise RefreshFailed(f"HTTP {response.status} from Zalo OAuth")
                return parse_token_answer(await response.json(content_type=None))
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise RefreshFailed(f"Zalo OAuth unreachable: {type(error).__name__}: {error}") from error

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _call(self, path: str, token: str, *, method: str = "POST", **request: Any) -> Answer:
        url, headers = self.api_url + path, {"access_token": token}
        try:
            async with self._session().request(method, url, headers=headers, **request) as answer:
                if answer.status != 200:
                    return None, f"HTTP {answer.status} from Zalo", {}
                data = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            return None, f"Zalo unreachable: {type(error).__name__}: {error}", {}
        if not isinstance(data, dict):
            return None, "Zalo answered something that is not a JSON object", {}
        try:
            code = int(data.get("error", 0))
        except (TypeError, ValueError):
            return None, f"unexpected error field {data.get('error')!r}", {}
        payload = data.get("data")
        return code, str(data.get("message", ""))[:200], payload if isinstance(payload, dict) else {}

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._http
