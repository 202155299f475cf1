"""The whole order flow in one test process, on real Postgres, RabbitMQ and HTTP.

Shopify simulator --signed webhook--> webhook-gateway --internal.events--> order-intake
--reads the order through the Admin API--> wms.order.create on wms.commands --> WMS simulator
--wms.order.accepted--> order-intake.

`running_order_flow` starts every piece; `OrderFlow` is what a scenario talks to. A `Tap`
(its own queue, connected straight to the broker) records every command sent to the WMS and
every webhook message the gateway published, so scenarios check what really went over the wire.
"""

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from contracts import (
    INTERNAL_EVENTS,
    SUBSCRIBED_TOPICS,
    WMS_COMMANDS,
)
from messaging import list_dead_letters
from order_intake.app import DEFINITION as INTAKE
from service_runtime import ServiceDefinition, ServiceRuntime
from shopify_admin.client import ShopifyClient
from shopify_admin.mutations import create_webhook_subscription
from shopify_sim.config import SimConfig as ShopifySimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.state.repository import ShopState
from shopify_sim.testing import SimulatorHandle, running_simulator
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service
from testkit.shops import shop as shop_entry
from testkit.shops import shops_file
from testkit.tap import Tap, Tapped, open_tap
from webhook_gateway.app import WEBHOOK_PATH, gateway_definition
from wms_sim import WmsSimulator
from wms_sim.config import Facility, GeneratedCatalog
from wms_sim.testing import quiet_config

SHOP = "e2e-shop.myshopify.com"
TOKEN = "shpat_e2e_simulator_only"
CLIENT_SECRET = "e2e-simulator-webhook-secret"
FACILITY_OF_LOCATION = {"Shop location": "WH1", "Warehouse East": "WH2"}
UNMAPPED_LOCATION = "Pop-up"
LOCATIONS = (*FACILITY_OF_LOCATION, UNMAPPED_LOCATION)
SKUS = 10
# The subscribed topics the order flow answers (the compliance and app topics are not its).
ORDER_TOPICS = tuple(
    t for t in SUBSCRIBED_TOPICS if t.startswith(("orders/", "fulfillment_orders/"))
)

SERVICE_FACILITY = "WH3"
SERVICE_NAME = "Shipbridge WH3"
"""A facility connected as a Shopify fulfillment service (`fulfillment_service=True`); Shopify
names the location it creates for the service after the service."""

LineSpec = tuple[str, int, str]
"""(sku, quantity, name of the Shopify location that ships it)."""


def creates_for(tap: Tap, order_name: str) -> list[Tapped]:
    return [
        m
        for m in tap.tapped_of_type("wms.order.create")
        if m.body["data"]["shopify_order_name"] == order_name
    ]


def webhooks_about(tap: Tap, order_gid: str) -> list[Tapped]:
    return [
        m
        for m in tap.tapped
        if m.envelope.type.startswith("shopify.webhook.orders.")
        and m.body["data"]["payload"].get("admin_graphql_api_id") == order_gid
    ]


# Every command on wms.commands and every webhook message on internal.events, in order.
TAPPED = [(WMS_COMMANDS, "#"), (INTERNAL_EVENTS, "shopify.webhook.#")]


@dataclass(frozen=True)
class PlacedOrder:
    gid: str
    name: str


@dataclass
class OrderFlow:
    sim: SimulatorHandle
    gateway: ServiceRuntime
    intake: ServiceRuntime
    warehouse: WmsSimulator
    tap: Tap
    others: dict[str, ServiceRuntime] = field(default_factory=dict)
    """The other services started for the scenario, by name (fulfillment-sync, cancellation)."""

    @property
    def shop(self) -> ShopState:
        return self.sim.simulator.store.shop(SHOP)

    def location_id(self, name: str) -> int:
        return next(loc.id for loc in self.shop.locations.values() if loc.name == name)

    def location_gid(self, name: str) -> str:
        return f"gid://shopify/Location/{self.location_id(name)}"

    def mapped_location_ids(self) -> frozenset[int]:
        """The Shopify locations the warehouse serves (FACILITY_OF_LOCATION)."""
        return frozenset(self.location_id(name) for name in FACILITY_OF_LOCATION)

    # --- the merchant's side: Shopify ---------------------------------------------------------

    async def place_order(self, lines: Sequence[LineSpec]) -> PlacedOrder:
        """A paid order through orderCreate; Shopify then sends its webhooks to the gateway."""
        created = await self.sim.create_order(SHOP, lines)
        return PlacedOrder(created["id"], created["name"])

    def fulfillment_line_refs(self, order: PlacedOrder) -> dict[str, str]:
        """SKU -> FulfillmentOrderLineItem GID, from the simulator's own state."""
        sim_order = self.shop.order(order.gid)
        sku_of_line = {line.id: line.sku for line in sim_order.line_items}
        return {
            sku_of_line[fo_line.line_item_id] or "": (
                f"gid://shopify/FulfillmentOrderLineItem/{fo_line.id}"
            )
            for fo in self.shop.fulfillment_orders_of(sim_order)
            for fo_line in fo.line_items
        }

    async def delivery_controls(self, **changes: float | bool) -> None:
        """Shopify's delivery misbehaviour: duplicate_fraction, drop_fraction, reorder."""
        await self.sim.admin("POST", "/webhooks/controls", changes)

    async def release_held_webhooks(self) -> int:
        """Held deliveries go out newest first."""
        released: dict[str, int] = await self.sim.admin("POST", "/webhooks/release")
        return released["released"]

    async def delivery_log(self) -> list[dict[str, Any]]:
        log: list[dict[str, Any]] = await self.sim.state(SHOP, "webhooks")
        return log

    # --- our side -----------------------------------------------------------------------------

    async def wait_creates(
        self, order: PlacedOrder, count: int, timeout_s: float = 15
    ) -> list[Tapped]:
        await eventually(lambda: len(creates_for(self.tap, order.name)) >= count, timeout_s)
        return creates_for(self.tap, order.name)

    async def wait_accepted(self, count: int, timeout_s: float = 15) -> None:
        async def recorded() -> bool:
            accepted: int = (await self.intake_status())["counts"]["accepted"]
            return accepted >= count

        await eventually(recorded, timeout_s)

    async def wait_first_poll(self, timeout_s: float = 15) -> None:
        async def recorded() -> bool:
            polls = (await self.intake_status())["polling"]
            return bool(polls.get(SHOP, {}).get("last_result") == "ok")

        await eventually(recorded, timeout_s)

    async def intake_status(self) -> dict[str, Any]:
        orders: dict[str, Any] = (await self.intake_status_all())["orders"]
        return orders

    async def intake_status_all(self) -> dict[str, Any]:
        return await self._http("GET", self.intake, "/status")

    async def gateway_status(self) -> dict[str, Any]:
        body = await self._http("GET", self.gateway, "/status")
        webhooks: dict[str, Any] = body["webhooks"]
        return webhooks

    async def operator_problems(self, order_name: str) -> list[dict[str, Any]]:
        """What intake's status shows an operator about this order's WMS orders: changes the
        warehouse refused or never answered, edits it is not told about."""
        status = await self.intake_status()
        rows: list[dict[str, Any]] = status["wms_changes"] + status["unsent_edits"]
        return [row for row in rows if row["order_name"] == order_name]

    async def resync(self, order_name: str) -> dict[str, Any]:
        """The operator's re-sync of one order by its name."""
        return await self._http(
            "POST", self.intake, "/orders/resync", {"shop": SHOP, "name": order_name}
        )

    async def download(self, since: str) -> dict[str, Any]:
        """The operator's download of every order updated since `since` (ISO 8601)."""
        return await self._http(
            "POST", self.intake, "/orders/download", {"shop": SHOP, "since": since}
        )

    async def settled(self, timeout_s: float = 20) -> None:
        """Nothing left anywhere in the chain: no webhook in flight, no message unpublished or
        unconsumed, no order waiting to be read, and the tap caught up. Checked twice, apart, so
        that a message still on the wire between two checks is not missed."""
        await self.sim.simulator.dispatcher.drain(limit_seconds=timeout_s)

        async def quiet_and_stable() -> bool:
            seen = len(self.tap.messages)
            if not await self._quiet():
                return False
            await asyncio.sleep(0.3)
            return len(self.tap.messages) == seen and await self._quiet()

        await eventually(quiet_and_stable, timeout_s)

    async def wait_service_registered(self, timeout_s: float = 15) -> str:
        """The location Shopify created for the service facility, once order-intake registered
        it (read from the simulator: exactly one service of that name)."""

        def location() -> str | None:
            services = [
                s for s in self.shop.fulfillment_services.values() if s.name == SERVICE_NAME
            ]
            assert len(services) <= 1, f"{len(services)} services named {SERVICE_NAME}"
            return f"gid://shopify/Location/{services[0].location_id}" if services else None

        await eventually(lambda: location() is not None, timeout_s)
        found = location()
        assert found is not None
        return found

    async def _quiet(self) -> bool:
        gateway_outbox = await self.gateway.pool.fetchval("SELECT count(*) FROM outbox")
        intake_outbox = await self.intake.pool.fetchval("SELECT count(*) FROM outbox")
        pending = await self.intake.pool.fetchval(
            "SELECT count(*) FROM pending_syncs WHERE failed_at IS NULL"
        )
        consumed = {
            str(r["message_id"])
            for r in await self.intake.pool.fetch("SELECT message_id FROM inbox")
        }
        # Every webhook message and every WMS answer was handled by intake.
        expected = {str(m.id) for m in self.tap.messages if m.type.startswith("shopify.webhook.")}
        expected |= {str(e.id) for e in self.warehouse.published if e.type in INTAKE.routes}
        return (
            gateway_outbox == 0
            and intake_outbox == 0
            and pending == 0
            and self.warehouse.unconfirmed == 0
            and expected <= consumed
        )

    @staticmethod
    async def _http(
        method: str, runtime: ServiceRuntime, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, f"http://127.0.0.1:{runtime.port}{path}", json=body) as resp,
        ):
            assert resp.status == 200, f"{method} {path}: {resp.status} {await resp.text()}"
            answer: dict[str, Any] = await resp.json()
            return answer


async def _create_shop(sim: SimulatorHandle) -> ShopState:
    await sim.create_shop(SHOP, TOKEN, CLIENT_SECRET, locations=LOCATIONS)
    await sim.seed(SHOP, products=SKUS, locations=list(LOCATIONS), min_quantity=50, max_quantity=50)
    return sim.simulator.store.shop(SHOP)


async def _subscribe(sim: SimulatorHandle, webhook_url: str) -> None:
    """As the app does at install: through the Admin API, with its own client."""
    async with ShopifyClient(SHOP, TOKEN, admin_url=sim.base_url) as client:
        for topic in ORDER_TOPICS:
            result = await create_webhook_subscription(client, topic, uri=webhook_url)
            assert result.ok, f"subscribing {topic}: {result.user_errors}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _warehouse(codes: Sequence[str], **overrides: Any) -> WmsSimulator:
    # Accepts what it knows and ships only when told: these scenarios end at the acceptance.
    overrides.setdefault("catalog", GeneratedCatalog(products=SKUS))
    return WmsSimulator(
        quiet_config(
            facilities=tuple(Facility(SHOP, code) for code in codes),
            ship_delay_s=None,
            adjustment_feed=False,
            **overrides,
        )
    )


@asynccontextmanager
async def running_order_flow(
    database: IsolatedDatabase,
    amqp_url: str,
    schema_runtime: SchemaRuntime,
    config_dir: Path,
    env: pytest.MonkeyPatch,
    *,
    download_mode: str = "webhooks",
    services_amqp_url: str | None = None,
    warehouse: dict[str, Any] | None = None,
    fulfillment_service: bool = False,
    others: Sequence[ServiceDefinition[Any]] = (),
    lost_answers: Sequence[str] = (),
) -> AsyncIterator[OrderFlow]:
    """Simulator, tap, warehouse, gateway and intake, started in that order, stopped in reverse.

    `services_amqp_url`: where the two services reach the broker (a fault proxy), when the tap
    and the warehouse should keep their direct connection. `warehouse`: overrides of the WMS
    simulator's configuration (wms_sim.config.SimConfig). `fulfillment_service`: the shop also
    has SERVICE_FACILITY connected as a fulfillment service (callback: the gateway). `others`:
    more services to run (fulfillment-sync, cancellation), started last. `lost_answers`: names
    of operations whose answers the simulator loses from the start (a 504 after they ran).
    """
    async with AsyncExitStack() as stack:
        sim = await stack.enter_async_context(
            running_simulator(
                ShopifySimConfig(random_seed=7, webhook_retry_scale=0.001), schema_runtime
            )
        )
        shop = await _create_shop(sim)
        if lost_answers:
            await sim.admin("POST", "/faults", {"lost_answer_operations": list(lost_answers)})
        location_gids = {
            loc.name: f"gid://shopify/Location/{loc.id}" for loc in shop.locations.values()
        }
        # The service's callback is the gateway, whose port must be in the shops file first.
        gateway_port = free_port() if fulfillment_service else 0
        facilities = {
            SERVICE_FACILITY: {
                "mode": "fulfillment_service",
                "name": SERVICE_NAME,
                "callback_url": f"http://127.0.0.1:{gateway_port}",
            }
        }
        # Read by the services when they wire themselves.
        shops_file(
            config_dir,
            env,
            shop_entry(
                SHOP,
                order_download={"mode": download_mode, "poll_interval_minutes": 30},
                locations={location_gids[n]: code for n, code in FACILITY_OF_LOCATION.items()},
                **({"facilities": facilities} if fulfillment_service else {}),
            ),
            access_token=TOKEN,
            client_secret=CLIENT_SECRET,
        )
        env.setenv("SHOPIFY_ADMIN_URL", sim.base_url)
        env.setenv("ORDER_INTAKE_SYNC_RETRY_BASE_S", "0.1")

        tap = await stack.enter_async_context(open_tap(amqp_url, TAPPED))
        codes = [
            *FACILITY_OF_LOCATION.values(),
            *([SERVICE_FACILITY] if fulfillment_service else []),
        ]
        wms = _warehouse(codes, **(warehouse or {}))
        await wms.start(amqp_url)
        stack.push_async_callback(wms.stop)
        services_url = services_amqp_url or amqp_url
        gateway = await stack.enter_async_context(
            running_service(gateway_definition(), database, services_url, port=gateway_port)
        )
        intake = await stack.enter_async_context(running_service(INTAKE, database, services_url))
        started = {
            definition.name: await stack.enter_async_context(
                running_service(definition, database, services_url)
            )
            for definition in others
        }
        await _subscribe(sim, f"http://127.0.0.1:{gateway.port}{WEBHOOK_PATH}")
        yield OrderFlow(sim, gateway, intake, wms, tap, started)
        # Every scenario's unstated promise: nothing ended as a dead letter on the way.
        for runtime in (gateway, intake, *started.values()):
            dead = await list_dead_letters(runtime.pool)
            assert dead == [], f"{runtime.name} dead letters: {[d.reason for d in dead]}"
