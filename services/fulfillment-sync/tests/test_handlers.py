"""The handlers on their own: each message handled in one real transaction on fulfillment-sync's
migrated schema, no broker and no Shopify (testkit.handlers). What the worker does in between
(claim a shipment, record it synced, refused or to retry) is done with its own store functions,
which are tested here too: the claims, leases and retries of store.SHIPMENTS."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from contracts import (
    Envelope,
    FulfillmentOrderLineRef,
    ShipmentSynced,
    WmsOrderReduced,
    WmsOrderSent,
    WmsShipmentConfirmed,
    new_envelope,
    order_correlation_id,
)
from fulfillment_sync import store
from fulfillment_sync.app import DEFINITION
from fulfillment_sync.handlers import FulfillmentDeps
from fulfillment_sync.settings import FulfillmentSyncSettings
from fulfillment_sync.store import ClaimedShipment, FailedRow, RetryRow, SyncedRow
from testkit.handlers import handle, handler_pool
from testkit.plugin import IsolatedDatabase

SHOP = "handlers.myshopify.com"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
LINE_A = "gid://shopify/FulfillmentOrderLineItem/11"
LINE_B = "gid://shopify/FulfillmentOrderLineItem/12"
FULFILLMENT = "gid://shopify/Fulfillment/31"


@pytest.fixture
async def pool(isolated_database: IsolatedDatabase) -> AsyncIterator[asyncpg.Pool]:
    async with handler_pool(DEFINITION, isolated_database) as pool:
        yield pool


def deps() -> FulfillmentDeps:
    return FulfillmentDeps(frozenset({SHOP}), FulfillmentSyncSettings())


async def deliver(pool: asyncpg.Pool, envelope: Envelope) -> list[Envelope]:
    return await handle(pool, DEFINITION, deps(), envelope)


def sent(
    ref: str = "#1001", *, a: int = 3, b: int = 0, at: datetime = NOW, sku_a: str = "ABC-1"
) -> Envelope:
    lines = [FulfillmentOrderLineRef(line_ref=LINE_A, sku=sku_a, quantity=a)]
    if b:
        lines.append(FulfillmentOrderLineRef(line_ref=LINE_B, sku="XYZ-9", quantity=b))
    return _from_order_intake(
        "orders.wms_order.sent",
        WmsOrderSent(
            wms_order_ref=ref,
            shopify_order_id="gid://shopify/Order/1",
            shopify_order_name="#1001",
            fulfillment_order_id="gid://shopify/FulfillmentOrder/10",
            facility="WH1",
            location_id="gid://shopify/Location/1",
            placed_at=NOW,
            sent_at=at,
            lines=lines,
        ),
    )


def reduced(order: Envelope, holds: int, *, at: datetime) -> Envelope:
    """order-intake's `orders.wms_order.reduced`: LINE_A holds `holds` units (0: cancelled)."""
    sent_order = order.data_as(WmsOrderSent)
    return _from_order_intake(
        "orders.wms_order.reduced",
        WmsOrderReduced(
            wms_order_ref=sent_order.wms_order_ref,
            shopify_order_id=sent_order.shopify_order_id,
            fulfillment_order_id=sent_order.fulfillment_order_id,
            cancelled=not holds,
            lines=[
                line.model_copy(update={"quantity": holds})
                for line in sent_order.lines
                if holds and line.line_ref == LINE_A
            ],
            confirmed_at=at,
        ),
    )


def _from_order_intake(message_type: str, event: WmsOrderSent | WmsOrderReduced) -> Envelope:
    return new_envelope(
        message_type,
        event,
        shop=SHOP,
        correlation_id=order_correlation_id(SHOP, event.shopify_order_id),
    )


def shipment(
    shipment_id: str, units: int = 1, *, ref: str = "#1001", shop: str = SHOP, sku: str = "ABC-1"
) -> Envelope:
    return new_envelope(
        "wms.shipment.confirmed",
        WmsShipmentConfirmed(
            shipment_id=shipment_id,
            wms_order_ref=ref,
            shipped_at=NOW,
            carrier="UPS",
            tracking_numbers=[f"1Z{shipment_id}"],
            lines=[{"line_ref": LINE_A, "sku": sku, "quantity": units}],
        ),
        shop=shop,
    )


async def row(pool: asyncpg.Pool, shipment_id: str, shop: str = SHOP) -> dict[str, Any]:
    found = await pool.fetchrow(
        "SELECT state, reason_code, reason, fulfillment_order_id, wait_until, message_id, claim, "
        "failures, verify_first, next_attempt_at, lease_until "
        "FROM shipments WHERE shop = $1 AND shipment_id = $2",
        shop,
        shipment_id,
    )
    assert found is not None, f"no shipment {shipment_id}"
    return dict(found)


async def claim(pool: asyncpg.Pool, lease_s: float = 60) -> list[ClaimedShipment]:
    """What the worker's next round would take (one shipment per fulfillment order)."""
    async with pool.acquire() as conn, conn.transaction():
        return await store.claim_due(conn, {SHOP: 10}, lease_s=lease_s, limit=10)


async def synced_by_the_worker(pool: asyncpg.Pool, claimed: ClaimedShipment) -> None:
    lines = [
        FulfillmentOrderLineRef(line_ref=LINE_A, sku=line.sku, quantity=line.quantity)
        for line in claimed.shipment.lines
    ]
    async with pool.acquire() as conn, conn.transaction():
        kept = await store.mark_synced(conn, [SyncedRow(claimed, FULFILLMENT, lines)])
    assert kept == {claimed.key}


# --- shipments arriving --------------------------------------------------------------------------


async def test_shipments_of_an_unconfigured_shop_are_kept_as_failed(pool: asyncpg.Pool) -> None:
    foreign = shipment("SHP-1", shop="elsewhere.myshopify.com")
    assert await deliver(pool, foreign) == []

    recorded = await row(pool, "SHP-1", "elsewhere.myshopify.com")
    assert (recorded["state"], recorded["reason_code"]) == ("failed", "unknown_shop")
    assert recorded["reason"] == (
        "shop elsewhere.myshopify.com is not configured here, or has no access token"
    )
    assert await claim(pool) == []


async def test_a_shipment_of_a_known_order_is_due_at_once(pool: asyncpg.Pool) -> None:
    order = sent()
    await deliver(pool, order)
    first = shipment("SHP-1")
    await deliver(pool, first)

    recorded = await row(pool, "SHP-1")
    assert recorded["state"] == "pending"
    assert recorded["fulfillment_order_id"] == order.data_as(WmsOrderSent).fulfillment_order_id
    assert recorded["message_id"] == first.id  # the synced event's cause
    [claimed] = await claim(pool)
    assert (claimed.shipment_id, claimed.claim, claimed.verify_first) == ("SHP-1", 1, False)
    assert claimed.order == order.data_as(WmsOrderSent)


async def test_a_shipment_before_its_order_waits_and_is_due_once_the_order_is_known(
    pool: asyncpg.Pool,
) -> None:
    await deliver(pool, shipment("SHP-1"))
    waiting = await row(pool, "SHP-1")
    assert waiting["state"] == "awaiting_order"
    assert waiting["wait_until"] is not None
    # The WMS sends the same shipment again as a new message: nothing changes.
    await deliver(pool, shipment("SHP-1", 2))
    assert await row(pool, "SHP-1") == waiting
    assert await claim(pool) == []

    await deliver(pool, sent())
    released = await row(pool, "SHP-1")
    assert (released["state"], released["wait_until"]) == ("pending", None)
    assert released["fulfillment_order_id"] == "gid://shopify/FulfillmentOrder/10"
    [claimed] = await claim(pool)
    assert [line.quantity for line in claimed.shipment.lines] == [1]  # the first one recorded


async def test_one_shipment_per_fulfillment_order_is_in_flight(pool: asyncpg.Pool) -> None:
    await deliver(pool, sent(a=3))
    await deliver(pool, sent("#1002", a=3))  # another WMS order of the same FO
    for shipment_id, ref in [("SHP-1", "#1001"), ("SHP-2", "#1001"), ("SHP-3", "#1002")]:
        await deliver(pool, shipment(shipment_id, ref=ref))

    [first] = await claim(pool)
    assert first.shipment_id == "SHP-1"  # the first received
    assert await claim(pool) == []  # its FO is in flight
    await synced_by_the_worker(pool, first)
    [second] = await claim(pool)
    assert second.shipment_id == "SHP-2"
    assert second.holding.units == {LINE_A: 3}


# --- what order-intake sent, and changed --------------------------------------------------------


async def test_a_later_send_of_the_ref_replaces_the_earlier_and_releases_its_refusals(
    pool: asyncpg.Pool,
) -> None:
    earlier = sent(at=NOW - timedelta(minutes=10), sku_a="SKU-OLD-1")
    await deliver(pool, earlier)
    await deliver(pool, shipment("SHP-1", 2))
    [claimed] = await claim(pool)
    async with pool.acquire() as conn:
        await store.mark_failed(conn, [FailedRow(claimed, "unknown_line", "not a line of it")])

    later = sent(a=2)
    await deliver(pool, later)
    assert (await row(pool, "SHP-1"))["state"] == "pending"  # the warehouse shipped the re-send
    await deliver(pool, earlier)  # late: changes nothing
    await deliver(pool, later)  # a repeat: the same
    [again] = await claim(pool)
    assert again.order == later.data_as(WmsOrderSent)
    assert again.verify_first  # a refusal may have come with a fulfillment made: read back


async def test_a_reduction_after_the_last_synced_shipment_says_complete_once(
    pool: asyncpg.Pool,
) -> None:
    order = sent(a=3)
    await deliver(pool, order)
    await deliver(pool, shipment("SHP-1", 1))
    [claimed] = await claim(pool)
    await synced_by_the_worker(pool, claimed)

    cut = reduced(order, 1, at=NOW + timedelta(minutes=1))
    [event] = await deliver(pool, cut)
    said = event.data_as(ShipmentSynced)
    assert event.type == "fulfillments.shipment.synced"
    assert (said.shipment_id, said.fulfillment_id) == ("SHP-1", FULFILLMENT)
    assert said.fulfillment_order_complete is True
    assert [(x.line_ref, x.quantity) for x in said.lines] == [(LINE_A, 1)]
    assert event.causation_id == cut.id
    assert event.correlation_id == order_correlation_id(SHOP, said.shopify_order_id)

    # The same news under a new id, and an older reduction arriving late, say nothing more.
    assert await deliver(pool, reduced(order, 1, at=NOW + timedelta(minutes=1))) == []
    assert await deliver(pool, reduced(order, 2, at=NOW + timedelta(seconds=30))) == []


async def test_a_reduction_before_anything_shipped_says_nothing_and_shrinks_the_next_claim(
    pool: asyncpg.Pool,
) -> None:
    order = sent(a=3, b=1)
    # Heard before the send: kept, and applied once the send is known.
    assert await deliver(pool, reduced(order, 2, at=NOW + timedelta(minutes=1))) == []
    await deliver(pool, order)
    await deliver(pool, shipment("SHP-1", 2))
    [claimed] = await claim(pool)
    assert claimed.holding.units == {LINE_A: 2, LINE_B: 0}

    async with pool.acquire() as conn:
        await store.mark_failed(conn, [FailedRow(claimed, "cancelled", "cancelled in Shopify")])
    # Cancelled before anything shipped: order-intake knows; no shipment to announce.
    assert await deliver(pool, reduced(order, 0, at=NOW + timedelta(minutes=2))) == []


# --- the worker's hold on shipments ---------------------------------------------------------


async def test_a_failed_attempt_counts_keeps_its_reason_and_waits(pool: asyncpg.Pool) -> None:
    await deliver(pool, sent())
    await deliver(pool, shipment("SHP-1"))
    [claimed] = await claim(pool)
    retry = RetryRow(claimed, "Shopify unavailable: 503", verify_first=True, delay_s=30.0)
    async with pool.acquire() as conn:
        await store.mark_retry(conn, [retry])

    recorded = await row(pool, "SHP-1")
    assert (recorded["state"], recorded["failures"], recorded["reason"]) == (
        "pending",
        1,
        "Shopify unavailable: 503",
    )
    assert recorded["verify_first"] is True
    assert recorded["lease_until"] is None
    due_in = recorded["next_attempt_at"] - datetime.now(UTC)
    assert timedelta(seconds=28) < due_in <= timedelta(seconds=30)
    assert await claim(pool) == []  # not before its time


async def test_a_late_worker_neither_keeps_nor_records_a_shipment_claimed_again(
    pool: asyncpg.Pool,
) -> None:
    await deliver(pool, sent())
    await deliver(pool, shipment("SHP-1"))
    [late] = await claim(pool, lease_s=0.2)
    await asyncio.sleep(0.3)  # its worker hangs; the lease runs out
    [current] = await claim(pool, lease_s=0.5)
    assert (current.claim, current.verify_first) == (late.claim + 1, True)

    async with pool.acquire() as conn:
        await store.SHIPMENTS.extend(conn, [late.lease], 60, where=store.IN_HAND)
        await store.mark_retry(conn, [RetryRow(late, "late", verify_first=False, delay_s=0)])
        synced = SyncedRow(late, FULFILLMENT, [])
        assert await store.mark_synced(conn, [synced]) == set()
    held = await row(pool, "SHP-1")
    assert (held["state"], held["claim"], held["failures"]) == ("creating", 2, 0)
    assert held["lease_until"] < datetime.now(UTC) + timedelta(seconds=1)  # not the late 60 s

    # The worker holding it now keeps it past its first lease, then records its outcome.
    async with pool.acquire() as conn:
        await store.SHIPMENTS.extend(conn, [current.lease], 60, where=store.IN_HAND)
    await asyncio.sleep(0.6)
    assert await claim(pool) == []
    async with pool.acquire() as conn:
        await store.mark_retry(conn, [RetryRow(current, "503", verify_first=True, delay_s=0)])
    retried = await row(pool, "SHP-1")
    assert (retried["state"], retried["failures"], retried["reason"]) == ("pending", 1, "503")
    [again] = await claim(pool)
    assert (again.claim, again.failures, again.verify_first) == (3, 1, True)
