"""A facility connected as a Shopify fulfillment service, end to end.

Real Shopify simulator (the fulfillment-service protocol: the service and its location, request
states, notifications to the callback URL, webhooks), gateway, order-intake, fulfillment-sync,
cancellation and the WMS simulator over RabbitMQ and Postgres. The merchant asks through
Shopify's Admin API; what Shopify ends up holding is read from the simulator's own state.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from cancellation.app import DEFINITION as CANCELLATION
from fulfillment_sync.app import DEFINITION as FULFILLMENT_SYNC
from order_intake.app import DEFINITION as INTAKE
from shopify_sim.state.models import FulfillmentOrder
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service
from wms_sim.config import GeneratedCatalog

from .conftest import StartOrderFlow
from .e2e_support import (
    SERVICE_FACILITY,
    SERVICE_NAME,
    SHOP,
    SKUS,
    OrderFlow,
    PlacedOrder,
    creates_for,
)
from .merchant import Merchant

UNKNOWN_SKU = f"SKU-{SKUS + 1:05d}"
"""Seeded in Shopify, unknown to the warehouse: it rejects orders carrying it."""


@pytest.fixture(autouse=True)
def quick_schedules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDER_INTAKE_REQUEST_SCAN_INTERVAL_S", "1")
    monkeypatch.setenv("ORDER_INTAKE_REGISTRATION_INTERVAL_S", "1")
    monkeypatch.setenv("ORDER_INTAKE_ANSWER_RETRY_BASE_S", "0.1")
    monkeypatch.setenv("FULFILLMENT_SYNC_RETRY_BASE_S", "0.1")


@asynccontextmanager
async def service_flow(order_flow: StartOrderFlow, **options: Any) -> AsyncIterator[OrderFlow]:
    async with order_flow(
        fulfillment_service=True,
        others=(FULFILLMENT_SYNC, CANCELLATION),
        warehouse={"catalog": GeneratedCatalog(products=SKUS, accept_pattern=False)},
        **options,
    ) as flow:
        await flow.sim.seed(
            SHOP, products=SKUS + 1, locations=["Shop location"], min_quantity=50, max_quantity=50
        )
        await flow.wait_service_registered()
        yield flow


def fo_at_service(flow: OrderFlow, order: PlacedOrder) -> FulfillmentOrder:
    """The order's fulfillment order at the service's location (the newest, should Shopify have
    replaced one)."""
    shop = flow.shop
    [location] = [
        s.location_id for s in shop.fulfillment_services.values() if s.name == SERVICE_NAME
    ]
    at_service = [
        fo for fo in shop.fulfillment_orders_of(shop.order(order.gid)) if fo.location_id == location
    ]
    return max(at_service, key=lambda fo: fo.id)


def gid(fo: FulfillmentOrder) -> str:
    return f"gid://shopify/FulfillmentOrder/{fo.id}"


async def requested_order(
    flow: OrderFlow, merchant: Merchant, sku: str = "SKU-00001", units: int = 2
) -> tuple[PlacedOrder, str]:
    order = await flow.place_order([(sku, units, SERVICE_NAME)])
    fo = fo_at_service(flow, order)
    assert fo.request_status == "UNSUBMITTED"
    await merchant.request_fulfillment(gid(fo))
    return order, gid(fo)


def fo_of(flow: OrderFlow, fo_gid: str) -> FulfillmentOrder:
    return flow.shop.fulfillment_orders[int(fo_gid.rsplit("/", 1)[-1])]


async def request_status_becomes(flow: OrderFlow, fo_gid: str, status: str) -> FulfillmentOrder:
    await eventually(lambda: fo_of(flow, fo_gid).request_status == status, 20)
    return fo_of(flow, fo_gid)


def answers_to(fo: FulfillmentOrder) -> list[Any]:
    return list(fo.service_responses)


async def test_a_requested_order_is_sent_accepted_after_the_warehouse_and_shipped_once(
    order_flow: StartOrderFlow,
) -> None:
    async with service_flow(order_flow) as flow:
        merchant = Merchant(flow.sim, SHOP)
        # Placed but not requested: nothing goes to the warehouse.
        waiting = await flow.place_order([("SKU-00003", 1, SERVICE_NAME)])
        order, fo_gid = await requested_order(flow, merchant)

        [create] = await flow.wait_creates(order, 1)
        assert create.body["data"]["facility"] == SERVICE_FACILITY
        assert create.body["data"]["fulfillment_order_id"] == fo_gid
        fo = await request_status_becomes(flow, fo_gid, "ACCEPTED")
        assert fo.status == "IN_PROGRESS"
        [answer] = answers_to(fo)
        assert "Accepted by the warehouse" in (answer.message or "")
        # Never accepted before the warehouse accepted.
        wms_accepted_at = await flow.intake.pool.fetchval(
            "SELECT answered_at FROM wms_orders WHERE wms_order_ref = $1", order.name
        )
        answered = "SELECT answered_at FROM request_answers WHERE fulfillment_order_id = $1"
        await eventually(lambda: flow.intake.pool.fetchval(answered, fo_gid), 5)
        assert wms_accepted_at <= await flow.intake.pool.fetchval(answered, fo_gid)

        await flow.warehouse.ship_now(order.name)
        await eventually(lambda: fo_of(flow, fo_gid).status == "CLOSED", 20)
        await flow.settled()
        assert len(flow.shop.order(order.gid).fulfillment_ids) == 1
        assert creates_for(flow.tap, waiting.name) == []
        assert fo_at_service(flow, waiting).request_status == "UNSUBMITTED"


async def test_a_rejected_order_rejects_the_request_with_the_warehouses_reason(
    order_flow: StartOrderFlow,
) -> None:
    async with service_flow(order_flow) as flow:
        merchant = Merchant(flow.sim, SHOP)
        order, fo_gid = await requested_order(flow, merchant, sku=UNKNOWN_SKU)
        fo = await request_status_becomes(flow, fo_gid, "REJECTED")
        [answer] = answers_to(fo)
        assert UNKNOWN_SKU in (answer.message or "")
        assert answer.details.get("reason") == "INVALID_SKU", answer
        await flow.settled()
        assert len(creates_for(flow.tap, order.name)) == 1


async def test_a_request_failing_our_checks_is_rejected_without_reaching_the_warehouse(
    order_flow: StartOrderFlow,
) -> None:
    async with service_flow(order_flow) as flow:
        merchant = Merchant(flow.sim, SHOP)
        created = await flow.sim.create_order(
            SHOP,
            [("SKU-00001", 1, SERVICE_NAME)],
            shippingAddress={"firstName": "Sam", "lastName": "Buyer", "address1": "1 Main St",
                             "countryCode": "CA", "zip": "M5H 2M9"},
        )  # fmt: skip
        order = PlacedOrder(created["id"], created["name"])
        fo_gid = gid(fo_at_service(flow, order))
        await merchant.request_fulfillment(fo_gid)
        fo = await request_status_becomes(flow, fo_gid, "REJECTED")
        [answer] = answers_to(fo)
        assert "shipping address has no city" in (answer.message or "")
        assert creates_for(flow.tap, order.name) == []


async def test_a_cancellation_request_is_accepted_once_the_warehouse_cancelled(
    order_flow: StartOrderFlow,
) -> None:
    async with service_flow(order_flow) as flow:
        merchant = Merchant(flow.sim, SHOP)
        order, fo_gid = await requested_order(flow, merchant)
        await request_status_becomes(flow, fo_gid, "ACCEPTED")
        await merchant.request_cancellation(fo_gid, "the customer cancelled")
        fo = await request_status_becomes(flow, fo_gid, "CANCELLATION_ACCEPTED")
        assert flow.warehouse.order(order.name).status.name == "CANCELLED"
        assert [
            c.body["data"]["wms_order_ref"] for c in flow.tap.tapped_of_type("wms.order.cancel")
        ] == [order.name]
        assert "Cancelled at the warehouse" in (answers_to(fo)[-1].message or "")


async def test_a_cancellation_the_warehouse_refuses_is_rejected_with_its_reason(
    order_flow: StartOrderFlow,
) -> None:
    async with service_flow(order_flow) as flow:
        merchant = Merchant(flow.sim, SHOP)
        order, fo_gid = await requested_order(flow, merchant)
        await request_status_becomes(flow, fo_gid, "ACCEPTED")
        await flow.warehouse.start_picking(order.name)
        await merchant.request_cancellation(fo_gid)
        fo = await request_status_becomes(flow, fo_gid, "CANCELLATION_REJECTED")
        assert fo.status == "IN_PROGRESS"
        assert "picking started" in (answers_to(fo)[-1].message or "")
        status = (await flow.intake_status_all())["fulfillment_requests"]
        assert [r["wms_order_ref"] for r in status["refused_cancellations"]] == [order.name]
        # Settled with the merchant: not also a refused change holding the order's work back.
        await eventually(lambda: _no_refused_change(flow, order), 5)


async def _no_refused_change(flow: OrderFlow, order: PlacedOrder) -> bool:
    return await flow.operator_problems(order.name) == []


async def test_duplicate_notifications_and_webhooks_answer_each_request_once(
    order_flow: StartOrderFlow,
) -> None:
    async with service_flow(order_flow) as flow:
        await flow.delivery_controls(duplicate_fraction=1.0)
        merchant = Merchant(flow.sim, SHOP)
        orders = [await requested_order(flow, merchant, sku=f"SKU-0000{n}") for n in (1, 2, 3)]
        for _, fo_gid in orders:
            await request_status_becomes(flow, fo_gid, "ACCEPTED")
        await flow.settled()
        await asyncio.sleep(1.5)  # a scheduled scan too
        for order, fo_gid in orders:
            assert len(creates_for(flow.tap, order.name)) == 1
            assert len(answers_to(fo_of(flow, fo_gid))) == 1
        # Nor was a second answer even tried (Shopify would have refused it).
        tried = await flow.intake.pool.fetchval("SELECT count(*) FROM request_answers")
        assert tried == 3


async def test_lost_notifications_and_webhooks_are_caught_by_the_scheduled_scan(
    order_flow: StartOrderFlow,
) -> None:
    async with service_flow(order_flow) as flow:
        await flow.delivery_controls(drop_fraction=1.0)
        merchant = Merchant(flow.sim, SHOP)
        order, fo_gid = await requested_order(flow, merchant)
        await request_status_becomes(flow, fo_gid, "ACCEPTED")
        assert len(creates_for(flow.tap, order.name)) == 1


async def test_a_mixed_shop_sends_location_orders_at_once_and_service_orders_on_request(
    order_flow: StartOrderFlow,
) -> None:
    async with service_flow(order_flow) as flow:
        merchant = Merchant(flow.sim, SHOP)
        order = await flow.place_order(
            [("SKU-00001", 1, "Shop location"), ("SKU-00002", 1, SERVICE_NAME)]
        )
        [first] = await flow.wait_creates(order, 1)
        assert first.body["data"]["facility"] == "WH1"
        fo_gid = gid(fo_at_service(flow, order))
        await merchant.request_fulfillment(fo_gid)
        creates = await flow.wait_creates(order, 2)
        assert sorted(c.body["data"]["facility"] for c in creates) == ["WH1", SERVICE_FACILITY]
        await request_status_becomes(flow, fo_gid, "ACCEPTED")
        await flow.settled()
        # The merchant-managed location's FO is not a request: nothing is answered for it.
        answered = await flow.intake.pool.fetch("SELECT fulfillment_order_id FROM request_answers")
        assert [r["fulfillment_order_id"] for r in answered] == [fo_gid]


async def test_registration_finds_its_service_again_after_a_lost_answer_and_a_restart(
    order_flow: StartOrderFlow, isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    async with order_flow(
        fulfillment_service=True, lost_answers=("FulfillmentServiceCreate",)
    ) as flow:
        # Every answer to fulfillmentServiceCreate is lost: Shopify made the service, order-intake
        # never heard (a 504), and its retry was told the name is taken.
        await flow.wait_service_registered()
        await asyncio.sleep(2.5)  # registration rounds go on, finding it
        await flow.sim.admin("DELETE", "/faults")
        # A second order-intake (a restart, or a replica) registers too: still one service.
        async with running_service(INTAKE, isolated_database, isolated_vhost):
            await asyncio.sleep(2.5)
        registered = (await flow.intake_status_all())["fulfillment_services"]
        services = [s for s in flow.shop.fulfillment_services.values() if s.name == SERVICE_NAME]
        assert len(services) == 1
        assert registered, registered
