"""A facility connected as a fulfillment service: its feed's location is the one Shopify created
for the service, learned from order-intake's `orders.fulfillment_service.registered`.

The feeds' rules on their own (pure), then the registration's handler and the other handlers on
a waiting feed, run as the consumer runs them on the migrated schema (no broker, no Shopify).
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import asyncpg
import pytest

from contracts import Envelope, new_envelope
from inventory_sync.app import DEFINITION
from inventory_sync.deps import InventoryDeps
from inventory_sync.feeds import (
    NOT_MANAGING_INVENTORY,
    WAITING_FOR_REGISTRATION,
    Feed,
    Feeds,
    Registration,
    registration_effect,
)
from inventory_sync.registrations import load_all, refresh
from shop_config import ShopConfig, ShopsConfig
from testkit.handlers import handle, handler_pool
from testkit.plugin import IsolatedDatabase

DOMAIN = "service-feeds.myshopify.com"
WH1 = "gid://shopify/Location/101"  # WH1: a merchant-managed location
SERVICE_LOCATION = "gid://shopify/Location/555"  # created by Shopify for WH2's service
RECREATED_LOCATION = "gid://shopify/Location/556"
SERVICE_ID = "gid://shopify/FulfillmentService/9"
T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def shops(*, wh2_manages_inventory: bool = True) -> ShopsConfig:
    return ShopsConfig(
        {
            DOMAIN: ShopConfig.model_validate(
                {
                    "domain": DOMAIN,
                    "locations": {WH1: "WH1"},
                    "facilities": {
                        "WH2": {
                            "mode": "fulfillment_service",
                            "name": "Shipbridge WH2",
                            "callback_url": "https://gateway.example.com",
                            "inventory_management": wh2_manages_inventory,
                        },
                        "WH3": {
                            "mode": "fulfillment_service",
                            "name": "Shipbridge WH3",
                            "callback_url": "https://gateway.example.com",
                        },
                    },
                    "inventory": {
                        "WH1": {"location": WH1, "mode": "both"},
                        "WH2": {"mode": "realtime"},
                    },
                }
            )
        }
    )


def registration(
    location: int = 555, *, manages: bool = True, at: datetime = T0, facility: str = "WH2"
) -> Registration:
    return Registration(DOMAIN, facility, SERVICE_ID, location, manages, True, at)


# --- the feeds, pure -----------------------------------------------------------------------------


def test_a_service_feed_waits_for_its_registration_then_pushes_to_its_location() -> None:
    feeds = Feeds(shops())
    wh1, wh2 = feeds.states()
    assert (wh1.connected_as, wh1.feed) == (
        "location",
        Feed(DOMAIN, "WH1", 101, "both", time(2, 0)),
    )
    assert (wh2.connected_as, wh2.feed, wh2.waiting) == (
        "fulfillment_service",
        None,
        WAITING_FOR_REGISTRATION,
    )
    assert feeds.get(DOMAIN, "WH2") is None
    assert [f.facility for f in feeds] == ["WH1"]  # only feeds that can push
    assert feeds.shops() == [DOMAIN]

    feeds.learn([registration()])
    assert feeds.get(DOMAIN, "WH2") == Feed(DOMAIN, "WH2", 555, "realtime", time(2, 0))
    assert [f.facility for f in feeds] == ["WH1", "WH2"]
    state = feeds.state(DOMAIN, "WH2")
    assert state is not None and state.waiting is None and state.registration == registration()

    # A service that does not manage inventory in Shopify is not pushed to: /status says why.
    feeds.learn([registration(manages=False)])
    state = feeds.state(DOMAIN, "WH2")
    assert state is not None and (state.feed, state.waiting) == (None, NOT_MANAGING_INVENTORY)
    # A registration of a facility without an inventory feed changes no feed.
    feeds.learn([registration(facility="WH3")])
    assert feeds.state(DOMAIN, "WH3") is None and feeds.get(DOMAIN, "WH2") is None


def test_what_a_new_registration_asks_of_the_feed() -> None:
    first = registration()
    # Known for the first time: push the warehouse's whole truth there.
    assert registration_effect(None, first).full_sync
    # The same service checked again (or only its tracking changed): nothing to do.
    assert not registration_effect(first, registration(at=T0 + timedelta(hours=1))).full_sync
    # Inventory management turned on: a full sync; turned off: nothing is pushed from now on.
    assert registration_effect(registration(manages=False), first).full_sync
    off = registration_effect(first, registration(manages=False))
    assert (off.full_sync, off.moved_from) == (False, None)
    # The service created again at another location: the old one's queue is dropped, and the
    # new location gets everything.
    moved = registration_effect(first, registration(556))
    assert (moved.full_sync, moved.moved_from) == (True, 555)
    # Never managing inventory: no sync, wherever it is.
    assert not registration_effect(None, registration(manages=False)).full_sync


# --- the handlers ------------------------------------------------------------------------------

Send = Callable[..., Awaitable[list[Envelope]]]


@pytest.fixture
async def pool(isolated_database: IsolatedDatabase) -> AsyncIterator[asyncpg.Pool]:
    async with handler_pool(DEFINITION, isolated_database) as pool:
        yield pool


@pytest.fixture
def deps() -> InventoryDeps:
    return InventoryDeps(Feeds(shops()))


@pytest.fixture
def send(pool: asyncpg.Pool, deps: InventoryDeps) -> Send:
    async def send(message_type: str, data: dict[str, Any], **envelope: Any) -> list[Envelope]:
        message = new_envelope(message_type, data, **{"shop": DOMAIN, **envelope})
        return await handle(pool, DEFINITION, deps, message)

    return send


def registered(
    location: str = SERVICE_LOCATION, *, manages: bool = True, facility: str = "WH2"
) -> dict[str, Any]:
    return {
        "facility": facility,
        "fulfillment_service_id": SERVICE_ID,
        "location_id": location,
        "inventory_management": manages,
        "tracking_support": True,
    }


async def registrations_in(pool: asyncpg.Pool) -> list[Registration]:
    async with pool.acquire() as conn:
        return await load_all(conn)


async def full_syncs(pool: asyncpg.Pool) -> list[tuple[str, str, str]]:
    rows = await pool.fetch(
        "SELECT facility, requested_by, state FROM jobs WHERE kind = 'full_sync' "
        "ORDER BY created_at"
    )
    return [(r["facility"], r["requested_by"], r["state"]) for r in rows]


async def test_a_registration_is_recorded_once_per_change_and_syncs_the_feed_once(
    pool: asyncpg.Pool, send: Send, deps: InventoryDeps
) -> None:
    await send("orders.fulfillment_service.registered", registered(), occurred_at=T0)
    # order-intake checks again and again: the same registration, under new message ids.
    for minutes in (10, 20):
        later = T0 + timedelta(minutes=minutes)
        await send("orders.fulfillment_service.registered", registered(), occurred_at=later)

    [stored] = await registrations_in(pool)
    assert (stored.facility, stored.location_id, stored.inventory_management) == ("WH2", 555, True)
    assert stored.registered_at == T0 + timedelta(minutes=20)  # the latest check
    assert await full_syncs(pool) == [("WH2", "registration", "queued")]

    # An older check arriving late changes nothing.
    await send(
        "orders.fulfillment_service.registered",
        registered(manages=False),
        occurred_at=T0 - timedelta(minutes=5),
    )
    async with pool.acquire() as conn:
        await refresh(conn, deps.feeds)
    assert deps.feeds.get(DOMAIN, "WH2") == Feed(DOMAIN, "WH2", 555, "realtime", time(2, 0))


async def test_a_service_created_again_elsewhere_drops_the_old_locations_queue(
    pool: asyncpg.Pool, send: Send
) -> None:
    await send("orders.fulfillment_service.registered", registered(), occurred_at=T0)
    await pool.execute("UPDATE jobs SET state = 'done'")  # the first full sync ran
    await pool.execute(
        "INSERT INTO push_queue (shop, location_id, facility, inventory_item_id, sku, target) "
        "VALUES ($1, 555, 'WH2', 1, 'A', 5), ($1, 101, 'WH1', 1, 'A', 7)",
        DOMAIN,
    )
    later = T0 + timedelta(hours=1)
    await send(
        "orders.fulfillment_service.registered", registered(RECREATED_LOCATION), occurred_at=later
    )

    queued = await pool.fetch("SELECT facility, location_id FROM push_queue")
    assert [tuple(r) for r in queued] == [("WH1", 101)]
    assert [j[:2] for j in await full_syncs(pool)] == [
        ("WH2", "registration"),
        ("WH2", "registration"),
    ]


async def test_no_sync_for_a_service_that_does_not_manage_inventory_or_has_no_feed(
    pool: asyncpg.Pool, send: Send
) -> None:
    await send("orders.fulfillment_service.registered", registered(manages=False), occurred_at=T0)
    await send(
        "orders.fulfillment_service.registered",
        registered("gid://shopify/Location/777", facility="WH3"),
        occurred_at=T0,
    )
    assert await full_syncs(pool) == []
    assert len(await registrations_in(pool)) == 2
    # Inventory management turned on in Shopify: now it syncs.
    later = T0 + timedelta(minutes=5)
    await send("orders.fulfillment_service.registered", registered(), occurred_at=later)
    assert await full_syncs(pool) == [("WH2", "registration", "queued")]


async def test_a_waiting_feed_still_records_what_the_warehouse_says(
    pool: asyncpg.Pool, send: Send
) -> None:
    snapshot = {
        "snapshot_id": "WH2-S1",
        "facility": "WH2",
        "as_of": T0,
        "part": 1,
        "parts": 1,
        "items": [{"sku": "A", "available": 5, "on_hand": 5}],
    }
    await send("wms.inventory.snapshot", snapshot)
    adjusted = {"facility": "WH2", "sku": "B", "available": 3, "on_hand": 3, "as_of": T0}
    await send("wms.inventory.adjusted", adjusted)

    [stored] = await pool.fetch("SELECT facility, state FROM snapshots")
    assert tuple(stored) == ("WH2", "assembling")  # not ignored: it will be merged
    stock = await pool.fetch("SELECT facility, sku, available FROM wms_stock")
    assert [tuple(r) for r in stock] == [("WH2", "B", 3)]
    dirty = await pool.fetch("SELECT facility, sku FROM dirty_skus")
    assert [tuple(r) for r in dirty] == [("WH2", "B")]  # decided once the feed can push
