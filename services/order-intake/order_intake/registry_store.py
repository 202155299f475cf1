"""The SQL of the fulfillment-service registry (table `fulfillment_services`, migration 0005).

What the registration (fulfillment_services.py) recorded per (shop, facility): the service's id,
the location Shopify made for it, its settings, and its state. Every function takes the
caller's connection, so the caller decides the transaction; `service_locations` and
`service_location` are what the request-answering code reads.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from storage import Connection
from storage.locks import lock_until_commit

State = Literal["registered", "missing", "deleted_by_operator"]


@dataclass(frozen=True)
class Recorded:
    shop: str
    facility: str
    service_id: str | None
    location_id: str | None
    name: str | None
    callback_url: str | None
    inventory_management: bool | None
    tracking_support: bool | None
    state: State
    reason: str | None
    last_checked_at: datetime | None
    last_error: str | None
    registered_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
    deleted_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in self.__dict__.items()
        }


_COLUMNS = """shop, facility, service_id, location_id, name, callback_url, inventory_management,
    tracking_support, state, reason, last_checked_at, last_error, registered_at, created_at,
    updated_at, deleted_at"""


def _recorded(row: Any) -> Recorded:
    return Recorded(**dict(row))


async def lock_facility(conn: Connection, shop: str, facility: str) -> None:
    """One registration, operator register or delete of a facility at a time, across processes,
    until the transaction ends: two of them at once could both see no service and create two."""
    await lock_until_commit(conn, [f"fulfillment_service|{shop}|{facility}"])


async def recorded(conn: Connection, shop: str, facility: str) -> Recorded | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM fulfillment_services WHERE shop = $1 AND facility = $2",
        shop,
        facility,
    )
    return _recorded(row) if row else None


async def all_recorded(conn: Connection) -> list[Recorded]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM fulfillment_services ORDER BY shop, facility")
    return [_recorded(row) for row in rows]


async def record_registered(
    conn: Connection,
    shop: str,
    facility: str,
    *,
    service_id: str,
    location_id: str,
    name: str,
    callback_url: str | None,
    inventory_management: bool,
    tracking_support: bool,
    created: bool,
    updated: bool,
    error: str | None,
) -> None:
    """The service exists with these settings (as Shopify answered). `error`: something the
    check could not fix (an update Shopify refused), shown to operators."""
    await conn.execute(
        """
        INSERT INTO fulfillment_services AS f (
            shop, facility, service_id, location_id, name, callback_url, inventory_management,
            tracking_support, state, reason, last_checked_at, last_error, registered_at,
            created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'registered', NULL, now(), $9, now(),
                CASE WHEN $10 THEN now() END, CASE WHEN $11 THEN now() END)
        ON CONFLICT (shop, facility) DO UPDATE
        SET service_id = EXCLUDED.service_id,
            location_id = EXCLUDED.location_id,
            name = EXCLUDED.name,
            callback_url = EXCLUDED.callback_url,
            inventory_management = EXCLUDED.inventory_management,
            tracking_support = EXCLUDED.tracking_support,
            state = 'registered',
            reason = NULL,
            last_checked_at = now(),
            last_error = EXCLUDED.last_error,
            registered_at = CASE WHEN f.state = 'registered' AND f.service_id = EXCLUDED.service_id
                                 THEN f.registered_at ELSE now() END,
            created_at = coalesce(EXCLUDED.created_at, f.created_at),
            updated_at = coalesce(EXCLUDED.updated_at, f.updated_at),
            deleted_at = NULL
        """,
        shop,
        facility,
        service_id,
        location_id,
        name,
        callback_url,
        inventory_management,
        tracking_support,
        error,
        created,
        updated,
    )


async def record_missing(conn: Connection, shop: str, facility: str, reason: str) -> None:
    """No service for the facility, and none could be created: `reason` says why. The ids last
    seen are kept for the record; `service_location` no longer answers them."""
    await conn.execute(
        """
        INSERT INTO fulfillment_services AS f
            (shop, facility, state, reason, last_checked_at, last_error)
        VALUES ($1, $2, 'missing', $3, now(), $3)
        ON CONFLICT (shop, facility) DO UPDATE
        SET state = 'missing', reason = $3, last_checked_at = now(), last_error = $3,
            deleted_at = NULL
        """,
        shop,
        facility,
        reason,
    )


async def record_failure(conn: Connection, shop: str, facility: str, error: str) -> None:
    """The check itself failed (Shopify unreachable, the token refused): a registered service
    most likely still exists, so it stays registered (its location still routes orders) with the
    error shown; anything else is missing, with the error as the reason."""
    await conn.execute(
        """
        INSERT INTO fulfillment_services AS f
            (shop, facility, state, reason, last_checked_at, last_error)
        VALUES ($1, $2, 'missing', $3, now(), $3)
        ON CONFLICT (shop, facility) DO UPDATE
        SET state = CASE WHEN f.state = 'registered' THEN 'registered' ELSE 'missing' END,
            reason = CASE WHEN f.state = 'registered' THEN NULL ELSE $3 END,
            last_checked_at = now(),
            last_error = $3,
            deleted_at = CASE WHEN f.state = 'registered' THEN f.deleted_at END
        """,
        shop,
        facility,
        error,
    )


async def begin_delete(conn: Connection, shop: str, facility: str, reason: str) -> None:
    """Written (and committed) before Shopify is asked to delete: if the process stops after
    Shopify deleted the service, the schedule must still not create it again."""
    await conn.execute(
        """
        INSERT INTO fulfillment_services AS f (shop, facility, state, reason, deleted_at)
        VALUES ($1, $2, 'deleted_by_operator', $3, now())
        ON CONFLICT (shop, facility) DO UPDATE
        SET state = 'deleted_by_operator', reason = $3, deleted_at = now()
        """,
        shop,
        facility,
        reason,
    )


async def finish_delete(
    conn: Connection,
    shop: str,
    facility: str,
    reason: str,
    error: str | None = None,
    *,
    service_id: str | None = None,
    location_id: str | None = None,
) -> None:
    """Deleted (`service_id`, `location_id`: what Shopify deleted, kept for the record), or,
    with an `error`, not confirmed."""
    await conn.execute(
        """
        UPDATE fulfillment_services
        SET state = 'deleted_by_operator', reason = $3, last_error = $4, last_checked_at = now(),
            deleted_at = coalesce(deleted_at, now()),
            service_id = coalesce($5, service_id), location_id = coalesce($6, location_id)
        WHERE shop = $1 AND facility = $2
        """,
        shop,
        facility,
        reason,
        error,
        service_id,
        location_id,
    )


async def undo_delete(
    conn: Connection, shop: str, facility: str, before: Recorded | None, error: str
) -> None:
    """Shopify refused the delete (or could not be asked): back to the state before, with why."""
    if before is None:
        await record_missing(conn, shop, facility, error)
        return
    await conn.execute(
        """
        UPDATE fulfillment_services
        SET state = $3, reason = $4, deleted_at = $5, last_error = $6, last_checked_at = now()
        WHERE shop = $1 AND facility = $2
        """,
        shop,
        facility,
        before.state,
        before.reason,
        before.deleted_at,
        error,
    )


# --- what the request-answering code reads ------------------------------------------------------


async def service_locations(conn: Connection, shop: str) -> dict[str, str]:
    """Location GID -> facility, for the shop's registered fulfillment services (the locations
    Shopify created for them); for `ShopConfig.with_service_locations`."""
    rows = await conn.fetch(
        "SELECT location_id, facility FROM fulfillment_services "
        "WHERE shop = $1 AND state = 'registered'",
        shop,
    )
    return {row["location_id"]: row["facility"] for row in rows}


async def service_location(conn: Connection, shop: str, facility: str) -> str | None:
    """The location of the facility's registered fulfillment service in the shop, or None."""
    location: str | None = await conn.fetchval(
        "SELECT location_id FROM fulfillment_services "
        "WHERE shop = $1 AND facility = $2 AND state = 'registered'",
        shop,
        facility,
    )
    return location
