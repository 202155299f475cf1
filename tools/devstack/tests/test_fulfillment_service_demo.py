"""The merchant's side of WH2 in `make run`, against the real Shopify simulator: the demo finds
the service order-intake registered, stocks its location, sends it orders whose fulfillment
requests the shop's automation submits, and asks to cancel an accepted request."""

import asyncio
import random
from typing import Any

import aiohttp

from devstack.demo import DEMO_LOCATION, DEMO_SHOP, DEMO_TOKEN, create_demo_shop
from devstack.fulfillment_service import (
    SERVICE_NAME,
    location_number,
    pick_cancellable,
    request_cancellation,
    service_location,
    start_service_orders,
    stock_service_location,
    wait_for_registration,
)
from devstack.warehouse import PRODUCTS
from shopify_admin.operations import (
    FULFILLMENT_ORDER_ACCEPT_FULFILLMENT_REQUEST,
    FULFILLMENT_SERVICE_CREATE,
)
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.testing import SimulatorHandle, running_simulator, webhook_receiver


def test_service_location_is_found_by_name_once_it_has_one() -> None:
    services = [
        {"name": "Other 3PL", "location_id": "gid://shopify/Location/5"},
        {"name": SERVICE_NAME, "location_id": "gid://shopify/Location/7"},
    ]

    assert service_location(services, SERVICE_NAME) == "gid://shopify/Location/7"
    assert service_location(services[:1], SERVICE_NAME) is None
    assert location_number("gid://shopify/Location/7") == "7"


def test_only_accepted_requests_not_shipped_whole_are_asked_to_cancel() -> None:
    nodes = [
        {"id": "a", "status": "OPEN", "requestStatus": "SUBMITTED"},
        {"id": "b", "status": "IN_PROGRESS", "requestStatus": "ACCEPTED"},
        {"id": "c", "status": "IN_PROGRESS", "requestStatus": "CANCELLATION_REQUESTED"},
        {"id": "d", "status": "CLOSED", "requestStatus": "ACCEPTED"},
    ]

    assert pick_cancellable(nodes, random.Random(0)) == nodes[1]
    assert pick_cancellable(nodes[2:], random.Random(0)) is None


async def _register_as_order_intake(sim: SimulatorHandle, callback_url: str) -> None:
    answer = await sim.graphql(
        DEMO_TOKEN,
        FULFILLMENT_SERVICE_CREATE.document,
        {
            "name": SERVICE_NAME,
            "callbackUrl": callback_url,
            "inventoryManagement": True,
            "trackingSupport": True,
        },
    )
    assert not answer["data"]["fulfillmentServiceCreate"]["userErrors"], answer


async def _service_fos(sim: SimulatorHandle, location: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await sim.state(DEMO_SHOP, "fulfillment_orders")
    return [fo for fo in rows if fo["location_id"] == location]


async def test_the_merchant_side_of_the_service_demo(schema_runtime: SchemaRuntime) -> None:
    async with running_simulator(runtime=schema_runtime) as sim, webhook_receiver() as hooks:
        await create_demo_shop(sim.base_url, hooks.url)
        registering = asyncio.create_task(wait_for_registration(sim.base_url, timeout_s=10))
        await asyncio.sleep(0.2)  # order-intake registers after the demo starts waiting
        await _register_as_order_intake(sim, hooks.callback_url)
        location = await registering
        assert location != DEMO_LOCATION

        assert await stock_service_location(sim.base_url, location) == PRODUCTS
        await start_service_orders(sim.base_url, location, 20)
        for _ in range(50):
            fos = await _service_fos(sim, location)
            if fos:
                break
            await asyncio.sleep(0.1)
        fo = fos[0]
        assert fo["request_status"] == "SUBMITTED"  # the shop's automation asked the service

        rng = random.Random(0)
        async with aiohttp.ClientSession() as session:
            assert await request_cancellation(session, sim.base_url, location, rng) is None
            accepted = await sim.graphql(
                DEMO_TOKEN, FULFILLMENT_ORDER_ACCEPT_FULFILLMENT_REQUEST.document, {"id": fo["id"]}
            )
            assert not accepted["data"]["fulfillmentOrderAcceptFulfillmentRequest"]["userErrors"]

            name = await request_cancellation(session, sim.base_url, location, rng)

        assert name == fo["order_name"]
        [after] = [row for row in await _service_fos(sim, location) if row["id"] == fo["id"]]
        assert after["request_status"] == "CANCELLATION_REQUESTED"
        kinds = [body for _, body in hooks.notifications]
        assert any(b"CANCELLATION_REQUEST" in body for body in kinds)
