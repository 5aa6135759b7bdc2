"""HTTP in and out: `POST /api/messages` and `GET /healthz` (aiohttp handlers only).

Bad requests are answered with a 4xx and a one-line JSON reason; they never reach the bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import InvokeResponse
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError  # type: ignore[attr-defined]

from bot.adapter import KeysUnavailable
from bot.limits import TOO_DEEP, limit_violation
from bot.msrest_fast import read_activity
from bot.teams import InspectionBot
from inspection.errors import InspectionError
from jsonbody import problem, read_json

log = logging.getLogger("bot.web")

HealthCheck = Callable[[], Awaitable[None]]


# Teams gives a bot 15 s to answer a message; a longer turn (setting up a channel) carries on
# after the HTTP response and sends its replies through the connector when done.
ACK_AFTER_SECONDS = 10.0


class BackgroundTurns:
    """Turns still running after their HTTP request was answered; drained on shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def add(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a turn failed after its response", exc_info=task.exception())

    async def drain(self, grace_seconds: float | None = None) -> None:
        """Wait for the running turns (at most `grace_seconds`)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_seconds)


def messages_handler(
    adapter: CloudAdapter,
    bot: InspectionBot,
    max_bytes: int,
    *,
    background: BackgroundTurns | None = None,
    ack_after: float = ACK_AFTER_SECONDS,
    max_turns: int = 0,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """`max_turns`: at most that many turns run at once, the rest wait in arrival order (0: no
    limit). Under overload the queue then forms here, fairly, instead of inside turns
    that hold database connections."""
    running = background if background is not None else BackgroundTurns()
    gate = asyncio.Semaphore(max_turns) if max_turns > 0 else None

    async def process(authenticated: Any, activity: Activity) -> InvokeResponse | None:
        if gate is None:
            return await adapter.process_activity(authenticated, activity, bot.on_turn)
        async with gate:
            return await adapter.process_activity(authenticated, activity, bot.on_turn)

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await read_json(request, max_bytes, what="the activity", too_deep=TOO_DEEP)
        if isinstance(body, web.Response):
            return body
        reason = invalid_activity(body) or limit_violation(body)
        if reason:
            return problem(400, reason)
        try:
            activity = read_activity(body)
        except (DeserializationError, TypeError, ValueError, AttributeError):
            return problem(400, "the body is not a Bot Framework activity")
        auth_header = request.headers.get("Authorization", "")
        try:
            authenticated = await adapter.bot_framework_authentication.authenticate_request(
                activity, auth_header
            )
        except KeysUnavailable as exc:
            # Not the caller's fault, and not for long: Teams sends the activity again.
            unavailable = problem(503, str(exc))
            unavailable.headers["Retry-After"] = str(exc.retry_after)
            return unavailable
        except (PermissionError, jwt.PyJWTError, ValueError, KeyError):
            # Never handled: no token, a forged one, or one for another bot.
            return problem(401, "missing or invalid Bot Framework token")
        turn = asyncio.ensure_future(process(authenticated, activity))
        if activity.type != "invoke":
            # An invoke's answer is the HTTP response itself, so only messages and events are
            # acknowledged early.
            try:
                done, _ = await asyncio.wait({turn}, timeout=ack_after)
            except asyncio.CancelledError:  # the caller hung up: the turn still finishes
                running.add(turn)
                raise
            if turn not in done:
                running.add(turn)
                log.info("turn continues after its response", extra={"type": activity.type})
                return web.Response(status=202)
        try:
            response: InvokeResponse | None = await turn
        except InspectionError as exc:
            # Raised outside a handler (e.g. storing the conversation): say what, not a 500.
            log.warning("turn failed before routing", extra={"error": type(exc).__name__})
            return problem(503, str(exc))
        if response is not None:
            body_out: Any = response.body
            if body_out is not None and hasattr(body_out, "serialize"):
                body_out = serializer_helper(body_out)
            return web.json_response(body_out, status=response.status or 200)
        return web.Response(status=200)

    return handle


def invalid_activity(body: object) -> str | None:
    """Why this JSON cannot be an activity the bot can answer, or None."""
    if not isinstance(body, dict):
        return "the activity must be a JSON object"
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        return "the activity has no 'type'"
    service_url = body.get("serviceUrl")
    if not isinstance(service_url, str) or not service_url.startswith(("http://", "https://")):
        return "the activity has no valid 'serviceUrl'"
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
        return "the activity has no 'conversation.id'"
    sender = body.get("from")
    if kind in ("message", "invoke") and (
        not isinstance(sender, dict) or not isinstance(sender.get("id"), str)
    ):
        return "the activity has no 'from.id'"
    for key in ("text", "name", "replyToId", "action"):
        if key in body and body[key] is not None and not isinstance(body[key], str):
            return f"the activity's '{key}' must be a string"
    for key in ("entities", "attachments", "membersAdded", "membersRemoved"):
        if key in body and body[key] is not None and not isinstance(body[key], list):
            return f"the activity's '{key}' must be a list"
        for item in body.get(key) or []:
            if not isinstance(item, dict):
                return f"each of the activity's '{key}' must be an object"
    if body.get("channelData") is not None and not isinstance(body["channelData"], dict):
        return "the activity's 'channelData' must be an object"
    return None


def health_handler(
    checks: dict[str, HealthCheck],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(_request: web.Request) -> web.StreamResponse:
        results: dict[str, str] = {}
        failing: list[str] = []
        for name, check in checks.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:  # any failure is reported, by part, never raised
                results[name] = str(exc) if isinstance(exc, InspectionError) else type(exc).__name__
                failing.append(name)
        if failing:
            return web.json_response(
                {"status": "failing", "failing": failing, "checks": results}, status=503
            )
        return web.json_response({"status": "ok", "checks": results})

    return handle
