"""HTTP in and out: `POST /api/messages` and `GET /healthz` (aiohttp handlers only).

Bad requests are answered with a 4xx and a one-line JSON reason; they never reach the bot.
"""

from __future__ import annotations

import json
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

from bot.limits import TOO_DEEP, limit_violation
from bot.teams import InspectionBot
from inspection.errors import InspectionError

log = logging.getLogger("bot.web")

HealthCheck = Callable[[], Awaitable[None]]


def problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def messages_handler(
    adapter: CloudAdapter, bot: InspectionBot, max_bytes: int
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return problem(415, "send the activity as JSON (Content-Type: application/json)")
        if request.content_length is not None and request.content_length > max_bytes:
            return problem(413, f"the activity is larger than {max_bytes:,} bytes")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return problem(413, f"the activity is larger than {max_bytes:,} bytes")
        if len(raw) > max_bytes:
            return problem(413, f"the activity is larger than {max_bytes:,} bytes")
        try:
            body = json.loads(raw)
        except RecursionError:
            return problem(400, TOO_DEEP)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return problem(400, "the body is not valid JSON")
        reason = invalid_activity(body) or limit_violation(body)
        if reason:
            return problem(400, reason)
        try:
            activity = Activity().deserialize(body)
        except (DeserializationError, TypeError, ValueError, AttributeError):
            return problem(400, "the body is not a Bot Framework activity")
        auth_header = request.headers.get("Authorization", "")
        try:
            authenticated = await adapter.bot_framework_authentication.authenticate_request(
                activity, auth_header
            )
        except (PermissionError, jwt.PyJWTError, ValueError, KeyError):
            # Never handled: no token, a forged one, or one for another bot.
            return problem(401, "missing or invalid Bot Framework token")
        try:
            response: InvokeResponse | None = await adapter.process_activity(
                authenticated, activity, bot.on_turn
            )
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
