"""A loopback TCP proxy that a test can cut, to take the database away and give it back.

    async with CuttableProxy("127.0.0.1", 5432) as proxy:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{proxy.port}/db"
        proxy.cut()          # every open connection is reset; new ones are closed at once
        proxy.restore()      # connections work again
        proxy.cut_when(b"INSERT INTO inspection_members")   # cut the moment a client sends it

`cut_when` makes "the database vanished half-way through a write" deterministic: the bytes
containing the marker are never forwarded, so the server saw the start of the transaction and
not its end.
"""

from __future__ import annotations

import asyncio
import contextlib


class CuttableProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.down = False
        self.marker: bytes | None = None
        self.port = 0
        self.refused = 0

    async def __aenter__(self) -> CuttableProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._reset_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    # --- control ---------------------------------------------------------------------------
    def cut(self) -> None:
        self.down = True
        self._reset_all()

    def restore(self) -> None:
        self.down = False
        self.marker = None

    def cut_when(self, marker: bytes) -> None:
        self.marker = marker

    # --- plumbing --------------------------------------------------------------------------
    def _reset_all(self) -> None:
        for writer in list(self._open):
            transport = writer.transport
            if transport is not None and not transport.is_closing():
                transport.abort()
        self._open.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, up_writer))
        for source, sink, watch in ((reader, up_writer, True), (up_reader, writer, False)):
            task = asyncio.ensure_future(self._pump(source, sink, watch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, watch: bool
    ) -> None:
        try:
            while True:
                data = await source.read(65536)
                if not data or self.down:
                    break
                if watch and self.marker is not None and self.marker in data:
                    self.cut()
                    break
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if sink.transport is not None and not sink.transport.is_closing():
                sink.transport.abort()
            self._open.discard(sink)
