"""Orders whose units the warehouse may not have counted yet: their SQL.

Answers can beat the order they answer (the WMS accepts before `orders.wms_order.sent` reaches
us), so each fact is recorded on its own row and none overwrites another: the planner decides
from all of them together (see `domain` for the rule).
"""

from collections.abc import Mapping
from datetime import datetime

from contracts import WmsOrderSent
from storage import Connection


async def record_sent(conn: Connection, shop: str, sent: WmsOrderSent) -> None:
    await conn.execute(
        """
        INSERT INTO wms_orders (shop, wms_order_ref, shopify_order_id, facility, sent_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (shop, wms_order_ref) DO UPDATE
        SET shopify_order_id = EXCLUDED.shopify_order_id, facility = EXCLUDED.facility,
            sent_at = EXCLUDED.sent_at
        """,
        shop,
        sent.wms_order_ref,
        sent.shopify_order_id,
        sent.facility,
        sent.sent_at,
    )
    await conn.execute(
        """
        INSERT INTO wms_order_lines (shop, wms_order_ref, line_ref, sku, quantity)
        SELECT $1, $2, line_ref, sku, quantity
        FROM unnest($3::text[], $4::text[], $5::int[]) AS u(line_ref, sku, quantity)
        ON CONFLICT DO NOTHING
        """,
        shop,
        sent.wms_order_ref,
        [line.line_ref for line in sent.lines],
        [line.sku for line in sent.lines],
        [line.quantity for line in sent.lines],
    )


_ANSWER_COLUMNS = {
    "accepted": "accepted_at",
    "rejected": "rejected_at",
    "cancelled": "cancelled_at",
}


async def record_answer(
    conn: Connection, shop: str, wms_order_ref: str, answer: str, at: datetime
) -> tuple[str | None, list[str]]:
    """Record the WMS's answer (the first of each kind counts). Returns the order's facility and
    SKUs when known, so the caller can re-decide them."""
    column = _ANSWER_COLUMNS[answer]
    row = await conn.fetchrow(
        f"""
        INSERT INTO wms_orders (shop, wms_order_ref, {column}) VALUES ($1, $2, $3)
        ON CONFLICT (shop, wms_order_ref) DO UPDATE
        SET {column} = coalesce(wms_orders.{column}, EXCLUDED.{column})
        RETURNING facility
        """,
        shop,
        wms_order_ref,
        at,
    )
    assert row is not None
    skus = await conn.fetch(
        "SELECT DISTINCT sku FROM wms_order_lines WHERE shop = $1 AND wms_order_ref = $2",
        shop,
        wms_order_ref,
    )
    return row["facility"], [r["sku"] for r in skus]


async def record_placed(
    conn: Connection, shop: str, order_gid: str, units: Mapping[str, int], at: datetime
) -> None:
    """An order placed in Shopify: its units are held until order-intake sends it."""
    if not units:
        return
    await conn.execute(
        """
        INSERT INTO placed_lines (shop, order_gid, sku, quantity, placed_at)
        SELECT $1, $2, sku, quantity, $3
        FROM unnest($4::text[], $5::int[]) AS u(sku, quantity)
        ON CONFLICT DO NOTHING
        """,
        shop,
        order_gid,
        at,
        list(units),
        list(units.values()),
    )


async def cancel_placed(conn: Connection, shop: str, order_gid: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE placed_lines SET cancelled_at = coalesce(cancelled_at, $3) "
        "WHERE shop = $1 AND order_gid = $2",
        shop,
        order_gid,
        at,
    )


async def first_restock(conn: Connection, shop: str, restock_id: str) -> bool:
    """True the first time this restock is seen; the same restock again has no effect."""
    inserted = await conn.fetchval(
        "INSERT INTO restocks (shop, restock_id) VALUES ($1, $2) "
        "ON CONFLICT DO NOTHING RETURNING 1",
        shop,
        restock_id,
    )
    return inserted is not None
