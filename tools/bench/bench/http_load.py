"""A cheap HTTP/1.1 client for load generators: prepared requests on keep-alive connections.

A load generator shares the machine with the servers it measures, so it is written to cost
little: a request is bytes prepared up front and a response is read as its head plus
Content-Length bytes. An aiohttp client spent twice the bare server's CPU per request (0.35 ms
against 0.16 ms), which made a bare-server baseline measure the client rather than the server,
and took CPU from the services in the pipeline benchmark.
"""

import asyncio
import urllib.parse
from collections.abc import Mapping


def post_request(url: str, headers: Mapping[str, str], body: bytes) -> bytes:
    """An HTTP/1.1 POST of `body` to `url` with `headers`, as the bytes to write."""
    parsed = urllib.parse.urlsplit(url)
    all_headers = {**headers, "Host": parsed.netloc, "Content-Length": str(len(body))}
    head = "".join(f"{name}: {value}\r\n" for name, value in all_headers.items())
    return f"POST {parsed.path} HTTP/1.1\r\n{head}\r\n".encode() + body


class Connection:
    """One keep-alive connection, one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    async def send(self, request: bytes) -> int:
        """Send one request; its response's status once the whole response is read."""
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, _, headers = head.partition(b"\r\n")
        length = 0
        for line in headers.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        await self._reader.readexactly(length)
        return int(status_line.split(b" ", 2)[1])

    def close(self) -> None:
        self._writer.close()


class Connections:
    """Connections to one server, opened as needed and reused: a client's pool."""

    def __init__(self, url: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        self._host, self._port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self._idle: list[Connection] = []
        self._all: list[Connection] = []

    async def open(self, count: int) -> None:
        """Open `count` connections up front, as a client that has been sending for a while."""
        self._idle.extend(await asyncio.gather(*(self._open() for _ in range(count))))

    async def send(self, request: bytes) -> int:
        """Send on an idle connection (a new one if none is idle); the response's status."""
        connection = self._idle.pop() if self._idle else await self._open()
        status = await connection.send(request)
        self._idle.append(connection)
        return status

    async def _open(self) -> Connection:
        connection = Connection(*await asyncio.open_connection(self._host, self._port))
        self._all.append(connection)
        return connection

    def close(self) -> None:
        for connection in self._all:
            connection.close()
