"""Facilities' fulfillment services as order-intake registered them: their SQL, and keeping
each process's `Feeds` up to date with them.

order-intake sends `orders.fulfillment_service.registered` after every registration check (at
its start and on a schedule), so the same registration arrives again and again: it is recorded
once per change, a later check wins over an earlier one (by the event's `occurred_at`), and a
repeat changes nothing. What a change asks of the feed (a full sync to the new location, queued
pushes for an old one dropped) is `feeds.registration_effect`'s to say; the handler does it in
the same transaction. Every process refreshes its `Feeds` from the table when notified (and now
and then, should a notification be lost).
"""

from datetime import datetime

import asyncpg
import structlog

from contracts import FulfillmentServiceRegistered
from inventory_sync import job_store
from inventory_sync.domain import gid_number
from inventory_sync.feeds import Feeds, Registration
from inventory_sync.settings import InventorySettings
from storage import Connection
from storage.locks import lock_until_commit
from storage.signals import Signals
from work_queue import WorkLoop

log = structlog.get_logger(__name__)

FEEDS_CHANNEL = "inventory_sync_feeds"
"""NOTIFY channel: a registration changed; every process reloads them."""

_COLUMNS = (
    "shop, facility, fulfillment_service_id, location_id, inventory_management, "
    "tracking_support, registered_at"
)


class NotALocation(ValueError):
    """The registration names a location id that is not a Location GID."""


async def record(
    conn: Connection,
    shop: str,
    registered: FulfillmentServiceRegistered,
    registered_at: datetime,
) -> tuple[Registration | None, Registration] | None:
    """Record a registration; (the one recorded before, the one recorded now) when it changed
    anything, None for a repeat or one older than what is recorded."""
    location_id = gid_number(registered.location_id, "Location")
    if location_id is None:
        raise NotALocation(f"not a Location GID: {registered.location_id!r}")
    shop = shop.lower()
    await lock_until_commit(conn, [f"{shop}|{registered.facility}|fulfillment_service"])
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM fulfillment_services WHERE shop = $1 AND facility = $2",
        shop,
        registered.facility,
    )
    previous = _registration(row) if row else None
    current = Registration(
        shop=shop,
        facility=registered.facility,
        fulfillment_service_id=registered.fulfillment_service_id,
        location_id=location_id,
        inventory_management=registered.inventory_management,
        tracking_support=registered.tracking_support,
        registered_at=registered_at,
    )
    if previous is not None and previous.registered_at > registered_at:
        return None  # an older check, arriving late
    await conn.execute(
        """
        INSERT INTO fulfillment_services (shop, facility, fulfillment_service_id, location_id,
                                          inventory_management, tracking_support, registered_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (shop, facility) DO UPDATE
        SET fulfillment_service_id = EXCLUDED.fulfillment_service_id,
            location_id = EXCLUDED.location_id,
            inventory_management = EXCLUDED.inventory_management,
            tracking_support = EXCLUDED.tracking_support,
            registered_at = EXCLUDED.registered_at,
            updated_at = CASE
                WHEN (fulfillment_services.fulfillment_service_id, fulfillment_services.location_id,
                      fulfillment_services.inventory_management,
                      fulfillment_services.tracking_support)
                     IS DISTINCT FROM (EXCLUDED.fulfillment_service_id, EXCLUDED.location_id,
                                       EXCLUDED.inventory_management, EXCLUDED.tracking_support)
                THEN now() ELSE fulfillment_services.updated_at END
        """,
        current.shop,
        current.facility,
        current.fulfillment_service_id,
        current.location_id,
        current.inventory_management,
        current.tracking_support,
        current.registered_at,
    )
    if previous is not None and _same(previous, current):
        return None  # the same registration checked again
    await conn.execute("SELECT pg_notify($1, '')", FEEDS_CHANNEL)
    return previous, current


def _same(a: Registration, b: Registration) -> bool:
    return (
        a.fulfillment_service_id,
        a.location_id,
        a.inventory_management,
        a.tracking_support,
    ) == (
        b.fulfillment_service_id,
        b.location_id,
        b.inventory_management,
        b.tracking_support,
    )


async def load_all(conn: Connection) -> list[Registration]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM fulfillment_services ORDER BY shop, facility")
    return [_registration(r) for r in rows]


def _registration(row: asyncpg.Record) -> Registration:
    return Registration(**dict(row))


async def refresh(conn: Connection, feeds: Feeds) -> None:
    """Teach `feeds` the registrations as they stand in the table."""
    feeds.learn(await load_all(conn))


async def sync_after_registration(
    conn: Connection, shop: str, facility: str, requested_by: str = "registration"
) -> bool:
    """Queue a full sync of the feed (unless one is queued or running already: it reads the
    registrations afresh when it starts); True if one was queued."""
    if await job_store.has_open(conn, shop, facility, ("full_sync",)):
        return False
    await job_store.create(conn, shop, facility, "full_sync", requested_by)
    return True


async def drop_pushes_for(conn: Connection, shop: str, facility: str, location_id: int) -> int:
    """The feed no longer pushes to `location_id` (its service was created again, at another
    location): targets still queued for it, and batches not being sent right now, are dropped.
    Returns how many targets were dropped."""
    queued = await conn.fetchval(
        """
        WITH gone AS (
            DELETE FROM push_queue WHERE shop = $1 AND facility = $2 AND location_id = $3
            RETURNING 1
        )
        SELECT count(*) FROM gone
        """,
        shop,
        facility,
        location_id,
    )
    await conn.execute(
        """
        DELETE FROM push_batches
        WHERE shop = $1 AND facility = $2 AND location_id = $3
          AND (lease_until IS NULL OR lease_until < now())
        """,
        shop,
        facility,
        location_id,
    )
    await job_store.finish_pushed(conn)
    return int(queued)


class FeedsRefresher:
    """Keeps this process's `Feeds` equal to the table: at start, when notified, and every
    `feeds_refresh_s` in case a notification was lost with a connection."""

    def __init__(
        self, pool: asyncpg.Pool, feeds: Feeds, settings: InventorySettings, signals: Signals
    ) -> None:
        self._pool = pool
        self._feeds = feeds
        self._settings = settings
        self._signals = signals

    async def run(self) -> None:
        wake = self._signals.subscribe(FEEDS_CHANNEL)
        loop = WorkLoop(
            "feeds", self.refresh_once, wake, idle_poll_s=self._settings.feeds_refresh_s
        )
        await loop.run()

    async def refresh_once(self) -> int:
        async with self._pool.acquire() as conn:
            await refresh(conn, self._feeds)
        return 0
