"""A loopback fake of the Bot Connector service (what Teams' `serviceUrl` points at).

It records every call the bot makes (`POST /v3/conversations/{id}/activities[/{replyTo}]`,
`PUT .../activities/{id}`, `POST /v3/conversations`, member look-ups) and can be told to fail:
queue statuses (429 with Retry-After, 502, ...) that the next calls get before it succeeds again.

    async with FakeConnector() as connector:
        activity["serviceUrl"] = connector.url
        connector.fail_next(429, 502)          # the next two sends fail, then all succeed
        ...
        assert connector.texts() == ["..."]

Ports are ephemeral (bound to 127.0.0.1:0). Use it from async tests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class ConnectorCall:
    method: str
    path: str
    conversation_id: str
    body: dict[str, Any]
    authorization: str | None
    # The status the fake answered with (a queued failure, or 200/201).
    status: int

    @property
    def text(self) -> str | None:
        value = self.body.get("text")
        return value if isinstance(value, str) else None

    @property
    def cards(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for attachment in self.body.get("attachments") or []:
            if isinstance(attachment, dict) and isinstance(attachment.get("content"), dict):
                found.append(attachment["content"])
        return found


@dataclass
class _Failure:
    status: int
    retry_after: float | None = None


@dataclass
class FakeConnector:
    """Start with `async with`; `url` is then the serviceUrl to put in activities."""

    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[ConnectorCall] = field(default_factory=list)
    _failures: deque[_Failure] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    url: str = ""
    # hold_after(n): the n+1-th send onwards waits here until release() (a stalled Teams).
    _accept_before_hold: int | None = None
    _gate: asyncio.Event = field(default_factory=asyncio.Event)
    held: int = 0
    _held_requests: list[web.Request] = field(default_factory=list)

    # --- control ---------------------------------------------------------------------------
    def fail_next(self, *statuses: int, retry_after: float | None = None) -> None:
        """The next len(statuses) sending calls are answered with these statuses, in order."""
        for status in statuses:
            self._failures.append(_Failure(status, retry_after))

    def hold_after(self, accepted: int) -> None:
        """Accept `accepted` more sends, then hold every further one until `release()`.

        A held send whose caller has gone away by the time it is released (the bot was
        killed) is recorded with status 499 and not delivered: Teams never processed it."""
        self._accept_before_hold = accepted
        self._gate.clear()

    def release(self) -> None:
        self._accept_before_hold = None
        self._gate.set()

    async def callers_gone(self) -> None:
        """Wait (bounded) until every held send's caller has disconnected (after a kill)."""
        for _ in range(600):
            if all(r.transport is None or r.transport.is_closing() for r in self._held_requests):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the held senders are still connected")

    def add_member(self, teams_id: str, aad_object_id: str, name: str, email: str = "") -> None:
        self.members[teams_id] = {
            "id": teams_id,
            "aadObjectId": aad_object_id,
            "name": name,
            "email": email or None,
            "userPrincipalName": email or None,
        }

    # --- what happened ---------------------------------------------------------------------
    @property
    def delivered(self) -> list[ConnectorCall]:
        """Activities the connector accepted (2xx), in order: what users actually saw."""
        return [c for c in self.calls if c.status < 300 and c.method in ("POST", "PUT")]

    def texts(self) -> list[str]:
        return [c.text for c in self.delivered if c.text]

    def reset(self) -> None:
        self.calls.clear()
        self._failures.clear()

    # --- server ----------------------------------------------------------------------------
    async def __aenter__(self) -> FakeConnector:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._get_member)
        app.router.add_get("/v3/conversations/{conversation}/members", self._list_members)
        app.router.add_get("/v3/conversations/{conversation}/pagedmembers", self._paged_members)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if not raw:
            return {}
        data = json.loads(raw)
        return data if isinstance(data, dict) else {}

    def _failure(self) -> _Failure | None:
        return self._failures.popleft() if self._failures else None

    def _record(
        self, request: web.Request, conversation: str, body: dict[str, Any], status: int
    ) -> None:
        self.calls.append(
            ConnectorCall(
                method=request.method,
                path=request.path,
                conversation_id=conversation,
                body=body,
                authorization=request.headers.get("Authorization"),
                status=status,
            )
        )

    def _error(self, failure: _Failure) -> web.Response:
        headers = {}
        if failure.retry_after is not None:
            headers["Retry-After"] = f"{failure.retry_after:g}"
        return web.json_response(
            {
                "error": {
                    "code": "Throttled" if failure.status == 429 else "ServiceError",
                    "message": f"fake connector failure {failure.status}",
                }
            },
            status=failure.status,
            headers=headers,
        )

    async def _send(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        conversation = request.match_info["conversation"]
        if self._accept_before_hold is not None:
            if self._accept_before_hold > 0:
                self._accept_before_hold -= 1
            else:
                self.held += 1
                self._held_requests.append(request)
                await self._gate.wait()
                transport = request.transport
                if transport is None or transport.is_closing():
                    self._record(request, conversation, body, 499)
                    return web.Response(status=499)
        failure = self._failure()
        if failure is not None:
            self._record(request, conversation, body, failure.status)
            return self._error(failure)
        self._record(request, conversation, body, 200)
        activity_id = request.match_info.get("activity") if request.method == "PUT" else None
        return web.json_response({"id": activity_id or f"activity-{next(self._ids)}"})

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        failure = self._failure()
        if failure is not None:
            self._record(request, "", body, failure.status)
            return self._error(failure)
        number = next(self._ids)
        conversation = f"conversation-{number}"
        activity = body.get("activity") if isinstance(body.get("activity"), dict) else None
        self._record(request, conversation, activity or body, 201)
        return web.json_response(
            {"id": conversation, "activityId": f"activity-{number}", "serviceUrl": self.url},
            status=201,
        )

    async def _get_member(self, request: web.Request) -> web.Response:
        member = self.members.get(request.match_info["member"])
        if member is None:
            return web.json_response(
                {"error": {"code": "MemberNotFoundInConversation", "message": "not found"}},
                status=404,
            )
        return web.json_response(member)

    async def _list_members(self, _request: web.Request) -> web.Response:
        return web.json_response(list(self.members.values()))

    async def _paged_members(self, _request: web.Request) -> web.Response:
        return web.json_response({"members": list(self.members.values())})
