"""A real order-intake against a real simulator, Postgres and RabbitMQ, driven like production.

`intake(mode=...)` starts the Shopify simulator with one shop (locations "Shop location" -> WH1,
"Warehouse East" -> WH2, "Pop-up" unmapped), writes the shops file, binds a tap queue on
wms.commands, then starts order-intake pointed at the simulator.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import pytest
from aio_pika.abc import AbstractChannel

from contracts import (
    INTERNAL_EVENTS,
    WMS_COMMANDS,
    WMS_EVENTS,
    Envelope,
    WmsOrderCreate,
    new_envelope,
    order_correlation_id,
)
from contracts.internal import SubscribedTopic
from messaging.amqp import publish_envelope
from order_intake.app import DEFINITION
from service_runtime import ServiceRuntime
from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.state.models import Order as SimOrder
from shopify_sim.state.repository import ShopState
from shopify_sim.testing import SimulatorHandle, running_simulator
from shopify_sim.webhook_payloads import order_body
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service
from testkit.shops import shop, shops_file
from testkit.tap import Tap, open_tap
from testkit.webhooks import webhook_envelope

DOMAIN = "intake-test.myshopify.com"
TOKEN = "shpat_intake_test"
MAPPED = {"Shop location": "WH1", "Warehouse East": "WH2"}
UNMAPPED = "Pop-up"


@dataclass
class ShopWorld:
    """The simulator's shop: its orders, locations and products, before order-intake runs."""

    sim: SimulatorHandle

    @property
    def shop(self) -> ShopState:
        return self.sim.simulator.store.shop(DOMAIN)

    def location_gid(self, name: str) -> str:
        location = next(loc for loc in self.shop.locations.values() if loc.name == name)
        return f"gid://shopify/Location/{location.id}"

    def sim_order(self, order_gid: str) -> SimOrder:
        return self.shop.order(order_gid)

    async def create_order(self, lines: list[tuple[str, int, str]], **order: Any) -> dict[str, Any]:
        """An order from (sku, quantity, location name) lines; a sku "" is a custom line."""
        if all(sku for sku, _, _ in lines):
            return await self.sim.create_order(DOMAIN, lines, **order)
        return await self.sim.create_order(
            DOMAIN, [], lineItems=[self._line_input(*line) for line in lines], **order
        )

    def _line_input(self, sku: str, quantity: int, location: str) -> dict[str, Any]:
        where = {"properties": [{"name": "_location", "value": self.location_gid(location)}]}
        if sku:
            variant = self.shop.variants_by_sku[sku]
            return {"variantId": f"gid://shopify/ProductVariant/{variant.id}",
                    "quantity": quantity, **where}  # fmt: skip
        # A custom line (no variant, so no SKU): it ships only when it says so.
        price = {"shopMoney": {"amount": "9.00", "currencyCode": "USD"}}
        return {"title": "Blue mug", "quantity": quantity, "requiresShipping": True,
                "priceSet": price, **where}  # fmt: skip

    def touch(self, order_gid: str) -> None:
        """After changing the simulator's order directly: a new updatedAt, like Shopify."""
        self.shop.touch(self.sim_order(order_gid))


@dataclass
class IntakeWorld(ShopWorld):
    runtime: ServiceRuntime
    tap: Tap
    """Every message order-intake publishes (wms.commands and its internal events), in order."""
    channel: AbstractChannel

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.runtime.port}"

    @property
    def commands(self) -> list[Envelope]:
        """What the WMS was told."""
        return [m for m in self.tap.messages if m.type.startswith("wms.")]

    def creates_for(self, order_name: str) -> list[dict[str, Any]]:
        return [
            create.model_dump(mode="json")
            for create in self.tap.payloads("wms.order.create", WmsOrderCreate)
            if create.shopify_order_name == order_name
        ]

    async def webhook(
        self, topic: SubscribedTopic, order_gid: str, *, envelope: Envelope | None = None
    ) -> Envelope:
        """Publish a verified webhook for the order on internal.events, as the gateway does."""
        if envelope is None:
            payload = order_body(self.shop, self.sim_order(order_gid))
            envelope = webhook_envelope(
                topic,
                json.loads(json.dumps(payload, default=str)),
                shop=DOMAIN,
                correlation_id=order_correlation_id(DOMAIN, order_gid),
            )
        await self._publish(INTERNAL_EVENTS, envelope)
        return envelope

    async def wms_event(self, message_type: str, data: dict[str, Any]) -> None:
        await self._publish(WMS_EVENTS, new_envelope(message_type, data, shop=DOMAIN))

    async def _publish(self, exchange_name: str, envelope: Envelope) -> None:
        await publish_envelope(self.channel, envelope, exchange_name)

    async def status(self) -> dict[str, Any]:
        async with aiohttp.ClientSession() as http, http.get(f"{self.base_url}/status") as resp:
            body: dict[str, Any] = await resp.json()
            return body["orders"]

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base_url}{path}", json=body) as resp,
        ):
            return resp.status, await resp.json()

    async def order_state(self, order_gid: str) -> tuple[str, str | None] | None:
        row = await self.runtime.pool.fetchrow(
            "SELECT state, reason FROM orders WHERE shop = $1 AND order_gid = $2", DOMAIN, order_gid
        )
        return (row["state"], row["reason"]) if row else None

    async def wait_state(self, order_gid: str, state: str) -> str | None:
        async def reached() -> bool:
            current = await self.order_state(order_gid)
            return current is not None and current[0] == state

        await eventually(reached, timeout_s=15)
        current = await self.order_state(order_gid)
        return current[1] if current else None

    async def wait_creates(self, order_name: str, count: int) -> list[dict[str, Any]]:
        await eventually(lambda: len(self.creates_for(order_name)) >= count, timeout_s=15)
        return self.creates_for(order_name)

    async def settled(self) -> None:
        """No sync pending, nothing left in the outbox, and the tap has caught up."""

        async def idle() -> bool:
            pending = await self.runtime.pool.fetchval(
                "SELECT count(*) FROM pending_syncs WHERE failed_at IS NULL"
            )
            outbox = await self.runtime.pool.fetchval("SELECT count(*) FROM outbox")
            return pending == 0 and outbox == 0

        await eventually(idle, timeout_s=15)
        await asyncio.sleep(0.3)  # let what was published reach the tap


IntakeFactory = Callable[..., AbstractAsyncContextManager[IntakeWorld]]


@pytest.fixture
def intake(
    isolated_database: IsolatedDatabase,
    isolated_vhost: str,
    schema_runtime: SchemaRuntime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> IntakeFactory:
    @asynccontextmanager
    async def start(
        mode: str = "webhooks",
        before_start: Callable[[ShopWorld], Any] | None = None,
        shop_settings: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[IntakeWorld]:
        """`shop_settings`: more settings of the shop (e.g. {"fulfillment": {...}})."""
        async with running_simulator(SimConfig(random_seed=7), schema_runtime) as sim:
            locations = (*MAPPED, UNMAPPED)
            await sim.create_shop(DOMAIN, TOKEN, locations=locations)
            await sim.seed(
                DOMAIN, products=10, locations=list(locations), min_quantity=50, max_quantity=50
            )
            world = ShopWorld(sim)
            shops_file(
                tmp_path,
                monkeypatch,
                shop(
                    DOMAIN,
                    order_download={"mode": mode, "poll_interval_minutes": 30},
                    locations={world.location_gid(n): f for n, f in MAPPED.items()},
                    **(shop_settings or {}),
                ),
                access_token=TOKEN,
            )
            monkeypatch.setenv("ORDER_INTAKE_SYNC_RETRY_BASE_S", "0.1")
            bindings = [(WMS_COMMANDS, "#"), (INTERNAL_EVENTS, "orders.#")]
            async with open_tap(isolated_vhost, bindings) as tap:
                connection = await aio_pika.connect(isolated_vhost)
                try:
                    if before_start is not None:
                        await before_start(world)
                    async with running_service(
                        DEFINITION,
                        isolated_database,
                        isolated_vhost,
                        shopify_admin_url=sim.base_url,
                    ) as runtime:
                        yield IntakeWorld(sim, runtime, tap, await connection.channel())
                finally:
                    await connection.close()

    return start
