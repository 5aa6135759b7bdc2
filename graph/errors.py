"""Turning Graph failures into the domain's errors, with messages a person can act on."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from kiota_abstractions.api_error import APIError

from inspection.clock import Clock
from inspection.errors import (
    ConfigurationError,
    Conflict,
    InspectionError,
    NotFound,
    Unavailable,
)

log = logging.getLogger(__name__)

# The SDK has already retried these (honouring Retry-After) before we see them.
TRANSIENT_STATUSES = {429, 500, 502, 503, 504}


class GraphUnavailable(Unavailable):
    """Graph could not be reached or kept refusing; `retry_at` says when the bot tries again."""

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


def status_of(exc: BaseException) -> int | None:
    if isinstance(exc, APIError):
        return exc.response_status_code
    return None


def code_of(exc: BaseException) -> str:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    return str(code) if code else ""


def message_of(exc: BaseException) -> str:
    error = getattr(exc, "error", None)
    message = getattr(error, "message", None)
    return str(message) if message else ""


class ErrorPolicy:
    """Builds the user-facing errors (it knows the clock and the time zone for retry times)."""

    def __init__(self, clock: Clock, zone: ZoneInfo, retry_minutes: int) -> None:
        self.clock = clock
        self.zone = zone
        self.retry_minutes = retry_minutes

    def unavailable(self, detail: str = "") -> GraphUnavailable:
        retry_at = self.clock.now() + timedelta(minutes=self.retry_minutes)
        local = retry_at.astimezone(self.zone).strftime("%H:%M")
        message = f"Microsoft Graph is unavailable; I'll retry at {local}."
        if detail:
            message += f" ({detail})"
        return GraphUnavailable(message, retry_at)

    def translate(self, exc: BaseException, doing: str) -> InspectionError:
        """`doing` completes "... while <doing>" ("creating the channel")."""
        if isinstance(exc, InspectionError):
            return exc
        if isinstance(exc, (httpx.TransportError, OSError)):
            log.warning("graph unreachable while %s: %s", doing, type(exc).__name__)
            return self.unavailable(f"could not connect while {doing}")
        status = status_of(exc)
        code = code_of(exc)
        message = message_of(exc)
        level = logging.INFO if status == 404 else logging.WARNING
        log.log(level, "graph error %s %s while %s: %s", status, code, doing, message)
        if status in TRANSIENT_STATUSES:
            return self.unavailable(f"{status} while {doing}")
        if status == 401:
            return ConfigurationError(
                f"Microsoft Graph did not accept the bot's credentials while {doing} (401); "
                "check GRAPH_TENANT_ID, GRAPH_CLIENT_ID and the secret or certificate"
            )
        if status == 403:
            return ConfigurationError(
                f"Microsoft Graph refused permission while {doing} (403 {code}); the app needs "
                "Channel.Create, ChannelMember.ReadWrite.All and Files.ReadWrite.All "
                "(application) with admin consent"
            )
        if status == 404:
            return NotFound(f"Microsoft Graph could not find it while {doing}: {message}")
        if status == 409:
            return Conflict(f"Microsoft Graph reported a clash while {doing}: {message}")
        if status is not None:
            return InspectionError(
                f"Microsoft Graph refused {doing} ({status} {code}): {message or 'no detail'}"
            )
        log.exception("unexpected failure while %s", doing, exc_info=exc)
        return InspectionError(f"something went wrong while {doing}: {type(exc).__name__}")

    @asynccontextmanager
    async def guard(self, doing: str) -> AsyncIterator[None]:
        try:
            yield
        except InspectionError:
            raise
        except (APIError, httpx.HTTPError, OSError) as exc:
            raise self.translate(exc, doing) from exc
