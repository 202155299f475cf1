"""The pusher: queued targets become inventorySetQuantities calls, up to 250 quantities each.

Per location, `push_concurrency` workers each: take a batch (a due retry first, else a new one
from the queue), send it, record the answer. Every call carries `changeFromQuantity` (what we
believe Shopify has) and an idempotency key written with the batch before it is sent, so:

- a repeat after a timeout or a crash is a no-op at Shopify (same key, same content);
- a quantity that moved behind our back (an order, a merchant's edit) makes Shopify refuse the
  whole batch with CHANGE_FROM_QUANTITY_STALE: those items are re-read and the batch's items
  queued again, to go out in a new batch (new key) with the figures Shopify has now;
- THROTTLED, 429 and 5xx are retried by the client (which also paces calls to the shop's
  bucket); if Shopify stays unavailable the batch is kept and sent again later, same key.

A feed that cannot push yet (a fulfillment service whose registration is not known) has its
workers all the same: they find nothing to do until it can, and then push to the location it
has now.

Overlapping calls: the first worker of a location always sends; the others only while the
shop's bucket (the client's model of it) holds `push_headroom_calls` calls' worth of points.
With a full bucket, two calls in flight hide each one's round trip; near an empty bucket the
calls are paced by the bucket anyway, and there a second call in flight would be counted twice
(the model cannot tell whether Shopify already admitted it) and halve the pace.
"""

import asyncio
import functools
import time
from collections.abc import Mapping
from typing import Any

import asyncpg
import structlog

from inventory_sync import domain, push_store
from inventory_sync.feeds import Feed, Feeds
from inventory_sync.metrics import MUTATIONS, QUANTITIES_PUSHED, STALE_RETRIES
from inventory_sync.push_store import PUSH_BATCHES
from inventory_sync.settings import InventorySettings
from shopify_admin import ShopifyClient, ShopifyError
from shopify_admin.mutations import QuantitySetting, set_inventory_quantities
from shopify_admin.operations import INVENTORY_ITEM_LEVELS, INVENTORY_SET_QUANTITIES
from shopify_admin.pagination import fetch_nodes
from shopify_admin.throttle import ThrottleRegistry
from storage.signals import Signals
from work_queue import LeaseKeeper, WorkLoop, WorkStats

log = structlog.get_logger(__name__)

HEADROOM_RECHECK_S = 0.05

REASON = "correction"
"""Shopify's adjustment reason: the warehouse's count corrects what Shopify shows."""


class Pusher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        feeds: Feeds,
        clients: Mapping[str, ShopifyClient],
        settings: InventorySettings,
        signals: Signals,
        throttles: ThrottleRegistry,
    ) -> None:
        self._pool = pool
        self._feeds = feeds
        self._clients = clients
        self._settings = settings
        self._signals = signals
        self._throttles = throttles
        self._backoff = settings.push_backoff
        self._stats = WorkStats("errors_since_start")
        self._last_error: str | None = None
        self._sending: set[int] = set()
        """The batches whose call is in flight now."""

    async def run(self) -> None:
        loops = [
            WorkLoop(
                f"push:{state.shop}:{state.facility}:{index}",
                functools.partial(self._round, state.shop, state.facility, first=index == 0),
                self._signals.subscribe(PUSH_BATCHES.channel),
                idle_poll_s=self._settings.idle_poll_s,
                full_round=1,
            )
            for state in self._feeds.states()
            if state.shop in self._clients
            for index in range(self._settings.push_concurrency)
        ]
        # A call Shopify holds longer than the lease (its own retries included) must not let a
        # second worker send the same batch meanwhile: the leases of the calls in flight are kept.
        keeper = LeaseKeeper(
            self._pool,
            PUSH_BATCHES,
            self._settings.push_lease_s,
            lambda: [(batch_id,) for batch_id in self._sending],
        )
        await asyncio.gather(keeper.run(), *(loop.run() for loop in loops))

    async def _round(self, shop: str, facility: str, *, first: bool) -> int:
        """1 if a batch was sent or targets settled (more may be waiting), 0 if idle."""
        # Looked up each round: a fulfillment service's feed can push once its registration is
        # known, and to the location it has then.
        feed = self._feeds.get(shop, facility)
        if feed is None:
            return 0
        if not first and not self._bucket_has_room(feed.shop):
            # Not idle: the work is there, the bucket is not. Look again shortly.
            await asyncio.sleep(HEADROOM_RECHECK_S)
            return 1
        try:
            return 1 if await self.push_once(feed) else 0
        except Exception as exc:  # WorkLoop logs it and goes on; /status shows the last one
            self._failed(f"{type(exc).__name__}: {exc}")
            raise

    def _failed(self, error: str) -> None:
        self._stats.add("errors_since_start")
        self._last_error = error

    def status(self) -> dict[str, Any]:
        """This process's part of /status: calls in flight now, errors since it started."""
        return {
            "calls_in_flight": len(self._sending),
            **self._stats.as_json(),
            "last_error": self._last_error,
        }

    def _bucket_has_room(self, shop: str) -> bool:
        bucket = self._throttles.for_shop(shop).bucket
        room: float = self._settings.push_headroom_calls * INVENTORY_SET_QUANTITIES.cost
        available: float = bucket.projected_available(time.monotonic())
        return available >= room

    async def push_once(self, feed: Feed) -> bool:
        """Send one batch; False when there was nothing to do."""
        batch = await self._next_batch(feed)
        if batch is None:
            return False
        if isinstance(batch, push_store.Batch):
            await self._send(feed, batch)
        return True

    async def _next_batch(self, feed: Feed) -> push_store.Batch | bool | None:
        """A batch to send; True if targets were settled without a call; None if idle."""
        lease = self._settings.push_lease_s
        async with self._pool.acquire() as conn, conn.transaction():
            due = await push_store.claim_due_batch(conn, feed, lease)
            if due is not None:
                return due
            taken = await push_store.take_queued(conn, feed, self._settings.push_batch_size)
            if not taken:
                return None
            cut = domain.cut_batch(t.queued for t in taken)
            by_item = {t.queued.item_id: t for t in taken}
            await push_store.record_skipped(
                conn,
                feed,
                [by_item[q.item_id] for q in cut.already_right],
                [by_item[q.item_id] for q in cut.not_stocked],
            )
            if not cut.to_send:
                return True
            return await push_store.create_batch(
                conn, feed, [by_item[q.item_id] for q in cut.to_send], lease
            )

    async def _send(self, feed: Feed, batch: push_store.Batch) -> None:
        client = self._clients[feed.shop]
        location = domain.location_gid(feed.location_id)
        quantities = [
            QuantitySetting(domain.item_gid(i.item_id), location, i.quantity, i.change_from)
            for i in batch.items
        ]
        self._sending.add(batch.id)
        try:
            result = await set_inventory_quantities(
                client,
                quantities,
                name="available",
                reason=REASON,
                idempotency_key=batch.idempotency_key,
                reference_document_uri=f"shipbridge://inventory-sync/{feed.facility}/{batch.id}",
            )
        except ShopifyError as exc:
            await self._postpone(feed, batch, exc)
            return
        finally:
            self._sending.discard(batch.id)
        MUTATIONS.labels(feed.shop).inc()
        if result.ok:
            async with self._pool.acquire() as conn, conn.transaction():
                await push_store.record_applied(conn, feed, batch)
            QUANTITIES_PUSHED.labels(feed.shop).inc(len(batch.items))
            return
        answer = domain.read_user_errors(result.user_errors, len(quantities))
        await self._refused(feed, batch, answer)

    async def _refused(
        self, feed: Feed, batch: push_store.Batch, answer: domain.BatchAnswer
    ) -> None:
        items = {i.position: i for i in batch.items}
        refused = {
            r.position: domain.SetAside(items[r.position].sku, r.reason, r.detail)
            for r in answer.refused
        }
        if answer.whole_batch:
            # Nothing names a quantity: the request itself is wrong, and would be again.
            detail = "; ".join(answer.whole_batch)[:500]
            refused = {
                i.position: domain.SetAside(i.sku, "rejected_by_shopify", detail)
                for i in batch.items
            }
            log.error("push.batch_refused", facility=feed.facility, errors=detail)
        reread: dict[int, int | None] = {}
        if answer.stale:
            STALE_RETRIES.labels(feed.shop).inc()
            stale_items = [items[p].item_id for p in answer.stale]
            log.info("push.stale_reread", facility=feed.facility, items=len(stale_items))
            try:
                reread = await self._reread(feed, stale_items)
            except ShopifyError as exc:  # the retry will be refused again and re-read then
                log.warning("push.reread_failed", facility=feed.facility, error=str(exc))
        async with self._pool.acquire() as conn, conn.transaction():
            await push_store.record_refused(
                conn, feed, batch, refused=refused, reread=reread, stale=bool(answer.stale)
            )

    async def _reread(self, feed: Feed, item_ids: list[int]) -> dict[int, int | None]:
        """What Shopify has now for these items at the location (None: not stocked there)."""
        found = await fetch_nodes(
            self._clients[feed.shop],
            INVENTORY_ITEM_LEVELS,
            [domain.item_gid(i) for i in item_ids],
            variables={"locationId": domain.location_gid(feed.location_id)},
        )
        levels: dict[int, int | None] = {}
        for item_id in item_ids:
            node = found.get(domain.item_gid(item_id))
            level = node.get("inventoryLevel") if node else None
            levels[item_id] = domain.available_of(level) if level else None
        return levels

    async def _postpone(self, feed: Feed, batch: push_store.Batch, exc: ShopifyError) -> None:
        self._failed(str(exc))
        delay = self._backoff.after_failure(batch.attempts)
        log.warning("push.postponed", facility=feed.facility, error=str(exc), retry_in_s=delay)
        async with self._pool.acquire() as conn, conn.transaction():
            await push_store.postpone(conn, batch, str(exc), delay)
