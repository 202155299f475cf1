"""The sync worker: reads the orders that triggers asked for, many per Shopify query.

Each round of its WorkLoop claims due `pending_syncs` rows (store.PENDING_SYNCS: leased, so
several workers or processes never read the same order at once), reads each shop's batch with
one `nodes(ids:)` query, then applies the batch in one transaction, deleting its rows in the
same transaction (an order the batch cannot take is then retried on its own, so it fails
alone). A failed read leaves the rows pending, due again after the settings' BackoffPolicy;
after `sync_max_attempts` they are marked failed with the reason.

Some reads fail for good at once, named on /status (failed syncs) instead of being retried: an
order Shopify no longer has (`nodes` answers null), and an order whose customer data Shopify
withholds from the app (ACCESS_DENIED on its address or email: protected customer data). An
order bigger than the first page is read whole first (order_reads), and an order fulfilled whole
is closed in Shopify when the shop asks for it (closing). Calls and points are metered: in
total, and per big order (`recent_big_orders`).
"""

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil
from typing import Any

import asyncpg
import structlog

from order_intake import store
from order_intake.apply import apply_orders
from order_intake.closing import OrderCloseRefused, close_if_fulfilled
from order_intake.order_reads import (
    NOT_FOUND,
    complete_order,
    order_read_variables,
    withheld_reason,
)
from order_intake.settings import IntakeSettings
from order_intake.shopify_order import is_partial
from order_intake.store import ClaimedSync
from shop_config import ShopConfig, ShopsConfig
from shopify_admin.metering import CostMeter, metered
from shopify_admin.operations import ORDERS_BY_ID
from shopify_admin.pagination import GraphQLExecutor, read_nodes
from storage.signals import Signals
from work_queue import Key, WorkLoop, WorkStats

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class BigOrderRead:
    """What reading one order past its first page cost (the benchmark's "per 300-line order")."""

    order_gid: str
    order_name: str
    fulfillment_orders: int
    lines: int
    calls: int
    """Shopify requests for this order: its share of the batch read counts as one."""
    points: int
    """Points of the extra reads, plus its share of the batch read's points."""

    def as_json(self) -> dict[str, Any]:
        return {
            "order": self.order_name,
            "order_gid": self.order_gid,
            "fulfillment_orders": self.fulfillment_orders,
            "lines": self.lines,
            "calls": self.calls,
            "points": self.points,
        }


RECENT_BIG_ORDERS = 20


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
        self._loop = WorkLoop(
            "order-sync",
            self._round,
            self._wake,
            idle_poll_s=settings.sync_idle_poll_s,
            full_round=settings.sync_batch_size,
        )
        self._in_flight: set[asyncio.Task[None]] = set()
        self._backlog = False
        # shopify_calls: every Shopify request the worker sent (batch reads, pages of big
        # orders, orderClose); withheld_customer_data: orders refused because Shopify withholds
        # their customer data (ACCESS_DENIED).
        self.stats = WorkStats(
            "reads",
            "orders_read",
            "largest_read",
            "applied",
            "failed_attempts",
            "shopify_calls",
            "shopify_points",
            "not_found",
            "withheld_customer_data",
            "big_orders",
            "closed_orders",
            "close_refused",
        )
        self.recent_big_orders: list[BigOrderRead] = []
        self.last_close_error: str | None = None

    def status(self) -> dict[str, Any]:
        """What the worker has done since the process started (for /status and benchmarks)."""
        return {
            **self.stats.as_json(),
            "recent_big_orders": [read.as_json() for read in self.recent_big_orders],
            "last_close_error": self.last_close_error,
        }

    async def run(self) -> None:
        """Until cancelled. The batches still being read then are abandoned: their leases run
        out and they are read again."""
        try:
            await self._loop.run()
        finally:
            for batch in list(self._in_flight):
                batch.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _round(self) -> int:
        """Claim a batch and start reading it, without waiting for the read; returns how many
        orders it claimed.

        With a backlog (the last claim was full), up to `sync_concurrency` batches are in flight
        at once, so the next batch is read from Shopify while the last one is written. Without
        one, the next claim waits for the batch in flight: triggers arriving meanwhile make one
        batch.
        """
        room = self._settings.sync_concurrency if self._backlog else 1
        if len(self._in_flight) >= room:
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await store.claim_due_syncs(
                conn, self._settings.sync_batch_size, self._settings.sync_lease_s
            )
        self._backlog = len(claimed) == self._settings.sync_batch_size
        if claimed:
            batch = asyncio.create_task(self._sync(claimed))
            self._in_flight.add(batch)
            batch.add_done_callback(self._batch_done)
        return len(claimed)

    def _batch_done(self, batch: "asyncio.Task[None]") -> None:
        self._in_flight.discard(batch)
        # The loop may be waiting for room: it looks again now, not at the idle poll.
        self._wake.set()

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
        with metered() as batch_cost:
            try:
                read = await read_nodes(
                    client,
                    ORDERS_BY_ID,
                    [row.order_gid for row in rows],
                    batch_size=self._settings.sync_batch_size,
                    variables=order_read_variables(shop),
                )
            except Exception as exc:  # Shopify unavailable, refused, or answered nonsense
                log.warning("sync.read_failed", shop=domain, orders=len(rows), error=str(exc))
                await self._fail_all(rows, f"reading from Shopify failed: {exc}", permanent=False)
                return
            finally:
                self._record_cost(batch_cost)
        self.stats.add("reads")
        self.stats.add("orders_read", len(rows))
        self.stats.high_water("largest_read", len(rows))
        # Deleted, or beyond what the app may see (older than 60 days): nothing to retry.
        missing = [row for row in rows if read.found.get(row.order_gid) is None]
        if missing:
            self.stats.add("not_found", len(missing))
            await self._fail_all(missing, NOT_FOUND, permanent=True)
        # Customer data Shopify withholds from the app stays withheld until the merchant's plan
        # or the app's access changes: an operator matter, not a transient failure.
        for row in rows:
            denied = read.denied.get(row.order_gid)
            if denied and read.found.get(row.order_gid) is not None:
                log.warning("sync.customer_data_withheld", order_gid=row.order_gid)
                self.stats.add("withheld_customer_data")
                await self._fail_all([row], withheld_reason(denied), permanent=True)
        candidates = [
            row
            for row in rows
            if read.found.get(row.order_gid) is not None and row.order_gid not in read.denied
        ]
        share = ceil(batch_cost.points / len(rows)) if rows else 0
        found: dict[str, dict[str, Any]] = {}
        for row in candidates:
            node = read.found[row.order_gid]
            assert node is not None
            complete = await self._complete(shop, client, row, node, share)
            if complete is not None:
                found[row.order_gid] = complete
        present = [row for row in candidates if row.order_gid in found]
        try:
            await self._apply(shop, present, found)
        except Exception:
            # One order the batch cannot take must not hold back the others: each on its own.
            for row in present:
                await self._apply_alone(shop, row, found[row.order_gid])

    async def _complete(
        self,
        shop: ShopConfig,
        client: GraphQLExecutor,
        row: ClaimedSync,
        node: dict[str, Any],
        batch_share: int,
    ) -> dict[str, Any] | None:
        """The whole order (read past its first page if need be), closed in Shopify if it is
        fulfilled and the shop wants that; None when that failed (the row is then failed)."""
        partial = is_partial(node)
        if not partial and not shop.fulfillment.close_fulfilled_orders:
            return node  # the common case: nothing more to ask Shopify, nothing to meter
        with metered() as cost:
            doing = "reading the rest of the order from Shopify"
            try:
                complete = await complete_order(client, node) if partial else node
                if partial:
                    self._record_big_order(complete, cost, batch_share)
                doing = "closing the order in Shopify"
                await self._close_if_fulfilled(shop, client, complete)
            except Exception as exc:
                log.warning(
                    "sync.shopify_failed", order_gid=row.order_gid, doing=doing, error=str(exc)
                )
                await self._fail_all([row], f"{doing} failed: {exc}", permanent=False)
                return None
            finally:
                self._record_cost(cost)
        return complete

    def _record_big_order(self, complete: dict[str, Any], cost: CostMeter, share: int) -> None:
        fos = (complete.get("fulfillmentOrders") or {}).get("nodes") or []
        read = BigOrderRead(
            order_gid=str(complete.get("id")),
            order_name=str(complete.get("name")),
            fulfillment_orders=len(fos),
            lines=sum(len((fo.get("lineItems") or {}).get("nodes") or []) for fo in fos),
            calls=1 + cost.calls,
            points=share + cost.points,
        )
        log.info("sync.big_order_read", **read.as_json())
        self.stats.add("big_orders")
        self.recent_big_orders = [*self.recent_big_orders[1 - RECENT_BIG_ORDERS :], read]

    def _record_cost(self, meter: CostMeter) -> None:
        self.stats.add("shopify_calls", meter.calls)
        self.stats.add("shopify_points", meter.points)

    async def _close_if_fulfilled(
        self, shop: ShopConfig, client: GraphQLExecutor, node: dict[str, Any]
    ) -> None:
        """Close the order when all of it is fulfilled and the shop asks for it. Shopify being
        unavailable raises (the read is retried, closing with it); a refusal is reported."""
        try:
            closed = await close_if_fulfilled(client, shop, node)
        except OrderCloseRefused as exc:
            name = node.get("name")
            log.warning("sync.close_refused", order=name, error=str(exc))
            self.stats.add("close_refused")
            self.last_close_error = f"{name}: {exc}"
            return
        if closed:
            self.stats.add("closed_orders")

    async def _apply(
        self, shop: ShopConfig, rows: Sequence[ClaimedSync], found: Mapping[str, dict[str, Any]]
    ) -> None:
        if not rows:
            return
        async with self._pool.acquire() as conn, conn.transaction():
            await apply_orders(conn, shop, [found[row.order_gid] for row in rows], self._clock())
            await store.finish_syncs(conn, rows)
        self.stats.add("applied", len(rows))

    async def _apply_alone(self, shop: ShopConfig, row: ClaimedSync, order: dict[str, Any]) -> None:
        try:
            await self._apply(shop, [row], {row.order_gid: order})
        except Exception as exc:
            log.error("sync.apply_failed", order_gid=row.order_gid, error=str(exc))
            await self._fail_all([row], f"applying the order failed: {exc}", permanent=False)

    async def _fail_all(self, rows: Sequence[ClaimedSync], error: str, *, permanent: bool) -> None:
        """Count a failed read of each row: due again after its backoff, or failed for good
        (at once when `permanent`) with the reason."""
        self.stats.add("failed_attempts", len(rows))
        backoff = self._settings.sync_backoff
        by_delay: dict[float | None, list[Key]] = defaultdict(list)
        for row in rows:
            by_delay[None if permanent else backoff.after_failure(row.attempts)].append(row.key)
        async with self._pool.acquire() as conn, conn.transaction():
            for delay, keys in by_delay.items():
                await store.PENDING_SYNCS.retry_later(conn, keys, error, delay)
