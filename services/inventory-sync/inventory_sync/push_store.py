"""The push queue and its batches: their SQL.

A batch is written (items, `changeFromQuantity`, idempotency key) before it is sent and deleted
in the transaction that records Shopify's answer. Until then it is what gets sent, byte for byte,
whatever happens to the process: Shopify's idempotency key makes a repeat harmless. A batch that
Shopify refused (userErrors) is never sent again under its key; its items go back to the queue.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from inventory_sync import job_store
from inventory_sync.domain import Queued, SetAside
from inventory_sync.feeds import Feed, FeedKey
from storage import Connection
from work_queue import WorkTable

PUSH_BATCHES = WorkTable("push_batches", {"id": "bigint"}, channel="inventory_sync_push")
"""Batches written and not yet answered by Shopify. Its channel wakes the pusher, which also
takes new targets from the queue: writers of either call `PUSH_BATCHES.wake`."""


@dataclass(frozen=True)
class BatchItem:
    position: int
    item_id: int
    sku: str
    quantity: int
    change_from: int
    origin: UUID | None
    queued_at: datetime


@dataclass(frozen=True)
class Batch:
    id: int
    idempotency_key: str
    attempts: int
    """Failed sends before this one."""
    items: list[BatchItem]


@dataclass(frozen=True)
class Taken:
    """A queue row taken for a batch."""

    queued: Queued
    origin: UUID | None
    queued_at: datetime


async def claim_due_batch(conn: Connection, feed: Feed, lease_s: float) -> Batch | None:
    """A batch to send again: its earlier attempt failed, or its sender died (lease expired)."""
    rows = await PUSH_BATCHES.claim(
        conn,
        limit=1,
        lease_s=lease_s,
        where="c.shop = $3 AND c.location_id = $4",
        args=[feed.shop, feed.location_id],
        order_by="c.id",
        returning="w.id, w.idempotency_key, w.attempts",
    )
    if not rows:
        return None
    [row] = rows
    items = await conn.fetch(
        "SELECT position, inventory_item_id, sku, quantity, change_from, origin, queued_at "
        "FROM push_batch_items WHERE batch = $1 ORDER BY position",
        row["id"],
    )
    return Batch(
        row["id"],
        row["idempotency_key"],
        row["attempts"],
        [
            BatchItem(
                i["position"],
                i["inventory_item_id"],
                i["sku"],
                i["quantity"],
                i["change_from"],
                i["origin"],
                i["queued_at"],
            )
            for i in items
        ],
    )


async def take_queued(conn: Connection, feed: Feed, limit: int) -> list[Taken]:
    """Take up to `limit` queued targets, oldest first, skipping items already in a batch."""
    rows = await conn.fetch(
        """
        WITH picked AS (
            SELECT q.ctid FROM push_queue q
            LEFT JOIN LATERAL (
                SELECT 1 AS busy FROM push_batch_items b
                WHERE b.shop = $1 AND b.location_id = $2
                  AND b.inventory_item_id = q.inventory_item_id
                LIMIT 1
            ) in_batch ON true
            WHERE q.shop = $1 AND q.location_id = $2 AND in_batch.busy IS NULL
            ORDER BY q.queued_at
            LIMIT $3
            FOR UPDATE OF q SKIP LOCKED
        ),
        -- Lookups by the whole key (LATERAL) and by row address (the rows are locked, so they
        -- cannot move): Postgres' statistics lag behind these tables' churn, and joins planned
        -- from them became loops over the whole queue or every batch item (seconds each).
        taken AS (
            DELETE FROM push_queue WHERE ctid = ANY(ARRAY(SELECT ctid FROM picked))
            RETURNING inventory_item_id, sku, target, origin, queued_at
        )
        SELECT t.*, l.available AS current
        FROM taken t
        LEFT JOIN shopify_levels l
               ON l.shop = $1 AND l.location_id = $2 AND l.inventory_item_id = t.inventory_item_id
        ORDER BY t.queued_at, t.inventory_item_id
        """,
        feed.shop,
        feed.location_id,
        limit,
    )
    return [
        Taken(
            Queued(r["inventory_item_id"], r["sku"], r["target"], r["current"]),
            r["origin"],
            r["queued_at"],
        )
        for r in rows
    ]


async def create_batch(
    conn: Connection, feed: Feed, rows: Sequence[Taken], lease_s: float
) -> Batch:
    key = f"shipbridge-inventory-{uuid.uuid4()}"
    batch_id: int = await conn.fetchval(
        """
        INSERT INTO push_batches (shop, location_id, facility, idempotency_key, lease_until)
        VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING id
        """,
        feed.shop,
        feed.location_id,
        feed.facility,
        key,
        lease_s,
    )
    items = []
    for position, row in enumerate(rows):
        assert row.queued.current is not None  # domain.cut_batch sends only stocked items
        items.append(
            BatchItem(
                position,
                row.queued.item_id,
                row.queued.sku,
                row.queued.target,
                row.queued.current,
                row.origin,
                row.queued_at,
            )
        )
    await conn.execute(
        """
        INSERT INTO push_batch_items (batch, shop, location_id, position, inventory_item_id, sku,
                                      quantity, change_from, origin, queued_at)
        SELECT $1, $2, $3, * FROM unnest($4::int[], $5::bigint[], $6::text[], $7::int[],
                                         $8::int[], $9::uuid[], $10::timestamptz[])
        """,
        batch_id,
        feed.shop,
        feed.location_id,
        [i.position for i in items],
        [i.item_id for i in items],
        [i.sku for i in items],
        [i.quantity for i in items],
        [i.change_from for i in items],
        [i.origin for i in items],
        [i.queued_at for i in items],
    )
    return Batch(batch_id, key, 0, items)


async def record_applied(conn: Connection, feed: Feed, batch: Batch) -> None:
    """Shopify now has the batch's quantities: track them, report them, forget the batch."""
    await conn.execute(
        """
        UPDATE shopify_levels l SET available = b.quantity, pushed_at = now()
        FROM push_batch_items b
        WHERE b.batch = $1 AND l.shop = b.shop AND l.location_id = b.location_id
          AND l.inventory_item_id = b.inventory_item_id
        """,
        batch.id,
    )
    realtime = [i.queued_at for i in batch.items if i.origin is None]
    if realtime:
        await conn.execute(
            """
            INSERT INTO feed_counters (shop, facility, last_realtime_push_at, last_realtime_lag_ms)
            VALUES ($1, $2, now(), (extract(epoch FROM now() - $3::timestamptz) * 1000)::int)
            ON CONFLICT (shop, facility) DO UPDATE
            SET last_realtime_push_at = EXCLUDED.last_realtime_push_at,
                last_realtime_lag_ms = EXCLUDED.last_realtime_lag_ms
            """,
            feed.shop,
            feed.facility,
            min(realtime),
        )
    counts = _per_origin(batch.items, "pushed")
    for increments in counts.values():
        increments["mutations"] = 1
    await _forget(conn, batch)
    await job_store.add_push_counts(conn, counts)


async def record_refused(
    conn: Connection,
    feed: Feed,
    batch: Batch,
    *,
    refused: Mapping[int, SetAside],
    reread: Mapping[int, int | None],
    stale: bool,
) -> None:
    """Shopify applied nothing of the batch. Refused items are set aside; re-read items take
    Shopify's figure; everything else goes back to the queue (a newer target wins)."""
    await _track_reread(conn, feed, reread)
    await set_aside(conn, feed, list(refused.values()))
    retry = [i for i in batch.items if i.position not in refused]
    await _requeue(conn, feed, retry)
    counts = _per_origin([i for i in batch.items if i.position in refused], "push_failed")
    for item in batch.items:
        if item.origin is not None:
            counts[item.origin]["mutations"] = 1
            if stale:
                counts[item.origin]["stale_retries"] = 1
    await _forget(conn, batch)
    await job_store.add_push_counts(conn, counts)


async def postpone(conn: Connection, batch: Batch, error: str, retry_in_s: float | None) -> None:
    """Shopify could not be reached: the same batch, same key, is sent again later."""
    await PUSH_BATCHES.retry_later(conn, [(batch.id,)], error, retry_in_s)


async def record_skipped(
    conn: Connection, feed: Feed, already_right: Sequence[Taken], not_stocked: Sequence[Taken]
) -> None:
    """Targets taken from the queue that need no call: Shopify already has them, or the item
    is no longer stocked at the location (set aside)."""
    await set_aside(
        conn, feed, [SetAside(t.queued.sku, "not_stocked_at_location") for t in not_stocked]
    )
    counts: dict[UUID, dict[str, int]] = defaultdict(dict)
    for name, rows in (("already_right", already_right), ("push_failed", not_stocked)):
        for taken in rows:
            if taken.origin is not None:
                counts[taken.origin][name] = counts[taken.origin].get(name, 0) + 1
    await job_store.add_push_counts(conn, counts)


async def set_aside(conn: Connection, feed: FeedKey, rows: Sequence[SetAside]) -> None:
    """Record SKUs that cannot be pushed; `since` is when the current reason first applied."""
    if not rows:
        return
    await conn.execute(
        """
        INSERT INTO set_aside (shop, facility, sku, reason, detail)
        SELECT $1, $2, sku, reason, detail
        FROM unnest($3::text[], $4::text[], $5::text[]) AS u(sku, reason, detail)
        ON CONFLICT (shop, facility, sku) DO UPDATE
        SET reason = EXCLUDED.reason, detail = EXCLUDED.detail, last_seen_at = now(),
            since = CASE WHEN set_aside.reason = EXCLUDED.reason
                         THEN set_aside.since ELSE now() END
        """,
        feed.shop,
        feed.facility,
        [r.sku for r in rows],
        [r.reason for r in rows],
        [r.detail for r in rows],
    )


async def _track_reread(conn: Connection, feed: Feed, reread: Mapping[int, int | None]) -> None:
    present = {item: qty for item, qty in reread.items() if qty is not None}
    gone = [item for item, qty in reread.items() if qty is None]
    if present:
        await conn.execute(
            """
            UPDATE shopify_levels l SET available = u.available, read_at = now()
            FROM unnest($3::bigint[], $4::int[]) AS u(item, available)
            WHERE l.shop = $1 AND l.location_id = $2 AND l.inventory_item_id = u.item
            """,
            feed.shop,
            feed.location_id,
            list(present),
            list(present.values()),
        )
    if gone:
        await conn.execute(
            "DELETE FROM shopify_levels "
            "WHERE shop = $1 AND location_id = $2 AND inventory_item_id = ANY($3::bigint[])",
            feed.shop,
            feed.location_id,
            gone,
        )


async def _requeue(conn: Connection, feed: Feed, items: Sequence[BatchItem]) -> None:
    if not items:
        return
    await conn.execute(
        """
        INSERT INTO push_queue
            (shop, location_id, facility, inventory_item_id, sku, target, origin, queued_at)
        SELECT $1, $2, $3, * FROM unnest($4::bigint[], $5::text[], $6::int[], $7::uuid[],
                                         $8::timestamptz[])
        ON CONFLICT (shop, location_id, inventory_item_id) DO NOTHING
        """,
        feed.shop,
        feed.location_id,
        feed.facility,
        [i.item_id for i in items],
        [i.sku for i in items],
        [i.quantity for i in items],
        [i.origin for i in items],
        [i.queued_at for i in items],
    )


async def _forget(conn: Connection, batch: Batch) -> None:
    await conn.execute("DELETE FROM push_batches WHERE id = $1", batch.id)


def _per_origin(items: Iterable[BatchItem], counter: str) -> dict[UUID, dict[str, int]]:
    counts: dict[UUID, dict[str, int]] = defaultdict(dict)
    for item in items:
        if item.origin is not None:
            counts[item.origin][counter] = counts[item.origin].get(counter, 0) + 1
    return counts
