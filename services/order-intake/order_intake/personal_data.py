"""order-intake's SQL about personal data: export it, erase it, and find what retention erases.

The only personal data order-intake keeps of its own is what it sent the WMS to ship: the
`ship_to` and `note` of each `wms_orders.sent_payload`. Erasing scrubs the payload in place
(messaging.personal_data.scrub), so the row keeps what later edits and WMS answers need (refs,
FO, facility, lines) and still reads as a valid `wms.order.create`. A failed read's last error
may quote the order, so it goes as well.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from messaging.personal_data import scrub
from storage import Connection


@dataclass(frozen=True)
class WmsOrderKey:
    shop: str
    wms_order_ref: str
    order_gid: str


async def export(conn: Connection, shop: str, order_gids: Sequence[str]) -> list[dict[str, Any]]:
    """Per WMS order of these orders: what was sent about the person, or when it was erased."""
    rows = await conn.fetch(
        """
        SELECT w.order_gid, o.order_name, w.wms_order_ref, w.facility, w.sent_at, w.shipped_at,
               w.personal_data_erased_at, w.sent_payload
        FROM wms_orders w
        LEFT JOIN orders o ON o.shop = w.shop AND o.order_gid = w.order_gid
        WHERE w.shop = $1 AND w.order_gid = ANY($2::text[])
        ORDER BY w.order_gid, w.wms_order_ref
        """,
        shop,
        list(order_gids),
    )
    return [
        {
            "order_id": r["order_gid"],
            "order_name": r["order_name"],
            "wms_order_ref": r["wms_order_ref"],
            "facility": r["facility"],
            "sent_to_warehouse_at": r["sent_at"].isoformat(),
            "shipped_at": r["shipped_at"].isoformat() if r["shipped_at"] else None,
            "personal_data_erased_at": (
                r["personal_data_erased_at"].isoformat() if r["personal_data_erased_at"] else None
            ),
            "personal_data": dict(scrub(r["sent_payload"]).found),
        }
        for r in rows
    ]


async def erase_orders(
    conn: Connection, shop: str, order_gids: Collection[str], contacts: Collection[str] = ()
) -> set[str]:
    """Erase the WMS orders of these orders, and any whose ship-to email or phone is one of
    `contacts`; returns the orders touched."""
    rows = await conn.fetch(
        """
        SELECT shop, wms_order_ref, order_gid FROM wms_orders
        WHERE shop = $1 AND personal_data_erased_at IS NULL
          AND (order_gid = ANY($2::text[])
               OR sent_payload->'ship_to'->>'email' = ANY($3::text[])
               OR sent_payload->'ship_to'->>'phone' = ANY($3::text[]))
        """,
        shop,
        list(order_gids),
        list(contacts),
    )
    keys = [WmsOrderKey(r["shop"], r["wms_order_ref"], r["order_gid"]) for r in rows]
    await erase(conn, keys)
    touched = {key.order_gid for key in keys} | set(order_gids)
    await conn.execute(
        "UPDATE pending_syncs SET last_error = NULL "
        "WHERE shop = $1 AND order_gid = ANY($2::text[])",
        shop,
        list(touched),
    )
    return touched


async def erase(conn: Connection, keys: Sequence[WmsOrderKey]) -> None:
    """Scrub these WMS orders' sent payloads: one read (locking them until the caller commits)
    and one batched write, however many."""
    rows = await conn.fetch(
        """
        SELECT w.shop, w.wms_order_ref, w.sent_payload
        FROM wms_orders w
        JOIN unnest($1::text[], $2::text[]) AS k(shop, ref)
          ON w.shop = k.shop AND w.wms_order_ref = k.ref
        WHERE w.personal_data_erased_at IS NULL
        FOR UPDATE OF w
        """,
        [key.shop for key in keys],
        [key.wms_order_ref for key in keys],
    )
    await conn.executemany(
        "UPDATE wms_orders SET sent_payload = $3, personal_data_erased_at = now() "
        "WHERE shop = $1 AND wms_order_ref = $2",
        [(r["shop"], r["wms_order_ref"], scrub(r["sent_payload"]).document) for r in rows],
    )


async def forget_shop(conn: Connection, shop: str) -> None:
    """shop/redact: everything order-intake knows of the shop goes (uninstalled 48 hours ago)."""
    for table in ("pending_syncs", "ignored_edits", "wms_orders", "orders", "poll_state"):
        await conn.execute(f"DELETE FROM {table} WHERE shop = $1", shop)


async def due_for_erasure(conn: Connection, retention_days: float, limit: int) -> list[WmsOrderKey]:
    """WMS orders shipped, cancelled at intake's request (their units left for another
    location or were edited out), or whose order was cancelled, more than `retention_days` ago.

    A cancelled order's `shopify_updated_at` is its cancellation or a later edit: never earlier
    than the cancellation, so nothing is erased before its time.
    """
    rows = await conn.fetch(
        """
        WITH cutoff AS (SELECT now() - make_interval(secs => $1::float8 * 86400) AS at)
        SELECT w.shop, w.wms_order_ref, w.order_gid
        FROM wms_orders w CROSS JOIN cutoff
        WHERE w.personal_data_erased_at IS NULL AND w.shipped_at < cutoff.at
        UNION
        SELECT w.shop, w.wms_order_ref, w.order_gid
        FROM wms_orders w CROSS JOIN cutoff
        WHERE w.personal_data_erased_at IS NULL AND w.cancelled_at < cutoff.at
        UNION
        SELECT w.shop, w.wms_order_ref, w.order_gid
        FROM orders o CROSS JOIN cutoff
        JOIN wms_orders w ON w.shop = o.shop AND w.order_gid = o.order_gid
        WHERE o.state = 'cancelled' AND o.shopify_updated_at < cutoff.at
          AND w.personal_data_erased_at IS NULL
        LIMIT $2
        """,
        retention_days,
        limit,
    )
    return [WmsOrderKey(r["shop"], r["wms_order_ref"], r["order_gid"]) for r in rows]


async def mark_shipped(conn: Connection, shop: str, wms_order_ref: str) -> bool:
    """The FO has nothing left to ship; False if the ref is not ours."""
    done = await conn.fetchval(
        "UPDATE wms_orders SET shipped_at = coalesce(shipped_at, now()) "
        "WHERE shop = $1 AND wms_order_ref = $2 RETURNING 1",
        shop,
        wms_order_ref,
    )
    return done is not None
