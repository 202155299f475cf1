"""The gateway's SQL about shops and their customers: uninstalls and data requests.

Every function takes the caller's connection (or pool), so the caller decides the transaction.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

from storage import Connection

Db: TypeAlias = asyncpg.Pool | Connection

# --- uninstalls ----------------------------------------------------------------------------------


async def record_uninstall(conn: Connection, shop: str, at: datetime) -> None:
    await conn.execute(
        """
        INSERT INTO uninstalled_shops (shop, uninstalled_at) VALUES ($1, $2)
        ON CONFLICT (shop) DO UPDATE
        SET uninstalled_at = GREATEST(uninstalled_shops.uninstalled_at, EXCLUDED.uninstalled_at)
        """,
        shop,
        at,
    )


async def uninstalled_shops(db: Db) -> dict[str, datetime]:
    rows = await db.fetch("SELECT shop, uninstalled_at FROM uninstalled_shops")
    return {r["shop"]: r["uninstalled_at"] for r in rows}


async def forget_uninstall(db: Db, shop: str) -> None:
    """The app is installed again (its token works): heal the shop's subscriptions again."""
    await db.execute("DELETE FROM uninstalled_shops WHERE shop = $1", shop)


# --- data requests -------------------------------------------------------------------------------


async def record_data_request(
    conn: Connection,
    shop: str,
    request_id: str,
    customer_id: int | None,
    order_gids: Sequence[str],
) -> None:
    await conn.execute(
        """
        INSERT INTO data_requests (shop, request_id, customer_id, order_gids)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (shop, request_id) DO NOTHING
        """,
        shop,
        request_id,
        customer_id,
        list(order_gids),
    )


_REQUEST_COLUMNS = (
    "shop, request_id, customer_id, order_gids, received_at, exported_at, "
    "extract(epoch FROM now() - received_at) / 86400 AS age_days"
)


def _request_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "shop": row["shop"],
        "request_id": row["request_id"],
        "customer_id": row["customer_id"],
        "order_ids": list(row["order_gids"]),
        "received_at": row["received_at"].isoformat(),
        "exported_at": row["exported_at"].isoformat() if row["exported_at"] else None,
        "age_days": round(float(row["age_days"]), 1),
    }


async def data_requests(db: Db, *, open_only: bool, limit: int = 100) -> list[dict[str, Any]]:
    where = "WHERE exported_at IS NULL" if open_only else ""
    rows = await db.fetch(
        f"SELECT {_REQUEST_COLUMNS} FROM data_requests {where} ORDER BY received_at LIMIT $1",
        limit,
    )
    return [_request_json(r) for r in rows]


async def data_request(db: Db, shop: str, request_id: str) -> dict[str, Any] | None:
    row = await db.fetchrow(
        f"SELECT {_REQUEST_COLUMNS} FROM data_requests WHERE shop = $1 AND request_id = $2",
        shop,
        request_id,
    )
    return _request_json(row) if row else None


async def mark_exported(db: Db, shop: str, request_id: str) -> bool:
    done = await db.fetchval(
        "UPDATE data_requests SET exported_at = coalesce(exported_at, now()) "
        "WHERE shop = $1 AND request_id = $2 RETURNING 1",
        shop,
        request_id,
    )
    return done is not None


async def forget_customer(
    conn: Connection, shop: str, customer_id: int | None, order_gids: Sequence[str]
) -> None:
    """A redacted customer's data requests go too: they name the customer and their orders."""
    await conn.execute(
        "DELETE FROM data_requests WHERE shop = $1 "
        "AND (customer_id = $2 OR order_gids && $3::text[])",
        shop,
        customer_id,
        list(order_gids),
    )


async def forget_shop(conn: Connection, shop: str) -> None:
    """shop/redact: the shop's data requests go. Delivery records stay until their purge: they
    hold ids only, and they keep a retried delivery from being published twice."""
    await conn.execute("DELETE FROM data_requests WHERE shop = $1", shop)


async def purge_exported_requests(db: Db, older_than_days: float) -> int:
    status = await db.execute(
        "DELETE FROM data_requests WHERE exported_at < now() - make_interval(secs => $1 * 86400)",
        older_than_days,
    )
    return int(status.rsplit(" ", 1)[1])
