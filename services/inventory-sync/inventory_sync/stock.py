"""The warehouse's truth per SKU and the realtime feed's bookkeeping: their SQL."""

from collections.abc import Mapping, Sequence
from datetime import datetime

from contracts import WmsInventoryAdjusted
from storage import Connection

DIRTY_CHANNEL = "inventory_sync_dirty"
"""NOTIFY channel that wakes the realtime flusher."""


async def apply_adjustment(conn: Connection, shop: str, adjusted: WmsInventoryAdjusted) -> bool:
    """Take an adjustment newer than what was applied for the SKU (its own last figures, and
    the facility's last snapshot); False if it is older."""
    # FOR SHARE: a snapshot being merged meanwhile (which locks the row) is waited for.
    snapshot_as_of = await conn.fetchval(
        "SELECT as_of FROM facility_snapshots WHERE shop = $1 AND facility = $2 FOR SHARE",
        shop,
        adjusted.facility,
    )
    applied = None
    if snapshot_as_of is None or adjusted.as_of > snapshot_as_of:
        applied = await conn.fetchval(
            """
            INSERT INTO wms_stock (shop, facility, sku, available, on_hand, as_of)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (shop, facility, sku) DO UPDATE
            SET available = EXCLUDED.available, on_hand = EXCLUDED.on_hand,
                as_of = EXCLUDED.as_of
            WHERE wms_stock.as_of < EXCLUDED.as_of
            RETURNING 1
            """,
            shop,
            adjusted.facility,
            adjusted.sku,
            adjusted.available,
            adjusted.on_hand,
            adjusted.as_of,
        )
    await conn.execute(
        """
        INSERT INTO feed_counters (shop, facility, adjustments_applied, adjustments_late,
                                   last_adjustment_at)
        VALUES ($1, $2, $3, $4, now())
        ON CONFLICT (shop, facility) DO UPDATE
        SET adjustments_applied = feed_counters.adjustments_applied + EXCLUDED.adjustments_applied,
            adjustments_late = feed_counters.adjustments_late + EXCLUDED.adjustments_late,
            last_adjustment_at = now()
        """,
        shop,
        adjusted.facility,
        1 if applied else 0,
        0 if applied else 1,
    )
    return applied is not None


async def advance_snapshot_as_of(
    conn: Connection, shop: str, facility: str, as_of: datetime
) -> None:
    """Every SKU of the facility is known as of this snapshot from now on. Adjustments wait
    for this transaction on the facility's row, and any older than `as_of` are ignored."""
    await conn.execute(
        """
        INSERT INTO facility_snapshots (shop, facility, as_of) VALUES ($1, $2, $3)
        ON CONFLICT (shop, facility) DO UPDATE
        SET as_of = greatest(facility_snapshots.as_of, EXCLUDED.as_of)
        """,
        shop,
        facility,
        as_of,
    )


async def merge_snapshot_chunk(
    conn: Connection,
    shop: str,
    facility: str,
    snapshot: int,
    as_of: datetime,
    after: str,
    limit: int,
) -> None:
    """The snapshot's next `limit` SKUs after `after` become the truth, except where an
    adjustment is newer (the planner then decides the same SKUs).

    Only SKUs whose figures change are written: the same 100,000 figures sent again rewrite
    nothing (the facility's snapshot `as_of` says they are known as of this snapshot).
    """
    await conn.execute(
        """
        INSERT INTO wms_stock (shop, facility, sku, available, on_hand, as_of)
        SELECT $1, $2, sku, available, on_hand, $4 FROM snapshot_items
        WHERE snapshot = $3 AND sku > $5
        ORDER BY sku LIMIT $6
        ON CONFLICT (shop, facility, sku) DO UPDATE
        SET available = EXCLUDED.available, on_hand = EXCLUDED.on_hand, as_of = EXCLUDED.as_of
        WHERE wms_stock.as_of <= EXCLUDED.as_of
          AND (wms_stock.available, wms_stock.on_hand)
              IS DISTINCT FROM (EXCLUDED.available, EXCLUDED.on_hand)
        """,
        shop,
        facility,
        snapshot,
        as_of,
        after,
        limit,
    )


async def snapshot_chunk_end(conn: Connection, snapshot: int, after: str, limit: int) -> str | None:
    """The last SKU of the snapshot's next `limit` SKUs after `after` (what one
    `merge_snapshot_chunk` takes) when there are that many; None when fewer: the last chunk."""
    found: str | None = await conn.fetchval(
        "SELECT sku FROM snapshot_items WHERE snapshot = $1 AND sku > $2 "
        "ORDER BY sku OFFSET $3 LIMIT 1",
        snapshot,
        after,
        limit - 1,
    )
    return found


async def forget_before(
    conn: Connection, shop: str, facility: str, skus: Sequence[str], as_of: datetime
) -> list[str]:
    """A snapshot as of `as_of` could not tell these SKUs' figures (it listed them twice): what
    was known of them before it is no longer the truth, so nothing (a full sync included)
    pushes it. Returns the SKUs whose adjustment newer than the snapshot stands: that is their
    truth."""
    await conn.execute(
        """
        DELETE FROM wms_stock
        WHERE shop = $1 AND facility = $2 AND sku = ANY($3::text[]) AND as_of <= $4
        """,
        shop,
        facility,
        list(skus),
        as_of,
    )
    rows = await conn.fetch(
        "SELECT sku FROM wms_stock WHERE shop = $1 AND facility = $2 AND sku = ANY($3::text[])",
        shop,
        facility,
        list(skus),
    )
    return sorted(r["sku"] for r in rows)


async def mark_dirty(conn: Connection, shop: str, facility: str, skus: Sequence[str]) -> None:
    """These SKUs need deciding again once the coalescing window closes."""
    if not skus:
        return
    await conn.execute(
        """
        INSERT INTO dirty_skus (shop, facility, sku)
        SELECT $1, $2, sku FROM unnest($3::text[]) AS u(sku)
        ON CONFLICT DO NOTHING
        """,
        shop,
        facility,
        list(skus),
    )
    await conn.execute("SELECT pg_notify($1, '')", DIRTY_CHANNEL)


async def take_dirty(
    conn: Connection, shop: str, facility: str
) -> tuple[list[str], datetime | None]:
    """Claim the facility's dirty SKUs (in the caller's transaction) and when the first came."""
    rows = await conn.fetch(
        "DELETE FROM dirty_skus WHERE shop = $1 AND facility = $2 RETURNING sku, since",
        shop,
        facility,
    )
    return sorted(r["sku"] for r in rows), min((r["since"] for r in rows), default=None)


async def dirty_groups(conn: Connection) -> list[tuple[str, str, float]]:
    """(shop, facility, seconds since its oldest dirty SKU) for every facility with some."""
    rows = await conn.fetch(
        "SELECT shop, facility, extract(epoch FROM now() - min(since))::float8 AS age "
        "FROM dirty_skus GROUP BY shop, facility"
    )
    return [(r["shop"], r["facility"], r["age"]) for r in rows]


async def add_to_tracked(
    conn: Connection, shop: str, location_id: int, units_by_sku: Mapping[str, int]
) -> None:
    """Shopify put units back itself (a restock): what we believe it has goes up by as much,
    so the next compare-and-set names the right figure. SKUs on two items are left alone."""
    await conn.execute(
        """
        UPDATE shopify_levels l SET available = l.available + u.quantity
        FROM unnest($3::text[], $4::int[]) AS u(sku, quantity)
        JOIN catalog_items c ON c.shop = $1 AND c.sku = u.sku
        WHERE l.shop = $1 AND l.location_id = $2 AND l.inventory_item_id = c.inventory_item_id
          AND NOT EXISTS (SELECT 1 FROM catalog_items d
                          WHERE d.shop = $1 AND d.sku = u.sku
                            AND d.inventory_item_id <> c.inventory_item_id)
        """,
        shop,
        location_id,
        list(units_by_sku),
        list(units_by_sku.values()),
    )
