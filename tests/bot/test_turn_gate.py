"""At most `max_turns` turns run at once; the others wait in arrival order (issue 7)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.web import messages_handler


class GatedAdapter:
    """Records how many turns run at once; each turn waits until released."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.started: list[str] = []
        self.release = asyncio.Event()
        self.bot_framework_authentication = self

    async def authenticate_request(self, activity: Any, _header: str) -> Any:
        return object()

    async def process_activity(self, _auth: Any, activity: Any, _logic: Any) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        self.started.append(activity.text)
        try:
            await self.release.wait()
        finally:
            self.running -= 1


def _activity(n: int) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"a{n}",
        "text": f"turn {n}",
        "channelId": "msteams",
        "serviceUrl": "http://127.0.0.1:1/",
        "conversation": {"id": "c1"},
        "from": {"id": "u1"},
        "recipient": {"id": "b1"},
    }


async def _client(adapter: GatedAdapter, max_turns: int) -> TestClient[Any, Any]:
    app = web.Application()
    bot: Any = type("Bot", (), {"on_turn": None})()
    handler = messages_handler(adapter, bot, 100_000, max_turns=max_turns)  # type: ignore[arg-type]
    app.router.add_post("/api/messages", handler)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def _until(condition: Any) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the turns never got there")


async def test_turns_beyond_the_limit_wait_their_turn_in_order() -> None:
    adapter = GatedAdapter()
    client = await _client(adapter, max_turns=2)
    try:
        posts = []
        for n in range(6):
            posts.append(asyncio.ensure_future(client.post("/api/messages", json=_activity(n))))
            await _until(lambda n=n: len(adapter.started) >= min(n + 1, 2))
        await _until(lambda: adapter.running == 2)
        assert adapter.started == ["turn 0", "turn 1"]
        adapter.release.set()
        responses = await asyncio.gather(*posts)
        assert [r.status for r in responses] == [200] * 6
        assert adapter.most == 2
        assert adapter.started == [f"turn {n}" for n in range(6)]
    finally:
        await client.close()


async def test_no_limit_when_zero() -> None:
    adapter = GatedAdapter()
    client = await _client(adapter, max_turns=0)
    try:
        posts = [
            asyncio.ensure_future(client.post("/api/messages", json=_activity(n))) for n in range(5)
        ]
        await _until(lambda: adapter.running == 5)
        adapter.release.set()
        assert [r.status for r in await asyncio.gather(*posts)] == [200] * 5
    finally:
        await client.close()
