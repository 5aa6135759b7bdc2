"""Bot Connector calls over aiohttp, on the event loop (issue 7: CPU per turn).

botbuilder's connector client is generated msrest code: it builds the URL, headers and body,
then hands the request to msrest's pipeline, whose sender runs `requests` in a thread pool.
Under load that thread hop and `requests` itself were about a tenth of a turn's CPU. Here the
same client keeps everything msrest does (URLs, headers, the user-agent and logging policies,
the body, error types, response models) and only the last step changes: the request goes out
on one shared `aiohttp.ClientSession`.

- The Authorization header comes from the client's own app credentials through
  `signed_session`, the call msrest's credentials policy makes (no header in local mode).
- A failure to connect or a time-out becomes msrest's `ClientRequestError`, as with requests.
- Non-2xx answers are left to the generated code, which raises `ErrorResponseException` with
  the status and headers (bot/teams.py and bot/notifier.py read them to retry 429/502/...).
"""

from __future__ import annotations

import os
from typing import Any

import aiohttp
import requests
from msrest.exceptions import ClientRequestError  # type: ignore[attr-defined]
from msrest.pipeline import (  # type: ignore[attr-defined]
    AsyncHTTPSender,
    AsyncPipeline,
    Request,
    Response,
    SansIOHTTPPolicy,
)
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http import ClientRequest, HTTPClientResponse
from multidict import CIMultiDict

DEFAULT_TIMEOUT_SECONDS = 100.0  # msrest's own default for a connector call


class SharedSession:
    """One `aiohttp.ClientSession` for every connector client, opened on first use (inside
    the running loop) and closed with the adapter."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # A proxy in the environment is honoured, as requests did. Only then: trusting
            # the environment also makes aiohttp read ~/.netrc in a thread on every request.
            self._session = aiohttp.ClientSession(trust_env=_proxy_configured())
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


def _proxy_configured() -> bool:
    return any(
        os.environ.get(name)
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")
    )


class _Answer(HTTPClientResponse):  # type: ignore[misc]
    """An aiohttp answer, read in full, in the shape msrest's deserializers expect."""

    def __init__(self, request: ClientRequest, raw: aiohttp.ClientResponse, body: bytes) -> None:
        super().__init__(request, raw)  # type: ignore[no-untyped-call]
        self.status_code = raw.status
        self.headers = CIMultiDict(raw.headers)
        self.reason = raw.reason
        self._body = body

    def body(self) -> bytes:
        return self._body


class AiohttpSender(AsyncHTTPSender[ClientRequest, HTTPClientResponse]):  # type: ignore[misc]
    def __init__(self, sessions: SharedSession, timeout_seconds: float) -> None:
        self._sessions = sessions
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def __aenter__(self) -> AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        return None  # the shared session outlives any one pipeline

    async def send(
        self, request: Request[ClientRequest], **config: Any
    ) -> Response[ClientRequest, HTTPClientResponse]:
        http: ClientRequest = request.http_request
        try:
            async with self._sessions.get().request(
                http.method,
                http.url,
                headers=dict(http.headers),
                data=http.data,
                timeout=self._timeout,
            ) as raw:
                body = await raw.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise ClientRequestError("Error occurred in request.", exc) from exc
        return Response(request, _Answer(http, raw, body))


class CredentialsHeader(SansIOHTTPPolicy[ClientRequest, HTTPClientResponse]):  # type: ignore[misc]
    """Sets (or removes) Authorization from the app credentials on every request."""

    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials
        # `signed_session` writes the header into a requests session; this one is never used
        # to send anything.
        self._scratch = requests.Session()

    def on_request(self, request: Request[ClientRequest], **kwargs: Any) -> None:
        headers = self._credentials.signed_session(self._scratch).headers
        authorization = headers.get("Authorization")
        if authorization:
            request.http_request.headers["Authorization"] = authorization
        else:
            request.http_request.headers.pop("Authorization", None)


def send_over_aiohttp(client: Any, sessions: SharedSession) -> bool:
    """Give a botbuilder connector client an aiohttp pipeline; False (client unchanged) when
    it is not the msrest client this expects."""
    config: Any = getattr(client, "config", None)
    if not isinstance(getattr(config, "pipeline", None), AsyncPipeline) or not hasattr(
        config, "credentials"
    ):
        return False
    policies: list[Any] = [config.user_agent_policy]
    if config.credentials is not None:
        policies.append(CredentialsHeader(config.credentials))
    policies += [RawDeserializer(), config.http_logger_policy]
    timeout = getattr(getattr(config, "connection", None), "timeout", None)
    config.pipeline = AsyncPipeline(
        policies, AiohttpSender(sessions, float(timeout or DEFAULT_TIMEOUT_SECONDS))
    )
    return True
