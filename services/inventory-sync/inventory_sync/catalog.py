"""Reading a location's catalog from Shopify: SKU -> inventory item, and what Shopify has there.

One paginated `productVariants` read (250 per page) gives every variant's SKU, its inventory
item, whether Shopify tracks it, and its level at the location (absent: not stocked there).
Each page is written as it arrives (memory stays one page deep); at the end, rows not seen in
this read (deleted variants, levels no longer stocked) are removed. The read is also the
periodic verification of the quantities we track: `drift` counts those Shopify had otherwise.
Levels our own pushes set after the read began are left as the pushes set them.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from inventory_sync.domain import available_of, gid_number, location_gid
from inventory_sync.feeds import Feed
from shopify_admin.operations import MAX_PAGE_SIZE, PRODUCT_VARIANTS
from shopify_admin.pagination import GraphQLExecutor, paginate
from storage import Connection

Progress = Callable[[int, int], Awaitable[None]]
"""Called after each page with (pages read, variants read)."""


@dataclass(frozen=True)
class CatalogRead:
    pages: int
    variants: int
    stocked: int
    drift: int


@dataclass(frozen=True)
class _Variant:
    item_id: int
    sku: str
    tracked: bool
    available: int | None
    """None: not stocked at the location."""


async def read_catalog(
    pool: asyncpg.Pool, client: GraphQLExecutor, feed: Feed, progress: Progress
) -> CatalogRead:
    started: datetime = await pool.fetchval("SELECT now()")
    pages = variants = stocked = drift = 0
    page: list[_Variant] = []
    nodes = paginate(
        client,
        PRODUCT_VARIANTS,
        {"locationId": location_gid(feed.location_id), "first": MAX_PAGE_SIZE},
        ["productVariants"],
    )
    async for node in nodes:
        variant = _variant(node)
        if variant is not None:
            page.append(variant)
        variants += 1
        if variants % MAX_PAGE_SIZE == 0:
            stocked_now, drift_now = await _store_page(pool, feed, page, started)
            stocked, drift, pages = stocked + stocked_now, drift + drift_now, pages + 1
            page = []
            await progress(pages, variants)
    if page or variants % MAX_PAGE_SIZE:
        stocked_now, drift_now = await _store_page(pool, feed, page, started)
        stocked, drift, pages = stocked + stocked_now, drift + drift_now, pages + 1
        await progress(pages, variants)
    result = CatalogRead(pages, variants, stocked, drift)
    async with pool.acquire() as conn, conn.transaction():
        await _finish(conn, feed, started, result)
    return result


def _variant(node: Mapping[str, Any]) -> _Variant | None:
    item = node.get("inventoryItem") or {}
    sku = (node.get("sku") or "").strip()
    item_id = gid_number(str(item.get("id", "")), "InventoryItem")
    if not sku or item_id is None:
        return None  # nothing a warehouse feed could name
    level = item.get("inventoryLevel")
    available = available_of(level) if level else None
    if level and available is None:
        available = 0  # stocked, with no `available` figure reported
    return _Variant(item_id, sku, bool(item.get("tracked")), available)


async def _store_page(
    pool: asyncpg.Pool, feed: Feed, page: Sequence[_Variant], seen_at: datetime
) -> tuple[int, int]:
    """Write one page; returns (levels stocked at the location, levels that drifted)."""
    stocked = [v for v in page if v.available is not None]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """
            INSERT INTO catalog_items (shop, inventory_item_id, sku, tracked, seen_at)
            SELECT $1, item, sku, tracked, $2
            FROM unnest($3::bigint[], $4::text[], $5::bool[]) AS u(item, sku, tracked)
            ON CONFLICT (shop, inventory_item_id) DO UPDATE
            SET sku = EXCLUDED.sku, tracked = EXCLUDED.tracked, seen_at = EXCLUDED.seen_at
            """,
            feed.shop,
            seen_at,
            [v.item_id for v in page],
            [v.sku for v in page],
            [v.tracked for v in page],
        )
        drift: int = await conn.fetchval(
            """
            WITH incoming AS (
                SELECT * FROM unnest($4::bigint[], $5::int[]) AS u(item, available)
            ),
            drift AS (
                SELECT count(*) AS n FROM incoming i
                JOIN shopify_levels l ON l.shop = $1 AND l.location_id = $2
                                     AND l.inventory_item_id = i.item
                WHERE l.available <> i.available
                  AND (l.pushed_at IS NULL OR l.pushed_at < $3)
            ),
            written AS (
                INSERT INTO shopify_levels AS l
                    (shop, location_id, inventory_item_id, available, read_at)
                SELECT $1, $2, item, available, $3 FROM incoming
                ON CONFLICT (shop, location_id, inventory_item_id) DO UPDATE
                SET available = EXCLUDED.available, read_at = EXCLUDED.read_at
                WHERE l.pushed_at IS NULL OR l.pushed_at < EXCLUDED.read_at
            )
            SELECT n FROM drift
            """,
            feed.shop,
            feed.location_id,
            seen_at,
            [v.item_id for v in stocked],
            [v.available for v in stocked],
        )
    return len(stocked), drift


async def _finish(conn: Connection, feed: Feed, started: datetime, read: CatalogRead) -> None:
    await conn.execute(
        "DELETE FROM catalog_items WHERE shop = $1 AND seen_at < $2", feed.shop, started
    )
    await conn.execute(
        """
        DELETE FROM shopify_levels
        WHERE shop = $1 AND location_id = $2
          AND (read_at IS NULL OR read_at < $3) AND (pushed_at IS NULL OR pushed_at < $3)
        """,
        feed.shop,
        feed.location_id,
        started,
    )
    await conn.execute(
        """
        INSERT INTO catalog_reads (shop, location_id, finished_at, items, stocked, drift)
        VALUES ($1, $2, now(), $3, $4, $5)
        ON CONFLICT (shop, location_id) DO UPDATE
        SET finished_at = now(), items = EXCLUDED.items, stocked = EXCLUDED.stocked,
            drift = EXCLUDED.drift
        """,
        feed.shop,
        feed.location_id,
        read.variants,
        read.stocked,
        read.drift,
    )
    # Bulk-written: the planner must see their size now, not when autovacuum gets to it.
    await conn.execute("ANALYZE catalog_items")
    await conn.execute("ANALYZE shopify_levels")


async def catalog_age_s(conn: Connection, feed: Feed) -> float | None:
    """Seconds since the location's catalog was last read in full; None if never."""
    age: float | None = await conn.fetchval(
        "SELECT extract(epoch FROM now() - finished_at)::float8 FROM catalog_reads "
        "WHERE shop = $1 AND location_id = $2",
        feed.shop,
        feed.location_id,
    )
    return age


async def catalog_is_stale(conn: Connection, feed: Feed, max_age_h: float) -> bool:
    """Never read in full, or not for `max_age_h` hours."""
    age = await catalog_age_s(conn, feed)
    return age is None or age >= max_age_h * 3600
