"""The Bot Framework adapter, built from settings.

botbuilder 4.17 builds a connector client and a user-token client for every turn (msrest's
retry policy makes each cost milliseconds of CPU); `ReusingAuthentication` keeps one connector
client per (service URL, audience, app id) and one user-token client per app id instead, each
made cheaper by bot/msrest_fast.py. Token checks run on their own thread (`TokenCheckThread`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import requests
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)

from bot import msrest_fast
from bot.msrest_fast import SharedSession, speed_up
from bot.sender import PacedCloudAdapter, SendPolicy, say
from inspection.errors import ConfigurationError, Unavailable
from settings import Settings

log = logging.getLogger("bot.adapter")
T = TypeVar("T")


class _Config:
    """The attribute names botbuilder's configuration objects expect."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.microsoft_app_id
        self.APP_PASSWORD = settings.microsoft_app_password
        self.APP_TENANTID = settings.microsoft_app_tenant_id
        self.APP_TYPE = settings.microsoft_app_type


class _ReusingConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    def __init__(
        self,
        inner: ConnectorFactory,
        cache: dict[tuple[str, ...], Any],
        key: str,
        sessions: SharedSession,
    ):
        self._inner = inner
        self._cache = cache
        self._key = key
        self._sessions = sessions

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        cache_key = (self._key, service_url, audience or "")
        client = self._cache.get(cache_key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            speed_up(client, self._sessions)
            self._cache[cache_key] = client
        return client


class KeysUnavailable(Unavailable):
    """The Bot Framework's signing keys cannot be had just now (the request gets a 503)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "the Bot Framework's signing keys cannot be fetched just now; try again shortly"
        )
        self.retry_after = retry_after


class TokenCheckThread:
    """botframework-connector fetches the signing keys with the blocking `requests` library,
    without a timeout, from inside `authenticate_request`, and does not remember a failed
    fetch. So token checks run here, on one thread with its own event loop: a slow or
    unreachable key endpoint then holds up token checks only, never the server (health
    checks, other turns). A check that cannot finish within `wait_seconds`, or whose key
    fetch fails, is answered 503 with Retry-After; while one check is stuck, the others are
    answered so at once instead of queueing behind it."""

    def __init__(self, wait_seconds: float = 5.0, retry_after: int = 30) -> None:
        self.wait_seconds = wait_seconds
        self.retry_after = retry_after
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._busy_since: float | None = None
        self._start_lock = threading.Lock()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="bot-token-checks", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def run(self, check: Callable[[], Awaitable[T]]) -> T:
        busy = self._busy_since
        if busy is not None and time.monotonic() - busy > self.wait_seconds:
            raise KeysUnavailable(self.retry_after)

        async def timed() -> T:
            self._busy_since = time.monotonic()
            try:
                return await check()
            finally:
                self._busy_since = None

        future = asyncio.run_coroutine_threadsafe(timed(), self._running_loop())
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.wait_seconds)
        except TimeoutError:
            future.cancel()
            log.warning("Bot Framework token check timed out (signing keys not fetched)")
            raise KeysUnavailable(self.retry_after) from None
        except requests.RequestException as exc:
            log.warning("Bot Framework signing keys not fetched: %s", type(exc).__name__)
            raise KeysUnavailable(self.retry_after) from exc

    def close(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            if not thread.is_alive():  # else a key fetch still hangs; the daemon thread goes
                loop.close()


class ReusingAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """Delegates authentication (token checks on `TokenCheckThread`); caches the clients it
    creates."""

    def __init__(
        self, inner: BotFrameworkAuthentication, checks: TokenCheckThread | None = None
    ) -> None:
        self._inner = inner
        self._checks = checks or TokenCheckThread()
        self._connectors: dict[tuple[str, ...], Any] = {}
        self._token_clients: dict[str, UserTokenClient] = {}
        self._sessions = SharedSession()

    @staticmethod
    def _app_key(identity: ClaimsIdentity | None) -> str:
        claims = getattr(identity, "claims", None) or {}
        return str(claims.get("aud") or claims.get("appid") or "")

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        if auth_header:
            # A token to check, so possibly keys to fetch: off the event loop.
            result = await self._checks.run(
                lambda: refuse_bad_tokens(self._inner.authenticate_request(activity, auth_header))
            )
        else:  # nothing to fetch: anonymous in local mode, refused at once otherwise
            result = await refuse_bad_tokens(
                self._inner.authenticate_request(activity, auth_header)
            )
        if result.connector_factory is not None:
            result.connector_factory = _ReusingConnectorFactory(
                result.connector_factory,
                self._connectors,
                f"{self._app_key(result.claims_identity)}|{result.audience or ''}",
                self._sessions,
            )
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _ReusingConnectorFactory(
            self._inner.create_connector_factory(claims_identity),
            self._connectors,
            f"{self._app_key(claims_identity)}|proactive",
            self._sessions,
        )

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        key = self._app_key(claims_identity)
        client = self._token_clients.get(key)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._token_clients[key] = client
        return client

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)

    async def close(self) -> None:
        for client in self._connectors.values():
            closer = getattr(client, "close", None)
            if closer is not None:
                try:
                    await closer()
                except Exception:  # closing at shutdown: nothing useful to do with an error
                    log.debug("connector client did not close cleanly", exc_info=True)
        self._connectors.clear()
        await self._sessions.close()
        self._checks.close()


def check_bot_settings(settings: Settings) -> None:
    """Refuse Bot Framework settings that cannot work, naming what to set."""
    kind = settings.microsoft_app_type
    if settings.local_mode:
        if settings.microsoft_app_password:
            raise ConfigurationError(
                "MicrosoftAppPassword is set but MicrosoftAppId is empty; set both (or neither, "
                "for local mode)"
            )
        return
    if kind in ("SingleTenant", "UserAssignedMSI") and not settings.microsoft_app_tenant_id:
        raise ConfigurationError(f"MicrosoftAppType {kind} needs MicrosoftAppTenantId")
    if kind != "UserAssignedMSI" and not settings.microsoft_app_password:
        raise ConfigurationError(
            f"MicrosoftAppId is set, so MicrosoftAppPassword is needed too ({kind} bots sign "
            "their replies with it)"
        )


def build_adapter(
    settings: Settings, policy: SendPolicy | None = None
) -> tuple[PacedCloudAdapter, ReusingAuthentication]:
    """The adapter every turn and every send runs through (sends under `policy`)."""
    check_bot_settings(settings)
    msrest_fast.enabled()  # the self-check, at start-up: one warning if it falls back
    if settings.local_mode:
        log.warning(
            "LOCAL MODE: MicrosoftAppId is empty, so requests to /api/messages are NOT "
            "authenticated. Use this only on your own machine or with the Teams emulator; set "
            "MicrosoftAppId and MicrosoftAppPassword to run for real."
        )
    authentication = ReusingAuthentication(
        ConfigurationBotFrameworkAuthentication(_Config(settings)),
        TokenCheckThread(wait_seconds=settings.bot_token_check_seconds),
    )
    adapter = PacedCloudAdapter(authentication, policy or SendPolicy())

    async def on_error(context: TurnContext, error: Exception) -> None:
        # Handlers already turn user mistakes into replies; this is for everything else.
        log.error("unhandled error in a turn", exc_info=error)
        if context.activity is not None and context.activity.type == ActivityTypes.message:
            try:
                await say(
                    context,
                    "Sorry, something went wrong on my side. Try again in a minute; if it keeps "
                    "happening, tell your administrator.",
                )
            except Exception:  # the connector itself may be what failed
                log.warning("could not send the apology", exc_info=True)

    adapter.on_turn_error = on_error
    return adapter, authentication


# --- Bad tokens are a 401, not a 500 -----------------------------------------------
async def refuse_bad_tokens(authenticating: Awaitable[T]) -> T:
    """botframework-connector raises a bare `Exception` or a PyJWT error for an expired,
    forged, unsigned (`alg: none`) or wrongly endorsed token, and only `PermissionError` for
    the rest; CloudAdapter answers 401 only for `PermissionError`. Failing to fetch the signing
    keys (a network problem, not the caller's fault) is left alone."""
    try:
        return await authenticating
    except (PermissionError, requests.RequestException):
        raise
    except Exception as exc:  # the SDK's own type for "this token is not valid"
        log.info("refused a Bot Framework token", extra={"reason": type(exc).__name__})
        raise PermissionError("invalid Bot Framework token") from exc
