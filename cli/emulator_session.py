"""Drive Microsoft's Teams emulator from a script: the local run, and its chat API.

Used by `docs/screenshots.py` and the scripted emulator check in `tests/demo/`. The emulator's
own web UI talks to its backend through this API (pinned version 0.2.28: it is undocumented):

- `POST /_debug/conversation/{id}/installation`: the app is installed in that conversation;
- `POST /_conversation/v1/conversations/{id}/messages`: a user sends a message;
- `POST /_conversation/v1/submit`: a user presses an Adaptive Card `Action.Submit` button;
- WebSocket `/_ws_conversation/v1/conversations/stream`: what the bot sends, as it sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, ClientWebSocketResponse, WSMsgType

from cli.demo import BOT_ID
from cli.playground import BOT_NAME


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class BotMessage:
    """One message the bot sent, as the emulator received it."""

    conversation_id: str
    text: str
    cards: tuple[dict[str, Any], ...]

    def words(self) -> str:
        """The text and every TextBlock/FactSet string of the cards, for assertions."""
        parts = [self.text]

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for key in ("text", "title", "value"):
                    if isinstance(node.get(key), str):
                        parts.append(node[key])
                for value in node.values():
                    if isinstance(value, dict | list):
                        walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(list(self.cards))
        return "\n".join(p for p in parts if p)


@dataclass
class EmulatorClient:
    base_url: str
    session: ClientSession
    received: list[BotMessage] = field(default_factory=list)
    _socket: ClientWebSocketResponse | None = None
    _reader: asyncio.Task[None] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def connect(self) -> None:
        self._socket = await self.session.ws_connect(
            self.base_url + "/_ws_conversation/v1/conversations/stream"
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._socket is not None
        async for frame in self._socket:
            if frame.type != WSMsgType.TEXT:
                continue
            event = frame.json()
            if event.get("action") != "createMessage":
                continue
            message = event.get("message") or {}
            cards = tuple(
                a.get("content") or {}
                for a in message.get("attachments") or []
                if "adaptive" in str(a.get("contentType", ""))
            )
            self.received.append(
                BotMessage(
                    str(event.get("actionConversationId", "")), message.get("text") or "", cards
                )
            )
            self._arrived.set()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._socket is not None:
            await self._socket.close()

    async def config(self) -> dict[str, Any]:
        async with self.session.get(self.base_url + "/_internal/v1/config") as response:
            response.raise_for_status()
            found: dict[str, Any] = await response.json()
            return found

    async def install(self, conversation_id: str) -> None:
        url = f"{self.base_url}/_debug/conversation/{conversation_id}/installation"
        async with self.session.post(url, json={}) as response:
            response.raise_for_status()

    async def say(
        self, conversation_id: str, user_id: str, text: str, *, mention_bot: bool = False
    ) -> str:
        """Send `text` as `user_id`; returns the conversation id the bot will answer in."""
        body: dict[str, Any] = {"from": {"id": user_id}, "text": text, "textFormat": "plain"}
        if mention_bot:
            tag = f"<at>{BOT_NAME}</at>"
            body["text"] = f"{tag} {text}"
            body["mentions"] = [{"mentioned": {"id": BOT_ID}, "text": tag}]
        url = f"{self.base_url}/_conversation/v1/conversations/{conversation_id}/messages"
        async with self.session.post(url, json=body) as response:
            response.raise_for_status()
            answer = await response.json()
        return str(answer.get("postConversationId") or conversation_id)

    async def submit(self, conversation_id: str, user_id: str, data: dict[str, Any]) -> None:
        body = {"conversation": {"id": conversation_id}, "from": {"id": user_id}, "value": data}
        async with self.session.post(
            self.base_url + "/_conversation/v1/submit", json=body
        ) as response:
            response.raise_for_status()

    async def wait_for(
        self, conversation_id: str, *, after: int, within: float = 20.0
    ) -> list[BotMessage]:
        """Messages the bot sent to `conversation_id` (or its threads) after the first `after`
        received, waiting until at least one arrives and the bot goes quiet for a moment."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within

        def mine() -> list[BotMessage]:
            return [
                m
                for m in self.received[after:]
                if m.conversation_id.split(";")[0] == conversation_id.split(";")[0]
            ]

        while loop.time() < deadline:
            if mine():
                # Let the rest of a multi-message reply arrive.
                await asyncio.sleep(0.6)
                return mine()
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), max(0.05, deadline - loop.time()))
        return mine()


@dataclass
class LocalRun:
    """`inspection-bot local --demo` as a user runs it, on free ports, in `data`."""

    data: Path
    cwd: Path
    bot_port: int = field(default_factory=free_port)
    emulator_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def emulator_url(self) -> str:
        return f"http://localhost:{self.emulator_port}"

    def start(self, *extra: str) -> None:
        self.log_path = self.data.parent / "local-run.log"
        self.data.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603  (our own command)
                [
                    sys.executable,
                    "-m",
                    "cli.main",
                    "local",
                    "--demo",
                    "--data",
                    str(self.data),
                    "--port",
                    str(self.bot_port),
                    "--teams-emulator-port",
                    str(self.emulator_port),
                    *extra,
                ],
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "LOG_LEVEL": "WARNING", "SCHEDULER_ENABLED": "true"},
            )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    async def wait_ready(self, within: float = 180.0) -> bool:
        """Until the emulator answers ping and the bot is healthy (False if either dies)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with ClientSession(timeout=ClientTimeout(total=2)) as session:
            while loop.time() < deadline:
                if self.process is None or self.process.poll() is not None:
                    return False
                if "Teams emulator ready" in self.output():
                    with contextlib.suppress(Exception):
                        url = f"http://127.0.0.1:{self.bot_port}/healthz"
                        async with session.get(url) as health:
                            if health.status == 200:
                                return True
                await asyncio.sleep(0.3)
        return False

    def stop(self, grace: float = 20.0) -> int:
        """Ctrl-C, as a person would press it; returns the exit code."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@contextlib.asynccontextmanager
async def emulator_client(run: LocalRun) -> AsyncIterator[EmulatorClient]:
    async with ClientSession(timeout=ClientTimeout(total=30)) as session:
        client = EmulatorClient(f"http://127.0.0.1:{run.emulator_port}", session)
        await client.connect()
        try:
            yield client
        finally:
            await client.close()
