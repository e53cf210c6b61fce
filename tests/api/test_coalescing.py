"""CoalescingTransport over a real loopback TCP connection: what one loop turn writes leaves in one
write of the real transport, in order, and nothing buffered is lost on close."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from chatseal.api.coalescing import CoalescingTransport


class _Counted:
    """Counts the writes reaching the real transport (a spy beside it, which still sends)."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.writes: list[bytes] = []
        original = transport.write

        def write(data: Any) -> None:
            self.writes.append(bytes(data))
            original(data)

        transport.write = write  # type: ignore[method-assign]


@asynccontextmanager
async def _connection() -> AsyncIterator[tuple[CoalescingTransport, _Counted, socket.socket]]:
    """A server-side transport (wrapped and counted) and the client's blocking socket."""
    loop = asyncio.get_running_loop()
    accepted: asyncio.Future[asyncio.Transport] = loop.create_future()

    class Server(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.set_result(transport)  # type: ignore[arg-type]

    server = await loop.create_server(Server, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        inner = await asyncio.wait_for(accepted, 5)
        counted = _Counted(inner)
        yield CoalescingTransport(inner, loop), counted, client
    finally:
        client.close()
        server.close()
        await server.wait_closed()


def _read_all(client: socket.socket) -> bytes:
    chunks = []
    while chunk := client.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _run(test: Callable[[], Any]) -> None:
    asyncio.run(test())


def test_one_turn_is_one_write() -> None:
    """Headers and body written in the same turn reach the socket as one write, in order."""

    async def scenario() -> None:
        async with _connection() as (transport, counted, client):
            transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
            transport.write(b"")  # nothing to send is not a write
            transport.write(memoryview(b"ok"))
            assert counted.writes == []  # nothing leaves before the turn ends
            assert transport.get_write_buffer_size() == 40
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            assert counted.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]
            transport.close()
            await asyncio.sleep(0.05)
            assert await asyncio.to_thread(_read_all, client) == counted.writes[0]

    _run(scenario)


def test_turns_stay_apart_and_ordered() -> None:
    """Writes of later turns are later writes: streaming still streams, in order."""

    async def scenario() -> None:
        async with _connection() as (transport, counted, client):
            for part in (b"one ", b"two ", b"three"):
                transport.write(part)
                await asyncio.sleep(0.01)
            assert counted.writes == [b"one ", b"two ", b"three"]
            transport.writelines([b" four", b" five"])
            transport.close()
            await asyncio.sleep(0.05)
            assert await asyncio.to_thread(_read_all, client) == b"one two three four five"

    _run(scenario)


def test_close_sends_what_is_buffered_and_abort_drops_it() -> None:
    """close() in the turn that wrote still delivers the bytes; abort() does not."""

    async def scenario() -> None:
        async with _connection() as (transport, _, client):
            transport.write(b"last words")
            transport.close()
            assert transport.is_closing()
            transport.write(b" after close")  # dropped: the connection is going away
            await asyncio.sleep(0.05)
            assert await asyncio.to_thread(_read_all, client) == b"last words"
        async with _connection() as (transport, counted, client):
            transport.write(b"never sent")
            transport.abort()
            await asyncio.sleep(0.05)
            assert counted.writes == []
            try:
                received = await asyncio.to_thread(_read_all, client)
            except ConnectionResetError:
                received = b""
            assert received == b""

    _run(scenario)


def test_everything_else_is_the_real_transport() -> None:
    """Peer names, flow control and write limits are the wrapped transport's own."""

    async def scenario() -> None:
        async with _connection() as (transport, _, client):
            assert transport.get_extra_info("peername") == client.getsockname()
            assert transport.get_extra_info("missing", "default") == "default"
            transport.pause_reading()
            assert not transport.is_reading()
            transport.resume_reading()
            assert transport.is_reading()
            transport.set_write_buffer_limits(high=4096, low=1024)
            assert transport.get_write_buffer_limits() == (1024, 4096)
            assert transport.can_write_eof()
            transport.write(b"half")
            transport.write_eof()  # sends what is buffered first
            await asyncio.sleep(0.05)
            assert await asyncio.to_thread(_read_all, client) == b"half"
            transport.close()

    _run(scenario)
