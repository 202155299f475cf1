"""inventory-sync's section of /status: per facility, the last snapshot and what became of its
SKUs, the realtime feed's lag, what is in flight, the catalog; and the pushes still pending.
Per shop, the catalog as WMS items: counts, findings (duplicate SKUs, shippable variants without
a SKU, SKUs the WMS rejected) with the products to fix, and the last full syncs.

A facility connected as a fulfillment service shows its registration (service, location,
whether it manages inventory) and, while its feed cannot push, why (`waiting`)."""

from collections.abc import Mapping
from typing import Any

from inventory_sync import bulk_sync, item_store, job_store, registrations
from inventory_sync.domain import REASON_TEXT, location_gid
from inventory_sync.feeds import Feed, FeedKey, Feeds, FeedState, Registration
from inventory_sync.item_reads import PRODUCT_READS
from inventory_sync.settings import InventorySettings
from storage import Connection

SET_ASIDE_EXAMPLES = 10


async def status_section(
    conn: Connection,
    feeds: Feeds,
    settings: InventorySettings,
    pusher: Mapping[str, Any],
    catalog_shops: frozenset[str] = frozenset(),
    catalog_reads: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`pusher`: the pusher's own counters (`Pusher.status`); `catalog_reads`: the product
    reader's (`ItemReader.stats`)."""
    await registrations.refresh(conn, feeds)  # as the table has them now, whatever was notified
    facilities = [await _facility(conn, state, settings) for state in feeds.states()]
    return {
        "inventory": {
            "facilities": facilities,
            "pending_pushes": {**await _pending_pushes(conn), **pusher},
            "recent_jobs": await job_store.recent(conn, 5),
        },
        "catalog": {
            "shops": [await _catalog_shop(conn, shop) for shop in sorted(catalog_shops)],
            "product_reads": {
                **await PRODUCT_READS.summary(conn),
                **(catalog_reads or {}),
            },
        },
    }


async def _catalog_shop(conn: Connection, shop: str) -> dict[str, Any]:
    """The shop's catalog as WMS items, its findings with the products to fix, and its full
    syncs."""
    return {
        "shop": shop,
        **await item_store.report(conn, shop),
        "syncs": await bulk_sync.recent_syncs(conn, shop, 3),
    }


async def _facility(
    conn: Connection, feed: FeedState, settings: InventorySettings
) -> dict[str, Any]:
    pushing = feed.feed
    return {
        "shop": feed.shop,
        "facility": feed.facility,
        "connected_as": feed.connected_as,
        "location_id": location_gid(pushing.location_id) if pushing else None,
        "pushing": pushing is not None,
        "waiting": feed.waiting,
        "fulfillment_service": _registration(feed.registration)
        if feed.connected_as == "fulfillment_service"
        else None,
        "mode": feed.mode,
        "daily_at": feed.daily_at.isoformat(timespec="minutes"),
        "catalog": await _catalog(conn, pushing) if pushing else None,
        "last_snapshot": await _last_snapshot(conn, feed),
        "set_aside": await _set_aside(conn, feed),
        "realtime": await _realtime(conn, feed),
        "in_flight": await _in_flight(conn, feed, settings),
        "last_daily_run_on": await conn.fetchval(
            "SELECT last_run_on::text FROM daily_runs WHERE shop = $1 AND facility = $2",
            feed.shop,
            feed.facility,
        ),
    }


def _registration(registration: Registration | None) -> dict[str, Any] | None:
    if registration is None:
        return None
    return {
        "id": registration.fulfillment_service_id,
        "location_id": location_gid(registration.location_id),
        "inventory_management": registration.inventory_management,
        "tracking_support": registration.tracking_support,
        "registered_at": job_store.when(registration.registered_at),
    }


async def _catalog(conn: Connection, feed: Feed) -> dict[str, Any]:
    read = await conn.fetchrow(
        "SELECT finished_at, items, stocked, drift FROM catalog_reads "
        "WHERE shop = $1 AND location_id = $2",
        feed.shop,
        feed.location_id,
    )
    duplicates = await conn.fetchval(
        "SELECT count(*) FROM (SELECT sku FROM catalog_items WHERE shop = $1 "
        "GROUP BY sku HAVING count(*) > 1) d",
        feed.shop,
    )
    return {
        "read_at": job_store.when(read["finished_at"]) if read else None,
        "variants": read["items"] if read else 0,
        "stocked_at_location": read["stocked"] if read else 0,
        "drift_at_last_read": read["drift"] if read else None,
        "duplicate_skus": duplicates,
    }


async def _last_snapshot(conn: Connection, feed: FeedKey) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """
        SELECT s.snapshot_id, s.as_of, s.state, s.parts, p.received_parts, p.items, s.note,
               s.first_part_at, s.completed_at, j.id AS job_id
        FROM snapshots s
        LEFT JOIN LATERAL (SELECT id FROM jobs WHERE snapshot = s.id
                           ORDER BY created_at DESC LIMIT 1) j ON true
        LEFT JOIN LATERAL (SELECT count(*) AS received_parts, coalesce(sum(items), 0) AS items
                           FROM snapshot_parts WHERE snapshot = s.id) p ON true
        WHERE s.shop = $1 AND s.facility = $2
        ORDER BY s.first_part_at DESC LIMIT 1
        """,
        feed.shop,
        feed.facility,
    )
    if row is None:
        return None
    job = await job_store.get(conn, row["job_id"]) if row["job_id"] else None
    return {
        "snapshot_id": row["snapshot_id"],
        "as_of": job_store.when(row["as_of"]),
        "state": row["state"],
        "parts": row["parts"],
        "received_parts": row["received_parts"],
        "items": row["items"],
        "note": row["note"],
        "first_part_at": job_store.when(row["first_part_at"]),
        "completed_at": job_store.when(row["completed_at"]),
        "job": job,
    }


async def _set_aside(conn: Connection, feed: FeedKey) -> dict[str, Any]:
    counts = await conn.fetch(
        "SELECT reason, count(*) AS n FROM set_aside WHERE shop = $1 AND facility = $2 "
        "GROUP BY reason ORDER BY reason",
        feed.shop,
        feed.facility,
    )
    examples = await conn.fetch(
        "SELECT sku, reason, detail, since FROM set_aside WHERE shop = $1 AND facility = $2 "
        "ORDER BY last_seen_at DESC, sku LIMIT $3",
        feed.shop,
        feed.facility,
        SET_ASIDE_EXAMPLES,
    )
    return {
        "total": sum(r["n"] for r in counts),
        "by_reason": {r["reason"]: r["n"] for r in counts},
        "reasons": {r["reason"]: REASON_TEXT.get(r["reason"], r["reason"]) for r in counts},
        "examples": [
            {
                "sku": r["sku"],
                "reason": r["reason"],
                "detail": r["detail"],
                "since": job_store.when(r["since"]),
            }
            for r in examples
        ],
    }


async def _realtime(conn: Connection, feed: FeedState) -> dict[str, Any]:
    pending = await conn.fetchrow(
        "SELECT count(*) AS n, extract(epoch FROM now() - min(since))::float8 AS oldest_s "
        "FROM dirty_skus WHERE shop = $1 AND facility = $2",
        feed.shop,
        feed.facility,
    )
    counters = await conn.fetchrow(
        "SELECT adjustments_applied, adjustments_late, last_adjustment_at, "
        "last_realtime_push_at, last_realtime_lag_ms FROM feed_counters "
        "WHERE shop = $1 AND facility = $2",
        feed.shop,
        feed.facility,
    )
    assert pending is not None
    return {
        "enabled": feed.realtime,
        "skus_waiting": pending["n"],
        "oldest_waiting_s": round(pending["oldest_s"], 3) if pending["oldest_s"] else None,
        "adjustments_applied": counters["adjustments_applied"] if counters else 0,
        "adjustments_ignored_late": counters["adjustments_late"] if counters else 0,
        "last_adjustment_at": job_store.when(counters["last_adjustment_at"]) if counters else None,
        "last_push_at": job_store.when(counters["last_realtime_push_at"]) if counters else None,
        "last_lag_ms": counters["last_realtime_lag_ms"] if counters else None,
    }


async def _in_flight(
    conn: Connection, feed: FeedKey, settings: InventorySettings
) -> dict[str, Any]:
    row = await conn.fetchrow(
        """
        SELECT count(DISTINCT ref) FILTER (WHERE recent) AS orders,
               coalesce(sum(quantity) FILTER (WHERE recent), 0) AS units,
               count(DISTINCT ref) FILTER (WHERE NOT recent) AS unanswered_too_long
        FROM (
            SELECT o.wms_order_ref AS ref, l.quantity,
                   o.sent_at > now() - make_interval(secs => $3) AS recent
            FROM wms_orders o
            JOIN wms_order_lines l ON l.shop = o.shop AND l.wms_order_ref = o.wms_order_ref
            WHERE o.shop = $1 AND o.facility = $2 AND o.accepted_at IS NULL
              AND o.rejected_at IS NULL AND o.cancelled_at IS NULL
        ) unanswered
        """,
        feed.shop,
        feed.facility,
        settings.in_flight_max_age_h * 3600,
    )
    placed = await conn.fetchval(
        "SELECT count(DISTINCT order_gid) FROM placed_lines WHERE shop = $1 "
        "AND cancelled_at IS NULL AND placed_at > now() - make_interval(secs => $2)",
        feed.shop,
        settings.placement_hold_minutes * 60,
    )
    assert row is not None
    return {
        "wms_orders_unanswered": row["orders"],
        "units": row["units"],
        "wms_orders_unanswered_too_long": row["unanswered_too_long"],
        "orders_placed_not_sent": placed,
    }


async def _pending_pushes(conn: Connection) -> dict[str, Any]:
    queued = await conn.fetchval("SELECT count(*) FROM push_queue")
    batches = await conn.fetchrow(
        """
        SELECT count(*) AS batches, coalesce(sum(n), 0)::int AS quantities,
               count(*) FILTER (WHERE attempts > 0) AS failing
        FROM push_batches b
        LEFT JOIN LATERAL (SELECT count(*) AS n FROM push_batch_items i WHERE i.batch = b.id) c
               ON true
        """
    )
    errors = await conn.fetch(
        "SELECT facility, attempts, last_error, next_attempt_at FROM push_batches "
        "WHERE attempts > 0 ORDER BY id LIMIT 5"
    )
    assert batches is not None
    return {
        "queued_quantities": queued,
        "batches": batches["batches"],
        "quantities_in_batches": batches["quantities"],
        "batches_failing": batches["failing"],
        "failing": [
            {
                "facility": r["facility"],
                "attempts": r["attempts"],
                "last_error": r["last_error"],
                "next_attempt_at": job_store.when(r["next_attempt_at"]),
            }
            for r in errors
        ],
    }
