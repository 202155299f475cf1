"""The handlers' decisions, run as the consumer runs them (one transaction on the service's own
schema) but with no broker and no simulator: what each message records, and what it sends.

Delivery itself (redeliveries of one message id, dead letters) and the Shopify worker are tested
against real infrastructure in the other test files.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from cancellation import store
from cancellation.app import DEFINITION
from contracts import (
    INTERNAL_EVENTS,
    WMS_EVENTS,
    Envelope,
    FulfillmentOrderLineRef,
    OrderRestocked,
    WmsOrderCancel,
    WmsOrderReduced,
    WmsOrderSent,
    new_envelope,
    order_correlation_id,
)
from testkit.handlers import handle, handler_pool
from testkit.plugin import IsolatedDatabase
from testkit.webhooks import webhook_envelope

SHOP = "handlers-test.myshopify.com"
ORDER = "gid://shopify/Order/1001"
LOCATION = "gid://shopify/Location/11"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
async def pool(isolated_database: IsolatedDatabase) -> AsyncIterator[asyncpg.Pool]:
    async with handler_pool(DEFINITION, isolated_database) as pool:
        yield pool


async def deliver(pool: asyncpg.Pool, envelope: Envelope) -> list[Envelope]:
    return await handle(pool, DEFINITION, None, envelope)


def about_order(message_type: str, data: Any) -> Envelope:
    return new_envelope(
        message_type, data, shop=SHOP, correlation_id=order_correlation_id(SHOP, ORDER)
    )


def sent(ref: str = "#1001", fo: int = 101, **units: int) -> WmsOrderSent:
    """order-intake's `orders.wms_order.sent`: `units` per SKU (at least one)."""
    return WmsOrderSent(
        wms_order_ref=ref,
        shopify_order_id=ORDER,
        shopify_order_name="#1001",
        fulfillment_order_id=f"gid://shopify/FulfillmentOrder/{fo}",
        facility="WH1",
        location_id=LOCATION,
        placed_at=NOW,
        # Now: a reduction confirmed before the send would be of an earlier send of the ref.
        sent_at=datetime.now(UTC),
        lines=[
            FulfillmentOrderLineRef(
                line_ref=f"gid://shopify/FulfillmentOrderLineItem/{fo}{n}", sku=sku, quantity=q
            )
            for n, (sku, q) in enumerate(sorted(units.items()))
        ],
    )


def webhook_cancelled(reason: str = "customer") -> Envelope:
    """The gateway's `orders/cancelled` webhook (the order fields a cancellation reads)."""
    return webhook_envelope(
        "orders/cancelled",
        {
            "id": 1001,
            "admin_graphql_api_id": ORDER,
            "name": "#1001",
            "cancel_reason": reason,
            "cancelled_at": NOW.isoformat(),
        },
        shop=SHOP,
        received_at=NOW,
        correlation_id=order_correlation_id(SHOP, ORDER),
    )


def intake_saw_cancelled() -> Envelope:
    return about_order(
        "orders.order.cancelled",
        {"shopify_order_id": ORDER, "shopify_order_name": "#1001", "cancelled_at": NOW},
    )


def cancel_result(ref: str, outcome: str, reason: str | None = None) -> Envelope:
    return new_envelope(
        "wms.order.cancel_result",
        {"wms_order_ref": ref, "outcome": outcome, "reason": reason},
        shop=SHOP,
    )


def warehouse_cancelled(ref: str, reason: str = "out_of_stock") -> Envelope:
    return new_envelope(
        "wms.order.cancelled", {"wms_order_ref": ref, "reason": reason, "restock": True}, shop=SHOP
    )


async def request_state(pool: asyncpg.Pool, ref: str) -> tuple[str, str | None] | None:
    row = await pool.fetchrow(
        "SELECT state, reason FROM cancel_requests WHERE shop = $1 AND wms_order_ref = $2",
        SHOP,
        ref,
    )
    return (row["state"], row["reason"]) if row else None


async def warehouse_row(pool: asyncpg.Pool, ref: str) -> dict[str, Any]:
    row = await pool.fetchrow(
        "SELECT state, detail, attempts, lease_until, next_attempt_at > now() AS later "
        "FROM warehouse_cancellations WHERE shop = $1 AND wms_order_ref = $2",
        SHOP,
        ref,
    )
    assert row is not None
    return dict(row)


def test_the_queue_is_bound_to_exactly_the_routed_types_redaction_included() -> None:
    assert {(s.exchange, s.routing_key) for s in DEFINITION.routes.subscriptions} == {
        (INTERNAL_EVENTS, "shopify.webhook.orders.cancelled"),
        (INTERNAL_EVENTS, "orders.order.cancelled"),
        (INTERNAL_EVENTS, "orders.wms_order.sent"),
        (INTERNAL_EVENTS, "orders.wms_order.reduced"),
        (INTERNAL_EVENTS, "fulfillments.shipment.synced"),
        (WMS_EVENTS, "wms.order.cancel_result"),
        (WMS_EVENTS, "wms.order.cancelled"),
        (WMS_EVENTS, "wms.order.rejected"),
        (WMS_EVENTS, "wms.shipment.confirmed"),
        (INTERNAL_EVENTS, "shopify.webhook.customers.redact"),
        (INTERNAL_EVENTS, "shopify.webhook.shop.redact"),
    }


# --- Shopify -> WMS ------------------------------------------------------------------------------


async def test_a_cancel_heard_before_the_mapping_asks_the_warehouse_once_the_mapping_arrives(
    pool: asyncpg.Pool,
) -> None:
    assert await deliver(pool, webhook_cancelled()) == []  # no WMS order known yet
    mapping = about_order("orders.wms_order.sent", sent(**{"SKU-1": 2}))

    [cancel] = await deliver(pool, mapping)

    assert cancel.type == "wms.order.cancel"
    assert cancel.data_as(WmsOrderCancel).wms_order_ref == "#1001"
    assert cancel.data_as(WmsOrderCancel).reason == "cancelled in Shopify (customer)"
    assert cancel.correlation_id == order_correlation_id(SHOP, ORDER)
    assert cancel.causation_id == mapping.id
    assert await request_state(pool, "#1001") == ("requested", None)
    # The same cancellation heard again, by webhook and from order-intake, and the mapping
    # repeated: the warehouse was asked already.
    assert await deliver(pool, webhook_cancelled()) == []
    assert await deliver(pool, intake_saw_cancelled()) == []
    assert await deliver(pool, about_order("orders.wms_order.sent", sent(**{"SKU-1": 2}))) == []


async def test_the_warehouses_cancel_restocks_what_had_not_shipped_once(
    pool: asyncpg.Pool,
) -> None:
    await deliver(pool, about_order("orders.wms_order.sent", sent(**{"SKU-1": 3, "SKU-2": 1})))
    await deliver(
        pool,
        new_envelope(
            "wms.shipment.confirmed",
            {
                "shipment_id": "SHP-1",
                "wms_order_ref": "#1001",
                "shipped_at": NOW.isoformat(),
                "carrier": "UPS",
                "lines": [{"sku": "SKU-1", "quantity": 1}],
            },
            shop=SHOP,
        ),
    )
    await deliver(pool, intake_saw_cancelled())

    [restocked] = await deliver(pool, cancel_result("#1001", "cancelled", "partially shipped"))

    restock = restocked.data_as(OrderRestocked)
    assert restock.restock_id == f"{SHOP}|#1001|cancel"
    assert restock.restocked_in_shopify is True
    assert [(x.sku, x.quantity) for x in restock.lines] == [("SKU-1", 2), ("SKU-2", 1)]
    assert restocked.correlation_id == order_correlation_id(SHOP, ORDER)
    assert await request_state(pool, "#1001") == ("cancelled", "partially shipped")
    # The answer repeated under a new message id: nothing changes, nothing is restocked twice.
    assert await deliver(pool, cancel_result("#1001", "cancelled")) == []


async def test_a_refused_cancel_is_an_alert_and_restocks_nothing(pool: asyncpg.Pool) -> None:
    await deliver(pool, about_order("orders.wms_order.sent", sent(**{"SKU-1": 1})))
    await deliver(pool, webhook_cancelled())

    assert await deliver(pool, cancel_result("#1001", "refused", "already shipped")) == []

    assert await request_state(pool, "#1001") == ("refused", "already shipped")
    async with pool.acquire() as conn:
        status = await store.status_summary(conn)
    [alert] = status["needs_attention"]["cancelled_in_shopify_but_shipped"]
    assert (alert["wms_order_ref"], alert["state"]) == ("#1001", "refused")


async def test_an_answer_to_a_cancel_never_asked_is_ignored(pool: asyncpg.Pool) -> None:
    await deliver(pool, about_order("orders.wms_order.sent", sent(**{"SKU-1": 1})))
    assert await deliver(pool, cancel_result("#1001", "cancelled")) == []
    assert await request_state(pool, "#1001") is None


async def test_a_reduced_order_whose_held_units_all_shipped_is_an_alert_not_a_command(
    pool: asyncpg.Pool,
) -> None:
    mapping = sent(**{"SKU-00005": 1, "SKU-00006": 2})
    await deliver(pool, about_order("orders.wms_order.sent", mapping))
    # order-intake had every SKU-00006 taken out of it.
    reduction = WmsOrderReduced(
        wms_order_ref=mapping.wms_order_ref,
        shopify_order_id=ORDER,
        fulfillment_order_id=mapping.fulfillment_order_id,
        cancelled=False,
        lines=[line for line in mapping.lines if line.sku == "SKU-00005"],
        confirmed_at=datetime.now(UTC),
    )
    assert await deliver(pool, about_order("orders.wms_order.reduced", reduction)) == []
    # What it still holds left the warehouse (the units taken out never will).
    await deliver(
        pool,
        new_envelope(
            "wms.shipment.confirmed",
            {
                "shipment_id": "SHP-held-1",
                "wms_order_ref": mapping.wms_order_ref,
                "shipped_at": datetime.now(UTC).isoformat(),
                "carrier": "UPS",
                "tracking_numbers": ["1Z1"],
                "lines": [{"sku": "SKU-00005", "quantity": 1}],
            },
            shop=SHOP,
        ),
    )

    assert await deliver(pool, webhook_cancelled()) == []

    assert await request_state(pool, mapping.wms_order_ref) == (
        "shipped",
        "shipped before the cancellation (SHP-held-1)",
    )


async def test_an_older_reduction_arriving_late_is_ignored(pool: asyncpg.Pool) -> None:
    mapping = sent(**{"SKU-1": 3})
    await deliver(pool, about_order("orders.wms_order.sent", mapping))

    def reduced(units: int, at: datetime) -> Envelope:
        line = mapping.lines[0].model_copy(update={"quantity": units})
        return about_order(
            "orders.wms_order.reduced",
            WmsOrderReduced(
                wms_order_ref=mapping.wms_order_ref,
                shopify_order_id=ORDER,
                fulfillment_order_id=mapping.fulfillment_order_id,
                cancelled=False,
                lines=[line],
                confirmed_at=at,
            ),
        )

    later = datetime.now(UTC)
    await deliver(pool, reduced(1, later))
    await deliver(pool, reduced(2, later - timedelta(seconds=1)))
    await deliver(pool, webhook_cancelled())

    [restocked] = await deliver(pool, cancel_result(mapping.wms_order_ref, "cancelled"))
    assert [(x.sku, x.quantity) for x in restocked.data_as(OrderRestocked).lines] == [("SKU-1", 1)]


# --- WMS -> Shopify: the worker's queue ----------------------------------------------------------


async def test_a_warehouse_cancellation_is_queued_once_and_wakes_the_worker_at_commit(
    pool: asyncpg.Pool,
) -> None:
    woken = asyncio.Event()

    def wake(*_: object) -> None:
        woken.set()

    async with pool.acquire() as listener:
        await listener.add_listener(store.WORK.channel, wake)
        try:
            await deliver(pool, about_order("orders.wms_order.sent", sent(**{"SKU-1": 1})))
            assert await deliver(pool, warehouse_cancelled("#1001")) == []
            await asyncio.wait_for(woken.wait(), 5)
            woken.clear()
            await deliver(pool, warehouse_cancelled("#1001"))  # the same news under a new id
            await asyncio.sleep(0.2)
            assert not woken.is_set()
        finally:
            await listener.remove_listener(store.WORK.channel, wake)
    count = await pool.fetchval("SELECT count(*) FROM warehouse_cancellations")
    assert count == 1
    assert (await warehouse_row(pool, "#1001"))["state"] == "pending"


async def test_the_worker_claims_only_due_rows_whose_mapping_is_known(
    pool: asyncpg.Pool,
) -> None:
    await deliver(pool, warehouse_cancelled("#1001"))  # its mapping has not arrived
    async with pool.acquire() as conn:
        assert await store.claim_due_orders(conn, 10, 60) == []
    await deliver(pool, about_order("orders.wms_order.sent", sent(**{"SKU-1": 1})))
    async with pool.acquire() as conn:
        assert await store.claim_due_orders(conn, 10, 60) == [store.DueOrder(SHOP, ORDER)]
        assert await store.claim_due_orders(conn, 10, 60) == []  # leased
    assert (await warehouse_row(pool, "#1001"))["lease_until"] is not None


async def test_a_failed_attempt_waits_then_fails_and_leaves_a_settled_row_alone(
    pool: asyncpg.Pool,
) -> None:
    await deliver(pool, about_order("orders.wms_order.sent", sent("#1001", 101, **{"A": 1})))
    await deliver(pool, about_order("orders.wms_order.sent", sent("#1002", 102, **{"B": 1})))
    await deliver(pool, warehouse_cancelled("#1001"))
    await deliver(pool, warehouse_cancelled("#1002"))
    async with pool.acquire() as conn:
        await store.claim_due_orders(conn, 10, 60)
        await store.settle_warehouse_cancellations(conn, SHOP, ["#1002"], "cancelled", "done")
        await store.try_again_later(conn, SHOP, ["#1001", "#1002"], "Shopify: 503", 30.0)

    retried = await warehouse_row(pool, "#1001")
    assert (retried["state"], retried["detail"], retried["attempts"]) == (
        "pending",
        "Shopify: 503",
        1,
    )
    assert retried["lease_until"] is None and retried["later"] is True
    settled = await warehouse_row(pool, "#1002")
    assert (settled["state"], settled["detail"], settled["attempts"]) == ("cancelled", "done", 0)

    async with pool.acquire() as conn:
        await store.try_again_later(conn, SHOP, ["#1001"], "shop not configured", None)
    failed = await warehouse_row(pool, "#1001")
    assert (failed["state"], failed["detail"], failed["attempts"]) == (
        "failed",
        "shop not configured",
        2,
    )


async def test_a_cancel_seen_in_shopify_has_the_worker_look_again_at_what_was_left_to_an_operator(
    pool: asyncpg.Pool,
) -> None:
    await deliver(pool, about_order("orders.wms_order.sent", sent(**{"SKU-1": 1})))
    await deliver(pool, warehouse_cancelled("#1001"))
    async with pool.acquire() as conn:
        await store.try_again_later(conn, SHOP, ["#1001"], "Shopify: 503", 30.0)
        await store.settle_warehouse_cancellations(
            conn, SHOP, ["#1001"], "needs_operator", "open elsewhere"
        )

    # The warehouse cancelled it already: nothing to ask it.
    assert await deliver(pool, webhook_cancelled()) == []

    row = await warehouse_row(pool, "#1001")
    assert (row["state"], row["attempts"], row["later"]) == ("pending", 0, False)
    assert await request_state(pool, "#1001") is None
