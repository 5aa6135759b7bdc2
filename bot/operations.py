"""Operations endpoints and instrumentation, mounted by `create_app` with one call:

- every HTTP request gets a request id (the caller's `X-Request-Id` if it is sane, else a new
  one), carried by every log line and returned in the `X-Request-Id` header;
- `GET /readyz`: 200 when this instance should get traffic (database reachable, not shutting
  down), else 503 with the failing parts; `/healthz` (bot/web.py) stays the liveness check;
- `GET /metrics`: Prometheus text format (see metrics.py); `METRICS_TOKEN`, when set, must be
  sent as a bearer token;
- router middleware that counts and times turns and tags log lines with the inspection id.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

import metrics
from bot.router import UNAVAILABLE_REPLY, Next, Reply, Route, Turn
from logsetup import bind_inspection, new_request_id, request_context

log = logging.getLogger("bot.operations")

HealthCheck = Callable[[], Awaitable[None]]
READY_TIMEOUT_SECONDS = 3.0
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
SHUTTING_DOWN: web.AppKey[list[bool]] = web.AppKey("shutting_down", list)


def mount_operations(
    app: web.Application, checks: dict[str, HealthCheck], *, metrics_token: str = ""
) -> None:
    """Add the request-id/metrics middleware and the /readyz and /metrics routes."""
    app.middlewares.insert(0, observe_requests)
    app[SHUTTING_DOWN] = [False]
    app.router.add_get("/readyz", readiness_handler(checks))
    app.router.add_get("/metrics", metrics_handler(metrics_token))

    async def draining(_app: web.Application) -> None:
        # From the first moment of shutdown, tell the load balancer to stop sending traffic.
        app[SHUTTING_DOWN][0] = True

    app.on_shutdown.append(draining)


@web.middleware
async def observe_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    given = request.headers.get("X-Request-Id", "")
    request_id = given if _SANE_ID.match(given) else new_request_id()
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    started = time.perf_counter()
    status = 500
    metrics.IN_FLIGHT.inc()
    with request_context(request_id):
        try:
            response = await handler(request)
            status = response.status
            response.headers["X-Request-Id"] = request_id
            return response
        except web.HTTPException as exc:
            status = exc.status
            exc.headers["X-Request-Id"] = request_id
            raise
        finally:
            metrics.IN_FLIGHT.dec()
            metrics.HTTP_REQUESTS.labels(route, f"{status // 100}xx").inc()
            metrics.HTTP_SECONDS.labels(route).observe(time.perf_counter() - started)


def readiness_handler(
    checks: dict[str, HealthCheck],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        if request.app.get(SHUTTING_DOWN, [False])[0]:
            return web.json_response(
                {"status": "shutting down", "failing": ["shutdown"]}, status=503
            )
        results: dict[str, str] = {}
        failing: list[str] = []
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), READY_TIMEOUT_SECONDS)
                results[name] = "ok"
            except TimeoutError:
                results[name] = f"no answer within {READY_TIMEOUT_SECONDS:g} s"
                failing.append(name)
            except Exception as exc:  # reported by part, never raised
                results[name] = type(exc).__name__
                failing.append(name)
        if failing:
            return web.json_response(
                {"status": "not ready", "failing": failing, "checks": results}, status=503
            )
        return web.json_response({"status": "ready", "checks": results})

    return handle


def metrics_handler(token: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        if token:
            sent = request.headers.get("Authorization", "")
            if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
                return web.json_response(
                    {"error": "send the metrics token: Authorization: Bearer <METRICS_TOKEN>"},
                    status=401,
                )
        body = generate_latest(metrics.REGISTRY)
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    return handle


# --- router middleware ----------------------------------------------------------------------
async def observe_turns(turn: Turn, route: Route, call_next: Next) -> Reply:
    """Outermost: counts every routed turn and its time; an outage reply counts as one."""
    started = time.perf_counter()
    outcome = "error"
    try:
        reply = await call_next(turn)
        outcome = "ok"
        if reply.text == UNAVAILABLE_REPLY:
            outcome = "unavailable"
            metrics.DATABASE_UNAVAILABLE.inc()
        return reply
    finally:
        metrics.TURNS.labels(route.kind, outcome).inc()
        metrics.TURN_SECONDS.labels(route.kind).observe(time.perf_counter() - started)


async def tag_inspection(turn: Turn, route: Route, call_next: Next) -> Reply:
    """After the inspection is resolved: every later log line of the turn carries its id."""
    if turn.inspection is not None and turn.inspection.id is not None:
        bind_inspection(turn.inspection.id)
    return await call_next(turn)
