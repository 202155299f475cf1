"""One LISTEN connection for a whole service, fanned out to the workers that wait on it.

A commit that queues work sends NOTIFY on the work's channel; every worker subscribed to that
channel is woken. Workers clear their event before looking for work, so a notification that
arrives while they look is not lost; an idle poll covers a notification lost with a connection.
"""

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Callable, Sequence

import asyncpg
import structlog

log = structlog.get_logger(__name__)


class Signals:
    def __init__(self, pool: asyncpg.Pool, channels: Sequence[str]) -> None:
        self._pool = pool
        self._channels = tuple(channels)
        self._events: dict[str, list[asyncio.Event]] = defaultdict(list)

    def subscribe(self, channel: str) -> asyncio.Event:
        if channel not in self._channels:
            raise ValueError(f"not a channel of this service: {channel}")
        event = asyncio.Event()
        self._events[channel].append(event)
        return event

    def notify_local(self, channel: str) -> None:
        for event in self._events[channel]:
            event.set()

    async def run(self) -> None:
        """Until cancelled: listen, reconnecting if the connection is lost."""
        while True:
            try:
                async with self._pool.acquire() as conn:
                    lost = asyncio.Event()
                    conn.add_termination_listener(_setter(lost))
                    for channel in self._channels:
                        await conn.add_listener(channel, self._on_notify)
                    try:
                        # Everyone looks for work once: anything notified while we were not
                        # listening is picked up now.
                        for channel in self._channels:
                            self.notify_local(channel)
                        await lost.wait()
                    finally:
                        for channel in self._channels:
                            with contextlib.suppress(Exception):
                                await conn.remove_listener(channel, self._on_notify)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("signals.listener_lost", error=str(exc))
                await asyncio.sleep(1)

    def _on_notify(self, _conn: object, _pid: int, channel: str, _payload: object) -> None:
        self.notify_local(channel)


def _setter(event: asyncio.Event) -> Callable[[object], None]:
    return lambda _: event.set()


async def wait(event: asyncio.Event, timeout_s: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout_s)
