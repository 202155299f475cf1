"""A real inventory-sync against a real Shopify simulator, Postgres and RabbitMQ.

`inventory()` starts the simulator with one Standard-plan shop: location "Shop location" feeds
facility WH1, "Pop-up" is another location. With `service_facility=True` the shop also has WH2,
connected as a fulfillment service with an inventory feed and no location in the shops file
(the test registers it, at "Pop-up", as order-intake would). The catalog is
SKU-00001..SKU-000NN, every variant stocked at both locations with `STOCK` units. The service
starts, reads the catalog (its first job), and the world waits for that before handing over.
Messages are published as the WMS and the other services would.
"""

import json
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import pytest
from aio_pika.abc import AbstractChannel
from pydantic import BaseModel

from contracts import INTERNAL_EVENTS, WMS_COMMANDS, Envelope, new_envelope
from inventory_sync.app import DEFINITION
from messaging.amqp import publish_envelope
from messaging.topology import EXCHANGES, declare_exchanges
from service_runtime import ServiceRuntime
from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.state.repository import ShopState
from shopify_sim.testing import SimulatorHandle, running_simulator
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service
from testkit.shops import shop, shops_file

DOMAIN = "inventory-test.myshopify.com"
TOKEN = "shpat_inventory_test"
FACILITY = "WH1"
SERVICE_FACILITY = "WH2"
SERVICE_ID = "gid://shopify/FulfillmentService/77"
FED = "Shop location"
OTHER = "Pop-up"
STOCK = 50
T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def sku(n: int) -> str:
    return f"SKU-{n:05d}"


@dataclass
class InventoryWorld:
    sim: SimulatorHandle
    runtime: ServiceRuntime
    channel: AbstractChannel
    service: Callable[[], AbstractAsyncContextManager[ServiceRuntime]]
    """Another run of the service, on the same database, broker and simulator."""
    published: list[Envelope] = field(default_factory=list)
    catalog_out: list[dict[str, Any]] = field(default_factory=list)
    """The catalog flow's messages as sent on the bus (wms.item.*, catalog.findings.changed),
    bodies in arrival order, from the service's start."""

    @property
    def shop(self) -> ShopState:
        return self.sim.simulator.store.shop(DOMAIN)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.runtime.port}"

    def location_id(self, name: str = FED) -> int:
        return next(loc.id for loc in self.shop.locations.values() if loc.name == name)

    def location_gid(self, name: str = FED) -> str:
        return f"gid://shopify/Location/{self.location_id(name)}"

    def available(self, sku_: str, location: str = FED) -> int:
        """What Shopify has, from the simulator's own state."""
        item = self.shop.variants_by_sku[sku_].inventory_item_id
        level = self.shop.level(item, self.location_id(location))
        assert level is not None, f"{sku_} is not stocked at {location}"
        return level.quantities["available"]

    def sell_behind_our_back(self, sku_: str, units: int) -> None:
        """A quantity changes in Shopify without inventory-sync knowing (an order, an edit)."""
        item = self.shop.variants_by_sku[sku_].inventory_item_id
        level = self.shop.level(item, self.location_id())
        assert level is not None
        self.shop.change_quantities(level, {"available": -units, "committed": units})

    async def stats(self) -> dict[str, Any]:
        return await self.sim.stats(DOMAIN)

    async def mutations(self) -> int:
        """inventorySetQuantities calls Shopify answered (throttled or not)."""
        stats = await self.stats()
        return int(stats["requests_by_operation"].get("InventorySetQuantities", 0))

    def adjustment_groups(self) -> int:
        """Mutations that changed something in Shopify (a replayed key makes none)."""
        return len(self.shop.adjustment_groups)

    async def publish(self, envelope: Envelope) -> Envelope:
        await publish_envelope(self.channel, envelope)
        self.published.append(envelope)
        return envelope

    async def send(
        self, message_type: str, data: BaseModel | Mapping[str, Any], **envelope: Any
    ) -> Envelope:
        return await self.publish(new_envelope(message_type, data, shop=DOMAIN, **envelope))

    async def snapshot(
        self,
        levels: Mapping[str, int],
        *,
        snapshot_id: str | None = None,
        as_of: datetime = T0,
        per_part: int = 250,
        order: Callable[[list[Envelope]], list[Envelope]] = lambda parts: parts,
        facility: str = FACILITY,
    ) -> list[Envelope]:
        """Publish a snapshot of a facility ({sku: available}) in parts; returns the parts."""
        items = [
            {"sku": s, "available": a, "on_hand": max(a, 0)} for s, a in sorted(levels.items())
        ]
        chunks = [items[i : i + per_part] for i in range(0, len(items), per_part)] or [[]]
        snapshot_id = snapshot_id or f"{facility}-{uuid.uuid4()}"
        parts = [
            new_envelope(
                "wms.inventory.snapshot",
                {
                    "snapshot_id": snapshot_id,
                    "facility": facility,
                    "as_of": as_of,
                    "part": n,
                    "parts": len(chunks),
                    "items": chunk,
                },
                shop=DOMAIN,
                occurred_at=as_of,
            )
            for n, chunk in enumerate(chunks, start=1)
        ]
        for part in order(parts):
            await self.publish(part)
        return parts

    async def adjust(
        self, sku_: str, available: int, as_of: datetime, facility: str = FACILITY
    ) -> Envelope:
        return await self.send(
            "wms.inventory.adjusted",
            {
                "facility": facility,
                "sku": sku_,
                "available": available,
                "on_hand": max(available, 0),
                "as_of": as_of,
            },
            occurred_at=as_of,
        )

    async def status(self) -> dict[str, Any]:
        async with aiohttp.ClientSession() as http, http.get(f"{self.base_url}/status") as resp:
            body: dict[str, Any] = await resp.json()
            return body

    async def facility_status(self, facility: str = FACILITY) -> dict[str, Any]:
        facilities = (await self.status())["inventory"]["facilities"]
        found: dict[str, Any] = next(f for f in facilities if f["facility"] == facility)
        return found

    async def register_service(
        self, location: str = OTHER, *, manages_inventory: bool = True, at: datetime | None = None
    ) -> Envelope:
        """order-intake's `orders.fulfillment_service.registered` for WH2, at `location`."""
        return await self.send(
            "orders.fulfillment_service.registered",
            {
                "facility": SERVICE_FACILITY,
                "fulfillment_service_id": SERVICE_ID,
                "location_id": self.location_gid(location),
                "inventory_management": manages_inventory,
                "tracking_support": True,
            },
            **({"occurred_at": at} if at else {}),
        )

    async def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, f"{self.base_url}{path}", json=body, headers=headers) as resp,
        ):
            return resp.status, await resp.json()

    async def jobs(self, kind: str | None = None) -> list[dict[str, Any]]:
        rows = await self.runtime.pool.fetch(
            "SELECT id FROM jobs WHERE $1::text IS NULL OR kind = $1 ORDER BY created_at", kind
        )
        found = []
        for row in rows:
            _, job = await self.request("GET", f"/inventory/full-sync/{row['id']}")
            found.append(job)
        return found

    async def wait_jobs_done(self, kind: str, count: int, timeout_s: float = 30) -> list[Any]:
        async def finished() -> bool:
            jobs = await self.jobs(kind)
            return len(jobs) >= count and all(j["state"] in ("done", "failed") for j in jobs)

        await eventually(finished, timeout_s=timeout_s)
        return await self.jobs(kind)

    async def settled(self) -> None:
        """Every message published so far handled; then no job open, nothing queued or in a
        batch, no SKU waiting for the realtime window."""
        await self.handled(self.published)

        async def idle() -> bool:
            busy = await self.runtime.pool.fetchval(
                "SELECT (SELECT count(*) FROM jobs WHERE state NOT IN ('done', 'failed'))"
                " + (SELECT count(*) FROM push_queue) + (SELECT count(*) FROM push_batches)"
                " + (SELECT count(*) FROM dirty_skus)"
                " + (SELECT count(*) FROM snapshots WHERE state = 'complete')"
                # every part stored, not yet marked complete by the assembler
                " + (SELECT count(*) FROM snapshots s WHERE s.state = 'assembling'"
                "    AND s.parts = (SELECT count(*) FROM snapshot_parts p WHERE p.snapshot = s.id))"
            )
            return busy == 0

        await eventually(idle, timeout_s=30)

    async def handled(self, envelopes: Sequence[Envelope]) -> None:
        """Each of these messages has been consumed (its id is in the inbox) or dead-lettered."""
        ids = list({e.id for e in envelopes})

        async def all_in() -> bool:
            found = await self.runtime.pool.fetchval(
                "SELECT count(*) FROM inbox WHERE message_id = ANY($1::uuid[])", ids
            )
            dead = await self.runtime.pool.fetchval(
                "SELECT count(*) FROM dead_letters WHERE message_id = ANY($1::text[])",
                [str(i) for i in ids],
            )
            return found + dead == len(ids)

        await eventually(all_in, timeout_s=20)


def fed_shop(
    location_gid: str, mode: str = "both", daily_at: str = "02:00", service_facility: bool = False
) -> dict[str, Any]:
    """The test shop's entry of the shops file: `location_gid` is WH1's, and it feeds it; with
    `service_facility`, WH2 is a fulfillment service whose feed has no location here."""
    feed = {"location": location_gid, "mode": mode, "daily_at": daily_at}
    if not service_facility:
        return shop(DOMAIN, locations={location_gid: FACILITY}, inventory={FACILITY: feed})
    service = {
        "mode": "fulfillment_service",
        "name": "Shipbridge WH2",
        "callback_url": "https://gateway.example.com",
        "inventory_management": True,
    }
    return shop(
        DOMAIN,
        locations={location_gid: FACILITY},
        facilities={SERVICE_FACILITY: service},
        inventory={FACILITY: feed, SERVICE_FACILITY: {"mode": mode, "daily_at": daily_at}},
    )


InventoryFactory = Callable[..., AbstractAsyncContextManager[InventoryWorld]]


@pytest.fixture
def inventory(
    isolated_database: IsolatedDatabase,
    isolated_vhost: str,
    schema_runtime: SchemaRuntime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> InventoryFactory:
    @asynccontextmanager
    async def start(
        *,
        products: int = 20,
        mode: str = "both",
        daily_at: str = "02:00",
        prepare: Callable[[SimulatorHandle], Any] | None = None,
        settings: Mapping[str, str] | None = None,
        service_facility: bool = False,
        **runtime_overrides: Any,
    ) -> AsyncIterator[InventoryWorld]:
        async with running_simulator(SimConfig(random_seed=7), schema_runtime) as sim:
            await sim.create_shop(DOMAIN, TOKEN, locations=(FED, OTHER))
            await sim.seed(
                DOMAIN,
                products=products,
                locations=[FED, OTHER],
                min_quantity=STOCK,
                max_quantity=STOCK,
            )
            if prepare is not None:
                prepare(sim)
            locations = sim.simulator.store.shop(DOMAIN).locations.values()
            fed = next(f"gid://shopify/Location/{loc.id}" for loc in locations if loc.name == FED)
            shops_file(
                tmp_path,
                monkeypatch,
                fed_shop(fed, mode, daily_at, service_facility),
                access_token=TOKEN,
            )
            for name, value in {
                "INVENTORY_SYNC_IDLE_POLL_S": "0.2",
                "INVENTORY_SYNC_SCHEDULE_CHECK_S": "0.2",
                "INVENTORY_SYNC_PUSH_RETRY_BASE_S": "0.1",
                "INVENTORY_SYNC_JOB_RETRY_BASE_S": "0.1",
                **(settings or {}),
            }.items():
                monkeypatch.setenv(name, value)
            connection = await aio_pika.connect(isolated_vhost)
            try:
                channel = await connection.channel(publisher_confirms=True)
                await declare_exchanges(channel, EXCHANGES)
                catalog_out: list[dict[str, Any]] = []
                await _tap_catalog(channel, catalog_out)

                def service() -> AbstractAsyncContextManager[ServiceRuntime]:
                    return running_service(
                        DEFINITION,
                        isolated_database,
                        isolated_vhost,
                        shopify_admin_url=sim.base_url,
                        **runtime_overrides,
                    )

                async with service() as runtime:
                    world = InventoryWorld(sim, runtime, channel, service, catalog_out=catalog_out)
                    await world.wait_jobs_done("catalog", 1)
                    yield world
            finally:
                await connection.close()

    return start


async def _tap_catalog(channel: AbstractChannel, into: list[dict[str, Any]]) -> None:
    """Collect what the catalog flow sends, bound before the service starts."""
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(WMS_COMMANDS, "wms.item.#")
    await queue.bind(INTERNAL_EVENTS, "catalog.findings.changed")

    async def keep(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        into.append(json.loads(message.body))
        await message.ack()

    await queue.consume(keep)


def later(seconds: float, base: datetime = T0) -> datetime:
    return base + timedelta(seconds=seconds)
