"""The running order flow on an event loop of its own thread, for tests whose driver is
synchronous (hypothesis's rule-based state machines call plain methods)."""

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import TypeVar

T = TypeVar("T")
S = TypeVar("S")


class LoopThread:
    """Runs coroutines on a loop living in a daemon thread, one at a time, with a timeout."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def run(self, coro: Awaitable[T], timeout_s: float = 120) -> T:
        async def wrapped() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout_s)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@contextmanager
def entered_in_thread(
    start: Callable[[], AbstractAsyncContextManager[S]],
) -> Iterator[tuple[LoopThread, S]]:
    """`async with start() as system` entered and left on the thread's loop."""
    thread = LoopThread()
    thread.start()
    manager = start()
    try:
        system = thread.run(manager.__aenter__())
        try:
            yield thread, system
        finally:
            thread.run(manager.__aexit__(None, None, None))
    finally:
        thread.stop()
