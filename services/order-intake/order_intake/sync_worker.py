"""The sync worker: reads the orders that triggers asked for, many per Shopify query.

Claims due `pending_syncs` rows (leased with FOR UPDATE SKIP LOCKED, so several workers or
processes never read the same order at once), reads each shop's batch with one `nodes(ids:)`
query, then applies the batch in one transaction, deleting its rows in the same transaction (an
order the batch cannot take is then retried on its own, so it fails alone). A failed read leaves
the rows pending with a growing delay; after `sync_max_attempts` they are marked failed with the
reason.
"""

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from order_intake import store
from order_intake.apply import apply_orders
from order_intake.settings import IntakeSettings
from order_intake.store import ClaimedSync
from shop_config import ShopConfig, ShopsConfig
from shopify_admin.operations import ORDERS_BY_ID
from shopify_admin.pagination import GraphQLExecutor, fetch_nodes
from shopify_admin.retry import BackoffPolicy
from storage.signals import Signals, wait

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SyncStats:
    """What the worker has done since the process started (for /status and benchmarks)."""

    reads: int = 0
    orders_read: int = 0
    largest_read: int = 0
    applied: int = 0
    failed_attempts: int = 0
    batch_sizes: list[int] = field(default_factory=list)

    def record_read(self, size: int) -> None:
        self.reads += 1
        self.orders_read += size
        self.largest_read = max(self.largest_read, size)
        self.batch_sizes = [*self.batch_sizes[-99:], size]

    def as_json(self) -> dict[str, Any]:
        return {
            "reads": self.reads,
            "orders_read": self.orders_read,
            "largest_read": self.largest_read,
            "applied": self.applied,
            "failed_attempts": self.failed_attempts,
        }


def retry_delay_s(attempts_so_far: int, settings: IntakeSettings) -> float | None:
    """Delay before the next read after a failure, or None to give up (mark failed)."""
    if attempts_so_far + 1 >= settings.sync_max_attempts:
        return None
    backoff = BackoffPolicy(settings.sync_retry_base_s, settings.sync_retry_max_s)
    return backoff.ceiling(attempts_so_far + 1)


class SyncWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        shops: ShopsConfig,
        clients: Mapping[str, GraphQLExecutor],
        settings: IntakeSettings,
        signals: Signals,
        clock: Clock = utc_now,
    ) -> None:
        self._pool = pool
        self._shops = shops
        self._clients = clients
        self._settings = settings
        self._clock = clock
        self._wake = signals.subscribe(store.SYNC_CHANNEL)
        self.stats = SyncStats()

    async def run(self) -> None:
        """Until cancelled: work while there is work, then sleep until NOTIFY or the idle poll.

        With a backlog (full batches), up to `sync_concurrency` rounds are in flight at once, so
        the next batch is read from Shopify while the last one is written. Without one, the
        next claim waits for the round in flight: triggers arriving meanwhile make one batch.
        """
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while True:
                self._wake.clear()
                try:
                    claimed = await self._claim()
                except Exception as exc:  # database trouble: keep the worker alive
                    log.error("sync.round_failed", error=f"{type(exc).__name__}: {exc}")
                    claimed = []
                if claimed:
                    round_ = asyncio.create_task(self._sync(claimed))
                    in_flight.add(round_)
                    round_.add_done_callback(in_flight.discard)
                backlog = len(claimed) == self._settings.sync_batch_size
                if backlog and len(in_flight) < self._settings.sync_concurrency:
                    continue
                if in_flight:
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                else:
                    await wait(self._wake, self._settings.sync_idle_poll_s)
        finally:
            for round_ in in_flight:
                round_.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _claim(self) -> list[ClaimedSync]:
        async with self._pool.acquire() as conn, conn.transaction():
            return await store.claim_due_syncs(
                conn, self._settings.sync_batch_size, self._settings.sync_lease_s
            )

    async def _sync(self, claimed: Sequence[ClaimedSync]) -> None:
        by_shop: dict[str, list[ClaimedSync]] = defaultdict(list)
        for row in claimed:
            by_shop[row.shop].append(row)
        await asyncio.gather(*(self._sync_shop(shop, rows) for shop, rows in by_shop.items()))

    async def _sync_shop(self, domain: str, rows: Sequence[ClaimedSync]) -> None:
        shop = self._shops.get(domain)
        client = self._clients.get(domain)
        if shop is None or client is None:
            why = "shop not configured" if shop is None else "no access token for the shop"
            await self._fail_all(rows, why, permanent=True)
            return
        try:
            found = await fetch_nodes(
                client,
                ORDERS_BY_ID,
                [row.order_gid for row in rows],
                batch_size=self._settings.sync_batch_size,
            )
        except Exception as exc:  # Shopify unavailable, refused, or answered nonsense
            log.warning("sync.read_failed", shop=domain, orders=len(rows), error=str(exc))
            await self._fail_all(rows, f"reading from Shopify failed: {exc}", permanent=False)
            return
        self.stats.record_read(len(rows))
        # Deleted, or beyond what the app may see (older than 60 days): nothing to retry.
        missing = [row for row in rows if row.order_gid not in found]
        if missing:
            await self._fail_all(missing, "order not found in Shopify", permanent=True)
        present = [row for row in rows if row.order_gid in found]
        try:
            await self._apply(shop, present, found)
        except Exception:
            # One order the batch cannot take must not hold back the others: each on its own.
            for row in present:
                await self._apply_alone(shop, row, found[row.order_gid])

    async def _apply(
        self, shop: ShopConfig, rows: Sequence[ClaimedSync], found: Mapping[str, dict[str, Any]]
    ) -> None:
        if not rows:
            return
        async with self._pool.acquire() as conn, conn.transaction():
            await apply_orders(conn, shop, [found[row.order_gid] for row in rows], self._clock())
            await store.finish_syncs(conn, rows)
        self.stats.applied += len(rows)

    async def _apply_alone(self, shop: ShopConfig, row: ClaimedSync, order: dict[str, Any]) -> None:
        try:
            await self._apply(shop, [row], {row.order_gid: order})
        except Exception as exc:
            log.error("sync.apply_failed", order_gid=row.order_gid, error=str(exc))
            await self._fail_all([row], f"applying the order failed: {exc}", permanent=False)

    async def _fail_all(self, rows: Sequence[ClaimedSync], error: str, *, permanent: bool) -> None:
        self.stats.failed_attempts += len(rows)
        async with self._pool.acquire() as conn, conn.transaction():
            for row in rows:
                delay = None if permanent else retry_delay_s(row.attempts, self._settings)
                await store.sync_failed(conn, row, error, delay)
