"""A real cancellation service against the Shopify simulator, the WMS simulator, Postgres and
RabbitMQ.

`world()` starts the Shopify simulator with one shop (locations "Shop location" -> WH1,
"Warehouse East" -> WH2, "Pop-up" unmapped; with `service=True` also WH3, connected as a
fulfillment service the app registered, whose location Shopify named after it, and the
merchant's automation requesting fulfillment of every paid order's FO there), the WMS simulator
with the facilities (it ships and cancels only when a test says so), a tap on what the service
publishes, and the service. The test plays order-intake (`send_to_wms`: `wms.order.create` to
the warehouse, then `orders.wms_order.sent`), the gateway (`webhook_cancelled`) and
fulfillment-sync where needed.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import pytest
from aio_pika.abc import AbstractChannel

from cancellation.app import DEFINITION
from contracts import (
    INTERNAL_EVENTS,
    WMS_COMMANDS,
    WMS_EVENTS,
    Envelope,
    FulfillmentOrderLineRef,
    OrderRestocked,
    ShopifyOrderCancelled,
    WmsOrderAccepted,
    WmsOrderCancel,
    WmsOrderSent,
    new_envelope,
    order_correlation_id,
)
from contracts.internal import SubscribedTopic
from messaging.amqp import publish_envelope
from service_runtime import RuntimeSettings, ServiceRuntime
from shopify_admin.operations import (
    FULFILLMENT_ORDER_ACCEPT_FULFILLMENT_REQUEST,
    FULFILLMENT_SERVICE_CREATE,
)
from shopify_sim.config import SimConfig as ShopifySimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.state.models import Order as SimOrder
from shopify_sim.state.repository import ShopState
from shopify_sim.testing import SimulatorHandle, running_simulator, webhook_receiver
from shopify_sim.webhook_payloads import order_body
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import test_settings
from testkit.shops import shop, shops_file
from testkit.tap import Tap, open_tap
from testkit.webhooks import webhook_envelope
from wms_sim import Facility, WmsSimulator
from wms_sim.testing import quiet_config

DOMAIN = "cancel-test.myshopify.com"
TOKEN = "shpat_cancel_test"
MAPPED = {"Shop location": "WH1", "Warehouse East": "WH2"}
UNMAPPED = "Pop-up"
SERVICE_NAME = "Shipbridge WH3"
"""The fulfillment service of facility WH3 (`service=True`), and the name of its location."""
SERVICE_FACILITY = "WH3"
SKUS = [f"SKU-{n:05d}" for n in range(1, 11)]

MERCHANT_CANCEL = """mutation($id: ID!, $reason: OrderCancelReason!) {
  orderCancel(orderId: $id, reason: $reason, restock: true) { orderCancelUserErrors { message } }
}"""
FULFILL_ALL = """mutation($fo: ID!) {
  fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: [{fulfillmentOrderId: $fo}]}) {
    userErrors { message } } }"""


TAPPED = [(WMS_COMMANDS, "wms.order.cancel"), (INTERNAL_EVENTS, "cancellations.#")]
"""What the service publishes that others act on: WMS commands and restocks."""


@dataclass
class CancelWorld:
    sim: SimulatorHandle
    wms: WmsSimulator
    runtime: ServiceRuntime
    channel: AbstractChannel
    tap: Tap
    mapped: dict[str, str] = field(default_factory=lambda: dict(MAPPED))
    """Location name -> facility, as order-intake maps them."""

    def cancels_for(self, ref: str) -> list[Envelope]:
        return [
            m
            for m in self.tap.of_type("wms.order.cancel")
            if m.data_as(WmsOrderCancel).wms_order_ref == ref
        ]

    def restocks(self) -> list[OrderRestocked]:
        return self.tap.payloads("cancellations.order.restocked", OrderRestocked)

    async def restart(self) -> None:
        """Stop the service mid-work (its worker is cancelled wherever it is) and start another."""
        await self.runtime.stop()
        self.runtime = await start_service(self.runtime.settings)

    @property
    def shop(self) -> ShopState:
        return self.sim.simulator.store.shop(DOMAIN)

    def location_gid(self, name: str) -> str:
        location = next(loc for loc in self.shop.locations.values() if loc.name == name)
        return f"gid://shopify/Location/{location.id}"

    def sim_order(self, order_gid: str) -> SimOrder:
        return self.shop.order(order_gid)

    async def create_order(self, lines: list[tuple[str, int, str]]) -> dict[str, Any]:
        """A paid order from (sku, quantity, location name) lines; returns {id, name}."""
        return await self.sim.create_order(DOMAIN, lines)

    # --- playing order-intake ------------------------------------------------------------------

    async def send_to_wms(
        self, order: dict[str, Any], *, announce: bool = True
    ) -> list[WmsOrderSent]:
        """What order-intake does: one `wms.order.create` per fulfillment order at a mapped
        location (the warehouse accepts it), then `orders.wms_order.sent` for each."""
        sim_order = self.sim_order(order["id"])
        skus = {line.id: line.sku for line in sim_order.line_items}
        mapped = [
            fo
            for fo in self.shop.fulfillment_orders_of(sim_order)
            if self.shop.locations[fo.location_id].name in self.mapped
        ]
        sent = []
        for index, fo in enumerate(mapped, start=1):
            ref = order["name"] if len(mapped) == 1 else f"{order['name']}-{index}"
            location = self.shop.locations[fo.location_id]
            lines = [
                FulfillmentOrderLineRef(
                    line_ref=f"gid://shopify/FulfillmentOrderLineItem/{line.id}",
                    sku=skus[line.line_item_id] or "",
                    quantity=line.total_quantity,
                )
                for line in fo.line_items
            ]
            now = datetime.now(UTC)
            create = {
                "wms_order_ref": ref,
                "shopify_order_id": order["id"],
                "shopify_order_name": order["name"],
                "fulfillment_order_id": f"gid://shopify/FulfillmentOrder/{fo.id}",
                "facility": self.mapped[location.name],
                "placed_at": now,
                "on_hold": False,
                "cash_on_delivery": False,
                "shipping_method": {"code": "standard", "title": "Standard"},
                "ship_to": {
                    "name": "Sam Buyer",
                    "address1": "1 Main St",
                    "city": "Toronto",
                    "country_code": "CA",
                },
                "lines": [{**line.model_dump(), "title": line.sku} for line in lines],
            }
            await self.publish(WMS_COMMANDS, self._about(order["id"], "wms.order.create", create))
            sent.append(
                WmsOrderSent(
                    wms_order_ref=ref,
                    shopify_order_id=order["id"],
                    shopify_order_name=order["name"],
                    fulfillment_order_id=create["fulfillment_order_id"],
                    facility=create["facility"],
                    location_id=f"gid://shopify/Location/{location.id}",
                    placed_at=now,
                    sent_at=now,
                    lines=lines,
                )
            )
        refs = {s.wms_order_ref for s in sent}
        await eventually(lambda: refs <= self._accepted_refs(), timeout_s=10)
        if announce:
            for event in sent:
                await self.announce(event)
        return sent

    def _accepted_refs(self) -> set[str]:
        return {
            e.data_as(WmsOrderAccepted).wms_order_ref
            for e in self.wms.published
            if e.type == "wms.order.accepted"
        }

    async def announce(self, sent: WmsOrderSent) -> Envelope:
        envelope = self._about(sent.shopify_order_id, "orders.wms_order.sent", sent)
        await self.publish(INTERNAL_EVENTS, envelope)
        return envelope

    # --- playing the gateway, order-intake and fulfillment-sync ---------------------------------

    async def webhook_cancelled(self, order_gid: str) -> Envelope:
        return await self.webhook("orders/cancelled", order_gid)

    async def webhook_created(self, order_gid: str) -> Envelope:
        return await self.webhook("orders/create", order_gid)

    async def webhook(self, topic: SubscribedTopic, order_gid: str) -> Envelope:
        """A Shopify webhook for the order as it is now, put on the bus as the gateway does."""
        body = json.loads(json.dumps(order_body(self.shop, self.sim_order(order_gid)), default=str))
        envelope = webhook_envelope(
            topic, body, shop=DOMAIN, correlation_id=order_correlation_id(DOMAIN, order_gid)
        )
        await self.publish(INTERNAL_EVENTS, envelope)
        return envelope

    async def intake_saw_cancelled(self, order_gid: str) -> Envelope:
        order = self.sim_order(order_gid)
        assert order.cancelled_at is not None
        event = ShopifyOrderCancelled(
            shopify_order_id=order_gid,
            shopify_order_name=order.name,
            cancelled_at=order.cancelled_at,
            reason=order.cancel_reason,
        )
        envelope = self._about(order_gid, "orders.order.cancelled", event)
        await self.publish(INTERNAL_EVENTS, envelope)
        return envelope

    async def merchant_cancels(self, order_gid: str, reason: str = "CUSTOMER") -> None:
        """The merchant cancels the order in Shopify's admin (restocking, as Shopify suggests)."""
        result = await self.sim.run_as_storefront(
            DOMAIN, MERCHANT_CANCEL, {"id": order_gid, "reason": reason}
        )
        assert result["data"]["orderCancel"]["orderCancelUserErrors"] == []

    async def accept_request(self, fulfillment_order_gid: str) -> None:
        """What order-intake does once the WMS accepted: the app accepts the request."""
        result = await self.sim.graphql(
            TOKEN,
            FULFILLMENT_ORDER_ACCEPT_FULFILLMENT_REQUEST.document,
            {"id": fulfillment_order_gid, "message": None},
        )
        answer = result["data"]["fulfillmentOrderAcceptFulfillmentRequest"]
        assert answer["userErrors"] == [], answer

    async def merchant_fulfills(self, fulfillment_order_gid: str) -> None:
        result = await self.sim.run_as_storefront(
            DOMAIN, FULFILL_ALL, {"fo": fulfillment_order_gid}
        )
        assert result["data"]["fulfillmentCreate"]["userErrors"] == []

    async def wms_event(self, message_type: str, data: dict[str, Any]) -> Envelope:
        envelope = new_envelope(message_type, data, shop=DOMAIN)
        await self.publish(WMS_EVENTS, envelope)
        return envelope

    def _about(self, order_gid: str, message_type: str, data: Any) -> Envelope:
        return new_envelope(
            message_type, data, shop=DOMAIN, correlation_id=order_correlation_id(DOMAIN, order_gid)
        )

    async def publish(self, exchange_name: str, envelope: Envelope) -> None:
        await publish_envelope(self.channel, envelope, exchange_name)

    # --- looking at the service -----------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.runtime.port}/status"
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            body: dict[str, Any] = await resp.json()
            return body["cancellations"]

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = f"http://127.0.0.1:{self.runtime.port}{path}"
        async with aiohttp.ClientSession() as http, http.post(url, json=body) as resp:
            return resp.status, await resp.json()

    async def request_state(self, ref: str) -> tuple[str, str | None] | None:
        row = await self.runtime.pool.fetchrow(
            "SELECT state, reason FROM cancel_requests WHERE shop = $1 AND wms_order_ref = $2",
            DOMAIN,
            ref,
        )
        return (row["state"], row["reason"]) if row else None

    async def warehouse_state(self, ref: str) -> tuple[str, str | None] | None:
        row = await self.runtime.pool.fetchrow(
            "SELECT state, detail FROM warehouse_cancellations "
            "WHERE shop = $1 AND wms_order_ref = $2",
            DOMAIN,
            ref,
        )
        return (row["state"], row["detail"]) if row else None

    async def wait_request(self, ref: str, state: str) -> str | None:
        """Wait for the warehouse's side of a Shopify cancellation; returns its reason."""
        return await _wait_for_state(lambda: self.request_state(ref), state)

    async def wait_warehouse(self, ref: str, state: str) -> str | None:
        """Wait for the Shopify side of a warehouse cancellation; returns its detail."""
        return await _wait_for_state(lambda: self.warehouse_state(ref), state)

    async def settled(self) -> None:
        """Nothing left in the outbox, no Shopify work due, and the tap has caught up."""

        async def idle() -> bool:
            outbox = await self.runtime.pool.fetchval("SELECT count(*) FROM outbox")
            due = await self.runtime.pool.fetchval(
                "SELECT count(*) FROM warehouse_cancellations "
                "WHERE state IN ('pending', 'submitted') AND wms_order_ref IN "
                "(SELECT wms_order_ref FROM wms_orders)"
            )
            return outbox == 0 and due == 0

        await eventually(idle, timeout_s=20)
        await asyncio.sleep(0.4)  # let what was published reach the tap (and any repeat arrive)
        dead = await self.runtime.pool.fetch("SELECT message_type, reason FROM dead_letters")
        assert [dict(d) for d in dead] == []


async def _wait_for_state(
    read: Callable[[], Awaitable[tuple[str, str | None] | None]], state: str
) -> str | None:
    async def reached() -> bool:
        current = await read()
        return current is not None and current[0] == state

    await eventually(reached, timeout_s=20)
    current = await read()
    return current[1] if current else None


async def start_service(settings: RuntimeSettings) -> ServiceRuntime:
    runtime = ServiceRuntime(DEFINITION, settings, port=0)
    await runtime.start()
    return runtime


WorldFactory = Callable[..., AbstractAsyncContextManager[CancelWorld]]


@pytest.fixture
def world(
    isolated_database: IsolatedDatabase,
    isolated_vhost: str,
    schema_runtime: SchemaRuntime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> WorldFactory:
    @asynccontextmanager
    async def start(
        *,
        refund: bool = True,
        notify: bool = False,
        split_shipments: bool = False,
        service: bool = False,
    ) -> AsyncIterator[CancelWorld]:
        async with (
            running_simulator(ShopifySimConfig(random_seed=7), schema_runtime) as sim,
            AsyncExitStack() as stack,
        ):
            locations = (*MAPPED, UNMAPPED)
            await sim.create_shop(DOMAIN, TOKEN, locations=locations)
            await sim.seed(
                DOMAIN, products=10, locations=list(locations), min_quantity=50, max_quantity=50
            )
            mapped = dict(MAPPED)
            facilities: dict[str, Any] = {}
            if service:
                receiver = await stack.enter_async_context(webhook_receiver())
                created = await sim.graphql(
                    TOKEN,
                    FULFILLMENT_SERVICE_CREATE.document,
                    {
                        "name": SERVICE_NAME,
                        "callbackUrl": receiver.callback_url,
                        "inventoryManagement": True,
                        "trackingSupport": True,
                    },
                )
                assert created["data"]["fulfillmentServiceCreate"]["userErrors"] == [], created
                await sim.stock(DOMAIN, SERVICE_NAME, 50, SKUS)
                await sim.settings(DOMAIN, auto_request_fulfillment=True)
                mapped[SERVICE_NAME] = SERVICE_FACILITY
                facilities[SERVICE_FACILITY] = {
                    "mode": "fulfillment_service",
                    "name": SERVICE_NAME,
                    "callback_url": "https://gateway.example.com",
                    "inventory_management": True,
                    "tracking_support": True,
                }
            sim_shop = sim.simulator.store.shop(DOMAIN)
            gids = {
                loc.name: f"gid://shopify/Location/{loc.id}" for loc in sim_shop.locations.values()
            }
            shops_file(
                tmp_path,
                monkeypatch,
                shop(
                    DOMAIN,
                    locations={gids[n]: f for n, f in MAPPED.items()},
                    cancellation={"refund_to_original_payment": refund, "notify_customer": notify},
                    **({"facilities": facilities} if facilities else {}),
                ),
                access_token=TOKEN,
            )
            monkeypatch.setenv("CANCELLATION_CONFIRM_DELAY_S", "0.05")
            monkeypatch.setenv("CANCELLATION_RETRY_BASE_S", "0.05")
            monkeypatch.setenv("CANCELLATION_WORKER_IDLE_POLL_S", "0.2")
            monkeypatch.setenv("CANCELLATION_SHOPIFY_MAX_ATTEMPTS", "2")
            monkeypatch.setenv("CANCELLATION_LEASE_S", "1")

            # The tap declares the exchanges, so the test can publish before the service starts.
            async with open_tap(isolated_vhost, TAPPED) as tap:
                connection = await aio_pika.connect(isolated_vhost)
                wms = WmsSimulator(
                    quiet_config(
                        facilities=tuple(Facility(DOMAIN, f) for f in mapped.values()),
                        catalog={
                            facility: dict.fromkeys(SKUS, 100) for facility in mapped.values()
                        },
                        ship_delay_s=None,
                        split_probability=1.0 if split_shipments else 0.0,
                    )
                )
                try:
                    await wms.start(isolated_vhost)
                    settings = test_settings(
                        isolated_database, isolated_vhost, shopify_admin_url=sim.base_url
                    )
                    cancel_world = CancelWorld(
                        sim,
                        wms,
                        await start_service(settings),
                        await connection.channel(),
                        tap,
                        mapped,
                    )
                    try:
                        yield cancel_world
                    finally:
                        if cancel_world.runtime.started:
                            await cancel_world.runtime.stop()
                finally:
                    await wms.stop()
                    await connection.close()

    return start
