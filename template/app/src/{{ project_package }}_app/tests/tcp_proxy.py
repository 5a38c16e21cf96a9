"""A TCP proxy the fault tests put between a deployable and a real server, and then cut.

Toxiproxy needs a server binary; this is the small part of it the tests need. The proxy
listens on a free loopback port and relays bytes to the upstream server until a test says:

- `down()`: the server is gone: new connections are refused, open ones are reset;
- `up()`: the server is back: listen and relay again;
- `hang()`: the server hangs: connections are accepted but no byte passes either way;
- `unhang()`: bytes flow again;
- `reset_connections()`: open connections are reset (as `pg_terminate_backend` does);
  new ones are accepted as usual.

The machine's shared servers are never stopped: only the proxy in front of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

CHUNK = 65_536
# The port a broker URL means when it names none.
DEFAULT_PORTS = {"redis": 6379, "amqp": 5672, "pyamqp": 5672}


def broker_address(url: str) -> tuple[str, int]:
    """The host and port of the broker `url` names: what a proxy in front of it relays to."""
    broker = urlsplit(url)
    return broker.hostname or "127.0.0.1", broker.port or DEFAULT_PORTS[broker.scheme]


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class TcpProxy:
    """Relays 127.0.0.1:`port` to `upstream` in a thread of its own (a context manager)."""

    def __init__(self, upstream: tuple[str, int], port: int | None = None) -> None:
        self.upstream = upstream
        self.port = port or free_port()
        self.accepted = 0  # connections accepted so far, for tests that check reconnects
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._transports: set[asyncio.WriteTransport] = set()

    def url_for(self, url: str) -> str:
        """`url` with its host and port replaced by the proxy's (user, path and query kept)."""
        scheme, _, rest = url.partition("://")
        credentials, at, location = rest.rpartition("@")
        _, slash, path = location.partition("/")
        return f"{scheme}://{credentials}{at}127.0.0.1:{self.port}{slash}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        self._call(self._start())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def down(self) -> None:
        self._call(self._stop())

    def up(self) -> None:
        self._call(self._start())

    def hang(self) -> None:
        self._call(self._set_flowing(False))

    def unhang(self) -> None:
        self._call(self._set_flowing(True))

    def reset_connections(self) -> None:
        self._call(self._reset())

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        future.result(timeout=10)

    async def _set_flowing(self, flowing: bool) -> None:
        # On the proxy's loop, and waited for: bytes sent after hang() returns are held.
        if flowing:
            self._flowing.set()
        else:
            self._flowing.clear()

    async def _start(self) -> None:
        self._flowing.set()
        if self._server is None:
            self._server = await asyncio.start_server(
                self._relay, "127.0.0.1", self.port, reuse_address=True
            )

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        await self._reset()

    async def _shutdown(self) -> None:
        await self._stop()
        relays = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in relays:
            task.cancel()
        await asyncio.gather(*relays, return_exceptions=True)

    async def _reset(self) -> None:
        for transport in list(self._transports):
            # An RST, not a FIN: the client sees the server vanish, not a polite goodbye.
            with contextlib.suppress(OSError):
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            transport.abort()
        self._transports.clear()

    async def _relay(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        self.accepted += 1
        self._transports.add(client_out.transport)
        # Python 3.11's stream callback raises on a cancelled handler: end quietly instead.
        with contextlib.suppress(asyncio.CancelledError):
            await self._flowing.wait()  # a hung server accepts and then says nothing
            try:
                server_in, server_out = await asyncio.open_connection(*self.upstream)
            except OSError:
                client_out.transport.abort()
                return
            self._transports.add(server_out.transport)
            await asyncio.gather(
                self._pipe(client_in, server_out), self._pipe(server_in, client_out)
            )
        self._transports.discard(client_out.transport)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(CHUNK):
                await self._flowing.wait()
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            sink.transport.abort()
