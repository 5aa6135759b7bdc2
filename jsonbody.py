"""Reading a JSON request body at the edge, the same way on every endpoint that takes one.

Bad bodies get a 4xx with a one-line reason, never a 500: a media type other than JSON (415,
matched on the media type itself, so `text/plain; q=application/json` is not JSON), a body
over the limit (413), bytes that are not JSON or JSON nested too deep for the parser (400).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def read_json(
    request: web.Request, max_bytes: int, *, what: str = "the body", too_deep: str = ""
) -> Any | web.Response:
    """The parsed body, or the response that says what was wrong with it (`what` names the
    body in those answers: "the activity", "the notification"; `too_deep` is the answer to
    JSON nested too deeply to parse, when the endpoint has its own depth rule to name)."""
    if request.content_type != "application/json":
        return problem(415, f"send {what} as JSON (Content-Type: application/json)")
    too_large = f"{what} is larger than {max_bytes:,} bytes"
    if request.content_length is not None and request.content_length > max_bytes:
        return problem(413, too_large)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return problem(413, too_large)
    if len(raw) > max_bytes:
        return problem(413, too_large)
    try:
        return json.loads(raw)
    except RecursionError:
        return problem(400, too_deep or f"{what} is JSON nested too deeply to read")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return problem(400, f"{what} is not valid JSON")
