"""A real fulfillment-sync against the Shopify simulator, Postgres and RabbitMQ.

`fulfil()` starts the simulator with one shop (seeded catalog, one location), writes the shops
file, taps internal.events for fulfillments.*, then starts fulfillment-sync. The
test plays order-intake (orders.wms_order.sent) and the warehouse (wms.shipment.confirmed), and
looks at the simulator's own state for what Shopify holds.
"""

import asyncio
import contextlib
import os
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import asyncpg
import pytest
from aio_pika.abc import AbstractChannel

from contracts import (
    INTERNAL_EVENTS,
    WMS_EVENTS,
    Envelope,
    FulfillmentOrderLineRef,
    ShipmentSynced,
    WmsOrderReduced,
    WmsOrderSent,
    WmsShipmentConfirmed,
    new_envelope,
    order_correlation_id,
)
from fulfillment_sync.app import DEFINITION
from messaging.amqp import publish_envelope
from service_runtime import ServiceRuntime
from shop_config import env_name
from shopify_admin.operations import (
    FULFILLMENT_CREATE,
    FULFILLMENT_ORDER_ACCEPT_FULFILLMENT_REQUEST,
    FULFILLMENT_ORDER_HOLD,
    FULFILLMENT_ORDER_RELEASE_HOLD,
    FULFILLMENT_SERVICE_CREATE,
)
from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.state.models import Fulfillment
from shopify_sim.state.models import Order as SimOrder
from shopify_sim.state.repository import ShopState
from shopify_sim.testing import SimulatorHandle, running_simulator, webhook_receiver
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service
from testkit.shops import shop, shops_file
from testkit.tap import Tap, open_tap

DOMAIN = "fulfil-test.myshopify.com"
TOKEN = "shpat_fulfil_test"
OPS_TOKEN = "ops-secret"
# Quick retries and rechecks: the tests watch them happen.
FAST_SETTINGS = {
    "FULFILLMENT_SYNC_RETRY_BASE_S": "0.05",
    "FULFILLMENT_SYNC_RETRY_MAX_S": "0.5",
    "FULFILLMENT_SYNC_HOLD_RECHECK_S": "0.3",
    "FULFILLMENT_SYNC_IDLE_POLL_S": "0.2",
    "FULFILLMENT_SYNC_EXPIRY_CHECK_S": "0.2",
}

ORDER_CANCEL = """mutation Cancel($id: ID!) {
  orderCancel(orderId: $id, reason: CUSTOMER, restock: true) { orderCancelUserErrors { message } }
}"""


def shipment_id_of(shipment: Envelope) -> str:
    """The shipment_id of a `wms.shipment.confirmed`."""
    return shipment.data_as(WmsShipmentConfirmed).shipment_id


def synced_data(event: Envelope) -> ShipmentSynced:
    """The payload of a `fulfillments.shipment.synced`."""
    return event.data_as(ShipmentSynced)


@dataclass
class World:
    sim: SimulatorHandle
    tap: Tap
    channel: AbstractChannel
    db: IsolatedDatabase
    amqp_url: str
    shops_file: Path
    runtime: ServiceRuntime | None = None

    @property
    def shop(self) -> ShopState:
        return self.sim.simulator.store.shop(DOMAIN)

    @property
    def base_url(self) -> str:
        assert self.runtime is not None
        return f"http://127.0.0.1:{self.runtime.port}"

    # --- Shopify's side ---------------------------------------------------------------------

    def sim_order(self, order_gid: str) -> SimOrder:
        return self.shop.order(order_gid)

    async def order(
        self, *lines: tuple[str, int], at: str | None = None, facility: str = "WH1"
    ) -> WmsOrderSent:
        """A paid order in Shopify (shipped from location `at`, by name, default the shop's
        first), and what order-intake would announce having sent for it to `facility`."""
        created = await self.sim.create_order(
            DOMAIN, [(sku, n) if at is None else (sku, n, at) for sku, n in lines]
        )
        order = self.sim_order(created["id"])
        [fo] = self.shop.fulfillment_orders_of(order)
        now = datetime.now(UTC)
        return WmsOrderSent(
            wms_order_ref=created["name"],
            shopify_order_id=created["id"],
            shopify_order_name=created["name"],
            fulfillment_order_id=f"gid://shopify/FulfillmentOrder/{fo.id}",
            facility=facility,
            location_id=f"gid://shopify/Location/{fo.location_id}",
            placed_at=now,
            sent_at=now,
            lines=[
                FulfillmentOrderLineRef(
                    line_ref=f"gid://shopify/FulfillmentOrderLineItem/{line.id}",
                    sku=self._sku(order, line.line_item_id),
                    quantity=line.total_quantity,
                )
                for line in fo.line_items
            ],
        )

    def _sku(self, order: SimOrder, line_item_id: int) -> str:
        item = self.shop.line_item(order, line_item_id)
        assert item is not None and item.sku is not None  # the seeded catalog's items have SKUs
        return item.sku

    def fulfillments(self, sent: WmsOrderSent) -> list[Fulfillment]:
        return self.shop.fulfillments_of(self.sim_order(sent.shopify_order_id))

    def fo_status(self, sent: WmsOrderSent) -> str:
        number = int(sent.fulfillment_order_id.rsplit("/", 1)[1])
        return self.shop.fulfillment_orders[number].status

    def request_status(self, sent: WmsOrderSent) -> str:
        number = int(sent.fulfillment_order_id.rsplit("/", 1)[1])
        return self.shop.fulfillment_orders[number].request_status

    async def accept_request(self, sent: WmsOrderSent) -> None:
        """order-intake's fulfillmentOrderAcceptFulfillmentRequest, once the WMS accepted."""
        result = await self.sim.graphql(
            TOKEN,
            FULFILLMENT_ORDER_ACCEPT_FULFILLMENT_REQUEST.document,
            {"id": sent.fulfillment_order_id, "message": None},
        )
        answer = result["data"]["fulfillmentOrderAcceptFulfillmentRequest"]
        assert answer["userErrors"] == [], answer

    async def requests(self, operation: str) -> int:
        stats = await self.sim.stats(DOMAIN)
        return int(stats["requests_by_operation"].get(operation, 0))

    async def as_merchant(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """A change made in Shopify by someone else (unmetered: not our app's bucket)."""
        result = await self.sim.run_as_storefront(DOMAIN, query, variables)
        assert not result.get("errors"), result
        data: dict[str, Any] = result["data"]
        return data

    async def cancel_in_shopify(self, sent: WmsOrderSent) -> None:
        await self.as_merchant(ORDER_CANCEL, {"id": sent.shopify_order_id})

    async def hold_in_shopify(self, sent: WmsOrderSent) -> str:
        data = await self.as_merchant(
            FULFILLMENT_ORDER_HOLD.document,
            {
                "id": sent.fulfillment_order_id,
                "handle": "merchant-check",
                "reason": "OTHER",
                "reasonNotes": "address check",
            },
        )
        hold_id: str = data["fulfillmentOrderHold"]["fulfillmentHold"]["id"]
        return hold_id

    async def release_in_shopify(self, sent: WmsOrderSent, hold_id: str) -> None:
        await self.as_merchant(
            FULFILLMENT_ORDER_RELEASE_HOLD.document,
            {"id": sent.fulfillment_order_id, "holdIds": [hold_id]},
        )

    async def fulfil_in_shopify(self, sent: WmsOrderSent, units: dict[str, int]) -> None:
        """The merchant fulfils by hand (`units` by line_ref)."""
        lines = [{"id": ref, "quantity": n} for ref, n in units.items()]
        group = {
            "fulfillmentOrderId": sent.fulfillment_order_id,
            "fulfillmentOrderLineItems": lines,
        }
        data = await self.as_merchant(
            FULFILLMENT_CREATE.document,
            {"fulfillment": {"lineItemsByFulfillmentOrder": [group], "notifyCustomer": False}},
        )
        assert data["fulfillmentCreate"]["userErrors"] == []

    async def faults(self, **settings: float) -> None:
        await self.sim.admin("POST", "/faults", settings)

    async def no_faults(self) -> None:
        await self.sim.admin("DELETE", "/faults")

    # --- the bus -----------------------------------------------------------------------------

    async def announce(self, sent: WmsOrderSent) -> Envelope:
        """order-intake's orders.wms_order.sent."""
        return await self._from_order_intake("orders.wms_order.sent", sent)

    async def announce_reduced(self, reduced: WmsOrderReduced) -> Envelope:
        """order-intake's orders.wms_order.reduced."""
        return await self._from_order_intake("orders.wms_order.reduced", reduced)

    async def _from_order_intake(
        self, message_type: str, event: WmsOrderSent | WmsOrderReduced
    ) -> Envelope:
        envelope = new_envelope(
            message_type,
            event,
            shop=DOMAIN,
            correlation_id=order_correlation_id(DOMAIN, event.shopify_order_id),
        )
        await self.publish(INTERNAL_EVENTS, envelope)
        return envelope

    def shipment(
        self,
        sent: WmsOrderSent,
        units: dict[str, int] | None = None,
        *,
        shipment_id: str | None = None,
        carrier: str = "UPS",
        numbers: Sequence[str] | None = None,
        by_sku: bool = False,
    ) -> Envelope:
        """The warehouse's wms.shipment.confirmed: `units` by line_ref (default: everything)."""
        wanted = units or {line.line_ref: line.quantity for line in sent.lines}
        skus = {line.line_ref: line.sku for line in sent.lines}
        shipment_id = shipment_id or f"SHP-{uuid.uuid4().hex[:10]}"
        numbers = list(numbers if numbers is not None else [f"1Z{shipment_id[-8:].upper()}"])
        return new_envelope(
            "wms.shipment.confirmed",
            {
                "shipment_id": shipment_id,
                "wms_order_ref": sent.wms_order_ref,
                "shipped_at": datetime.now(UTC).isoformat(),
                "carrier": carrier,
                "tracking_numbers": numbers,
                "tracking_urls": [f"https://track.example/{n}" for n in numbers],
                "lines": [
                    {"line_ref": None if by_sku else ref, "sku": skus[ref], "quantity": n}
                    for ref, n in wanted.items()
                ],
            },
            shop=DOMAIN,
            correlation_id=order_correlation_id(DOMAIN, sent.shopify_order_id),
        )

    async def ship(self, sent: WmsOrderSent, *args: Any, **kwargs: Any) -> Envelope:
        envelope = self.shipment(sent, *args, **kwargs)
        await self.publish(WMS_EVENTS, envelope)
        return envelope

    async def publish(self, exchange_name: str, envelope: Envelope) -> None:
        await publish_envelope(self.channel, envelope, exchange_name)

    # --- fulfillment-sync's side ---------------------------------------------------------------

    async def row(self, shipment_id: str) -> dict[str, Any] | None:
        row = await self.db_fetchrow(
            "SELECT state, reason_code, reason, fulfillment_id, verify_first "
            "FROM fulfillment_sync.shipments WHERE shop = $1 AND shipment_id = $2",
            DOMAIN,
            shipment_id,
        )
        return dict(row) if row else None

    async def db_fetchrow(self, query: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.db.admin_dsn)
        try:
            return await conn.fetchrow(query, *args)
        finally:
            await conn.close()

    async def wait_state(
        self, shipment_id: str, state: str, timeout_s: float = 15
    ) -> dict[str, Any]:
        async def reached() -> bool:
            row = await self.row(shipment_id)
            return row is not None and row["state"] == state

        await eventually(reached, timeout_s=timeout_s)
        row = await self.row(shipment_id)
        assert row is not None
        return row

    def synced(self) -> list[Envelope]:
        """Every fulfillments.shipment.synced, once per envelope id (the relay may repeat one)."""
        return [e for e in self.tap.unique() if e.type == "fulfillments.shipment.synced"]

    def synced_for(self, shipment_id: str) -> list[Envelope]:
        return [e for e in self.synced() if synced_data(e).shipment_id == shipment_id]

    async def wait_synced(self, *shipments: Envelope, timeout_s: float = 15) -> list[Envelope]:
        ids = [shipment_id_of(s) for s in shipments]
        await eventually(lambda: all(self.synced_for(i) for i in ids), timeout_s=timeout_s)
        return [self.synced_for(i)[0] for i in ids]

    async def settle(self, seconds: float = 0.5) -> None:
        """Give anything that should NOT happen (a second fulfillment, a loop) time to happen."""
        await asyncio.sleep(seconds)

    async def status(self) -> dict[str, Any]:
        async with aiohttp.ClientSession() as http, http.get(f"{self.base_url}/status") as resp:
            body = await resp.json()
            shipments: dict[str, Any] = body["shipments"]
            return shipments

    async def post(
        self, path: str, body: dict[str, Any] | None = None, token: str | None = OPS_TOKEN
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base_url}{path}", json=body, headers=headers) as resp,
        ):
            return resp.status, await resp.json()

    @asynccontextmanager
    async def service(self) -> AsyncIterator[ServiceRuntime]:
        """Another fulfillment-sync on the same database and vhost (a restart, or a second
        instance competing for the same work)."""
        async with running_service(
            DEFINITION,
            self.db,
            self.amqp_url,
            shopify_admin_url=self.sim.base_url,
            ops_token=OPS_TOKEN,
        ) as runtime:
            yield runtime

    def process_env(self, port: int) -> dict[str, str]:
        """What `python -m fulfillment_sync` needs to run as this world's service."""
        return {
            **{k: v for k, v in os.environ.items() if k.startswith("FULFILLMENT_SYNC_")},
            "DATABASE_URL": self.db.admin_dsn,
            "DB_ROLE_PREFIX": self.db.role_prefix,
            "AMQP_URL": self.amqp_url,
            "SHOPS_CONFIG": str(self.shops_file),
            env_name(DOMAIN, "access_token"): TOKEN,
            "SHOPIFY_ADMIN_URL": self.sim.base_url,
            "FULFILLMENT_SYNC_PORT": str(port),
            "RETRY_DELAYS": "0.05,0.1,0.2",
            "LOG_LEVEL": "WARNING",
        }


@asynccontextmanager
async def service_process(world: World) -> AsyncIterator[asyncio.subprocess.Process]:
    """fulfillment-sync in a process of its own (one a test can kill), ready when yielded."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fulfillment_sync",
        env={**os.environ, **world.process_env(port)},
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{port}/ready") as resp:
                        if resp.status == 200:
                            break
                if child.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError("fulfillment-sync did not become ready")
                await asyncio.sleep(0.1)
        yield child
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()


Fulfil = Callable[..., AbstractAsyncContextManager[World]]


@pytest.fixture
def fulfil(
    isolated_database: IsolatedDatabase,
    isolated_vhost: str,
    schema_runtime: SchemaRuntime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Fulfil:
    @asynccontextmanager
    async def start(
        *,
        notify_customer: bool = False,
        start_service: bool = True,
        service: str | None = None,
        **settings: str,
    ) -> AsyncIterator[World]:
        """`settings`: FULFILLMENT_SYNC_* overrides, e.g. LEASE_S="1"; `service`: a facility
        connected as a fulfillment service (the app registers it, its location is named after
        it, and the merchant's automation requests fulfillment of each paid order there)."""
        for name, value in {
            **FAST_SETTINGS,
            **{f"FULFILLMENT_SYNC_{k}": v for k, v in settings.items()},
        }.items():
            monkeypatch.setenv(name, value)
        async with (
            running_simulator(SimConfig(random_seed=7), schema_runtime) as sim,
            webhook_receiver() as receiver,
        ):
            await sim.create_shop(DOMAIN, TOKEN, locations=("Shop location",))
            await sim.seed(
                DOMAIN, products=10, locations=["Shop location"], min_quantity=500, max_quantity=500
            )
            facilities: dict[str, Any] = {}
            if service is not None:
                name = f"Shipbridge {service}"
                created = await sim.graphql(
                    TOKEN,
                    FULFILLMENT_SERVICE_CREATE.document,
                    {"name": name, "callbackUrl": receiver.callback_url, "trackingSupport": True},
                )
                assert created["data"]["fulfillmentServiceCreate"]["userErrors"] == [], created
                await sim.stock(DOMAIN, name, 500)
                await sim.settings(DOMAIN, auto_request_fulfillment=True)
                facilities[service] = {
                    "mode": "fulfillment_service",
                    "name": name,
                    "callback_url": "https://gateway.example.com",
                    "tracking_support": True,
                }
            path = shops_file(
                tmp_path,
                monkeypatch,
                shop(
                    DOMAIN,
                    fulfillment={"notify_customer": notify_customer},
                    **({"facilities": facilities} if facilities else {}),
                ),
                access_token=TOKEN,
            )
            async with (
                open_tap(isolated_vhost, [(INTERNAL_EVENTS, "fulfillments.#")]) as tap,
                await aio_pika.connect(isolated_vhost) as connection,
            ):
                channel = await connection.channel()
                world = World(sim, tap, channel, isolated_database, isolated_vhost, path)
                if not start_service:
                    yield world
                    return
                async with world.service() as runtime:
                    world.runtime = runtime
                    yield world

    return start
