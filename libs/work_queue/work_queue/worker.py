"""The one worker loop, the lease keeper beside it, and the counters both report on /status.

A service's worker is a `round` function (claim what is due, work on it, record outcomes; it
returns how many items it claimed) run by WorkLoop: again at once while rounds come back full,
otherwise after the table's NOTIFY or the idle poll, whichever comes first. A round that raises
(the database went away) is logged and the loop goes on: work is never lost with a worker,
since what it held becomes due again when its leases run out.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import Any

import asyncpg
import structlog

from storage.signals import wait
from work_queue.table import Key, WorkTable

log = structlog.get_logger(__name__)

Round = Callable[[], Awaitable[int]]


class WorkStats:
    """Counters of what a worker did since the process started (for /status and benchmarks).

    Named up front, so /status shows every counter, zeros included, in a stable order.
    """

    def __init__(self, *names: str) -> None:
        self._counts = dict.fromkeys(names, 0)

    def add(self, name: str, n: int = 1) -> None:
        if name not in self._counts:
            raise KeyError(f"not a counter of this worker: {name}")
        self._counts[name] += n

    def high_water(self, name: str, value: int) -> None:
        """Keep the largest value seen (e.g. the largest claim)."""
        self._counts[name] = max(self._counts[name], value)

    def __getitem__(self, name: str) -> int:
        return self._counts[name]

    def as_json(self) -> dict[str, int]:
        return dict(self._counts)


class WorkLoop:
    def __init__(
        self,
        name: str,
        work_round: Round,
        wake: asyncio.Event,
        *,
        idle_poll_s: float,
        full_round: int | None = None,
    ) -> None:
        """`full_round`: a round that claimed this many (or more) leaves more due work behind,
        so the next starts at once; None: always wait for the wake-up (a worker that wakes
        itself when it has room, as fulfillment-sync's does)."""
        self.name = name
        self._round = work_round
        self._wake = wake
        self._idle_poll_s = idle_poll_s
        self._full_round = full_round

    async def run(self) -> None:
        """Until cancelled."""
        while True:
            # Cleared before looking: a NOTIFY that arrives while the round runs is kept.
            self._wake.clear()
            try:
                claimed = await self._round()
            except Exception as exc:  # database trouble: keep the worker alive
                log.error("worker.round_failed", worker=self.name, error=_reason(exc))
                claimed = 0
            if self._full_round is None or claimed < self._full_round:
                await wait(self._wake, self._idle_poll_s)


def periodic(name: str, job: Callable[[], Awaitable[object]], interval_s: float) -> WorkLoop:
    """A schedule, not pending work: `job` now, then every `interval_s` (nothing wakes it but
    the clock); a run that fails is logged and the next one does its work."""

    async def work_round() -> int:
        await job()
        return 0

    return WorkLoop(name, work_round, asyncio.Event(), idle_poll_s=interval_s)


class LeaseKeeper:
    """Extends, every third of a lease, the leases of what a worker holds now."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        table: WorkTable,
        lease_s: float,
        held: Callable[[], Iterable[Key]],
        *,
        where: str = "TRUE",
    ) -> None:
        self._pool = pool
        self._table = table
        self._lease_s = lease_s
        self._held = held
        self._where = where

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._lease_s / 3)
            keys = list(self._held())
            if not keys:
                continue
            try:
                async with self._pool.acquire() as conn:
                    await self._table.extend(conn, keys, self._lease_s, where=self._where)
            except Exception as exc:
                log.error("worker.lease_renewal_failed", table=self._table.name, error=_reason(exc))


async def finish_tasks(tasks: Collection["asyncio.Task[Any]"], timeout_s: float) -> None:
    """Let the items in hand finish (and record their outcome) before the process stops."""
    if tasks:
        with contextlib.suppress(Exception):
            await asyncio.wait(set(tasks), timeout=timeout_s)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
