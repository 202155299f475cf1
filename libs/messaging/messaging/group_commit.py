"""Group commit: items that arrive while a write is in flight share the next write.

A commit waits for the disk: one commit per item (a webhook to make durable, a message to
handle) caps throughput at the disk's flush rate. Batching the items that queue up behind a
flush costs nothing when idle (a lone item is written at once, alone) and turns N flushes into
one under load, so the cost per item falls as the load rises. Used by the consumer (one
transaction per batch of messages) and the webhook gateway (one statement per batch of
deliveries).
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    def __init__(
        self,
        write: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        *,
        max_batch: int = 200,
        max_in_flight: int = 2,
    ) -> None:
        """`write` takes a batch and returns one result per item, in order."""
        self._write = write
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._in_flight: set[asyncio.Task[None]] = set()

    async def submit(self, item: Item) -> Result:
        """The item's result once the batch holding it is written (or the batch's exception)."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._start_writes()
        return await future

    def _start_writes(self) -> None:
        while self._pending and len(self._in_flight) < self._max_in_flight:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            task = asyncio.create_task(self._write_batch(batch))
            self._in_flight.add(task)
            task.add_done_callback(self._written)

    def _written(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._start_writes()

    async def _write_batch(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._write([item for item, _ in batch])
        except Exception as error:
            for _, future in batch:
                if not future.done():  # its caller may have given up (timeout) already
                    future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
