"""fulfillment-sync: 1,000 WMS shipments become Shopify fulfillments, against the shop's bucket.

Everything runs as deployed, each in a process of its own: the Shopify simulator and
fulfillment-sync. This process plays order-intake and the warehouse: before the clock starts it
creates the orders in the simulator (unmetered, as another app), announces each one's WMS order
(`orders.wms_order.sent`) and waits until fulfillment-sync has learned them all. Timed: every
shipment (`wms.shipment.confirmed`, the whole order, one tracking number) is published at once,
and a tap on internal.events times each `fulfillments.shipment.synced`.

Two runs, a shop each:
- Standard plan (2000 points, 100/s). The fulfillmentCreate calls needed cost N x their charged
  cost; the bucket lets the first `available at the start` points through at once and the rest
  at the restore rate, so no client can finish faster than
  (N x cost - available at the start) / restore rate. Reported: wall time as a multiple of that
  minimum (target <= 1.15), and THROTTLED answers once the initial bucket is spent (target 0).
- Raised limits (Enterprise: 40,000 points, 2,000/s; the bucket never binds): shipments/s
  (target >= 300), against a baseline measured in the same run: the same number of
  fulfillmentCreate calls sent straight from this process with a ShopifyClient at the same
  concurrency, no broker and no database: what the simulator itself allows.

`python -m bench.fulfillment_sync --quick` runs 300 shipments per run instead of 1,000.
"""

import argparse
import asyncio
import contextlib
import random
import re
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import asyncpg
import uvloop
from aio_pika.abc import AbstractIncomingMessage

from bench.infra import Scratch, scratch
from bench.order_pipeline import (
    BenchShop,
    SimulatorAdmin,
    create_shop,
    order_input,
    services_env,
    simulator,
)
from bench.webhook_ingest import free_port, process
from contracts import (
    INTERNAL_EVENTS,
    WMS_EVENTS,
    Envelope,
    FulfillmentOrderLineRef,
    ShipmentSynced,
    WmsOrderSent,
    WmsShipmentConfirmed,
    new_envelope,
    order_correlation_id,
    parse_envelope,
)
from messaging.amqp import envelope_message
from messaging.topology import declare_exchanges
from service_runtime.logging import configure_logging
from shopify_admin import ShopifyClient
from shopify_admin.mutations import FulfillmentLine, Tracking, create_fulfillment

SHIPMENTS = 1_000
QUICK_SHIPMENTS = 300
CONCURRENCY = 16
"""fulfillment-sync's default per-shop concurrency; the baseline uses the same."""
SETUP_CONCURRENCY = 8
DRAINED_BELOW = 200
"""Points left in the Standard bucket (of 2000) at which the warm-up counts as over."""
DEADLINE_S = 600.0
TARGET_RATIO = 1.15
TARGET_RATE = 300

ORDER_CREATE = """
mutation BenchOrderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order {
      id
      name
      fulfillmentOrders(first: 5) {
        nodes {
          id
          assignedLocation { location { id } }
          lineItems(first: 10) { nodes { id totalQuantity lineItem { sku } } }
        }
      }
    }
    userErrors { field message }
  }
}"""

Json = dict[str, Any]


# --- setup ----------------------------------------------------------------------------------


async def create_orders(admin: SimulatorAdmin, shop: BenchShop, count: int) -> list[WmsOrderSent]:
    """`count` orders in the simulator, each as order-intake would announce its WMS order."""
    rng = random.Random(11)
    inputs = [order_input(shop, rng) for _ in range(count)]
    limit = asyncio.Semaphore(SETUP_CONCURRENCY)
    now = datetime.now(UTC)

    async def create(order: Json) -> WmsOrderSent:
        async with limit:
            variables = {"order": order, "options": {"inventoryBehaviour": "BYPASS"}}
            data = (await admin.graphql(shop.domain, ORDER_CREATE, variables))["orderCreate"]
        if data["userErrors"]:
            raise RuntimeError(f"orderCreate: {data['userErrors']}")
        created = data["order"]
        [fo] = created["fulfillmentOrders"]["nodes"]
        return WmsOrderSent(
            wms_order_ref=created["name"],
            shopify_order_id=created["id"],
            shopify_order_name=created["name"],
            fulfillment_order_id=fo["id"],
            facility="WH1",
            location_id=fo["assignedLocation"]["location"]["id"],
            placed_at=now,
            sent_at=now,
            lines=[
                FulfillmentOrderLineRef(
                    line_ref=line["id"], sku=line["lineItem"]["sku"], quantity=line["totalQuantity"]
                )
                for line in fo["lineItems"]["nodes"]
            ],
        )

    return list(await asyncio.gather(*(create(order) for order in inputs)))


def shipment_of(sent: WmsOrderSent, index: int) -> Json:
    number = f"1ZBENCH{index:010d}"
    return {
        "shipment_id": f"SHP-{uuid.uuid4().hex[:12]}",
        "wms_order_ref": sent.wms_order_ref,
        "shipped_at": datetime.now(UTC).isoformat(),
        "carrier": "UPS",
        "tracking_numbers": [number],
        "tracking_urls": [f"https://www.ups.com/track?tracknum={number}"],
        "lines": [
            {"line_ref": line.line_ref, "sku": line.sku, "quantity": line.quantity}
            for line in sent.lines
        ],
    }


@contextlib.asynccontextmanager
async def fulfillment_sync(
    where: Scratch, shops: Sequence[BenchShop], admin_url: str
) -> AsyncIterator[str]:
    """The service's base URL, once it is ready."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        # The shops file order-intake's benchmarks write: fulfillment-sync reads the same.
        env = {
            **services_env(where, shops, Path(folder) / "shops.toml", admin_url),
            "FULFILLMENT_SYNC_SHOPIFY_CONCURRENCY": str(CONCURRENCY),
            "FULFILLMENT_SYNC_PORT": str(port),
        }
        async with process(["-m", "fulfillment_sync"], env, f"{url}/ready"):
            yield url


async def cpu_seconds(service_url: str) -> float:
    """CPU time the service process has used (its Prometheus process collector)."""
    async with aiohttp.ClientSession() as http, http.get(f"{service_url}/metrics") as resp:
        text = await resp.text()
    match = re.search(r"^process_cpu_seconds_total ([0-9.e+]+)$", text, re.MULTILINE)
    if match is None:
        raise RuntimeError("the service reports no process_cpu_seconds_total")
    return float(match.group(1))


# --- the bus --------------------------------------------------------------------------------


@dataclass
class SyncedTap:
    """Arrival time of each shipment's first `fulfillments.shipment.synced`."""

    arrivals: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0
    seen: set[str] = field(default_factory=set)

    def record(self, message: AbstractIncomingMessage) -> None:
        at = time.perf_counter()
        envelope = parse_envelope(message.body)
        if str(envelope.id) in self.seen:
            return  # the relay may publish a message twice: one event
        self.seen.add(str(envelope.id))
        shipment_id = envelope.data_as(ShipmentSynced).shipment_id
        if shipment_id in self.arrivals:
            self.duplicates += 1  # a second fulfillment for one shipment: must never happen
            return
        self.arrivals[shipment_id] = at


@dataclass
class Bus:
    channel: aio_pika.abc.AbstractChannel
    tap: SyncedTap

    async def publish(self, exchange_name: str, envelopes: Sequence[Envelope]) -> None:
        exchange = await self.channel.get_exchange(exchange_name)
        for start in range(0, len(envelopes), 200):
            await asyncio.gather(
                *(
                    exchange.publish(
                        envelope_message(e),
                        routing_key=e.type,
                    )
                    for e in envelopes[start : start + 200]
                )
            )


@contextlib.asynccontextmanager
async def bus(amqp_url: str) -> AsyncIterator[Bus]:
    """Bound before fulfillment-sync starts, so no synced event can pass before the tap is there."""
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=1000)
        await declare_exchanges(channel, [WMS_EVENTS, INTERNAL_EVENTS])
        queue = await channel.declare_queue(
            "bench.tap.shipment-synced", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(INTERNAL_EVENTS, routing_key="fulfillments.shipment.synced")
        tap = SyncedTap()

        async def record(message: AbstractIncomingMessage) -> None:
            tap.record(message)
            await message.ack()

        await queue.consume(record)
        yield Bus(channel, tap)
    finally:
        await connection.close()


async def announce(
    bus: Bus, where: Scratch, shop: BenchShop, orders: Sequence[WmsOrderSent]
) -> None:
    """orders.wms_order.sent for every order, then wait until fulfillment-sync knows them all."""
    await bus.publish(
        INTERNAL_EVENTS,
        [
            new_envelope(
                "orders.wms_order.sent",
                sent,
                shop=shop.domain,
                correlation_id=order_correlation_id(shop.domain, sent.shopify_order_id),
            )
            for sent in orders
        ],
    )
    conn = await asyncpg.connect(where.database.admin_dsn)
    try:
        deadline = time.monotonic() + 120
        while await conn.fetchval(
            "SELECT count(*) FROM fulfillment_sync.wms_orders WHERE shop = $1", shop.domain
        ) < len(orders):
            if time.monotonic() > deadline:
                raise TimeoutError("fulfillment-sync did not learn every WMS order")
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


# --- one timed run --------------------------------------------------------------------------


@dataclass
class Run:
    shipments: int
    wall_s: float
    before: Json
    after: Json
    throttled_after_warmup: int | None
    """None if the initial bucket was never spent (the bucket did not bind)."""
    duplicates: int
    service_cpu_s: float

    def delta(self, key: str) -> int:
        return int(self.after[key]) - int(self.before[key])

    def requests(self, operation: str) -> int:
        return int(self.after["requests_by_operation"].get(operation, 0)) - int(
            self.before["requests_by_operation"].get(operation, 0)
        )


async def ship_all(
    bus: Bus,
    admin: SimulatorAdmin,
    service_url: str,
    shop: BenchShop,
    orders: Sequence[WmsOrderSent],
) -> Run:
    envelopes = [
        new_envelope(
            "wms.shipment.confirmed",
            shipment_of(sent, i),
            shop=shop.domain,
            correlation_id=order_correlation_id(shop.domain, sent.shopify_order_id),
        )
        for i, sent in enumerate(orders)
    ]
    ids = {e.data_as(WmsShipmentConfirmed).shipment_id for e in envelopes}
    before = await admin.stats(shop.domain)
    cpu_before = await cpu_seconds(service_url)
    warmup_throttled: list[int] = []

    async def watch_bucket() -> None:
        while True:
            stats = await admin.stats(shop.domain)
            if stats["bucket"]["currentlyAvailable"] < DRAINED_BELOW:
                warmup_throttled.append(stats["throttled"])
                return
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch_bucket())
    started = time.perf_counter()
    await bus.publish(WMS_EVENTS, envelopes)
    deadline = time.monotonic() + DEADLINE_S
    while not ids <= bus.tap.arrivals.keys():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(ids - bus.tap.arrivals.keys())} shipments never synced")
        await asyncio.sleep(0.02)
    wall = max(bus.tap.arrivals[i] for i in ids) - started
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    after = await admin.stats(shop.domain)
    cpu = await cpu_seconds(service_url) - cpu_before
    throttled = after["throttled"] - warmup_throttled[0] if warmup_throttled else None
    return Run(len(ids), wall, before, after, throttled, bus.tap.duplicates, cpu)


async def baseline(admin: SimulatorAdmin, shop: BenchShop, orders: Sequence[WmsOrderSent]) -> float:
    """fulfillmentCreate straight from a client, CONCURRENCY at once: shipments/s."""
    client = ShopifyClient(shop.domain, shop.access_token, admin_url=admin.base_url)
    limit = asyncio.Semaphore(CONCURRENCY)

    async def fulfil(sent: WmsOrderSent, index: int) -> None:
        async with limit:
            result = await create_fulfillment(
                client,
                {
                    sent.fulfillment_order_id: [
                        FulfillmentLine(x.line_ref, x.quantity) for x in sent.lines
                    ]
                },
                tracking=Tracking("UPS", (f"1ZBASE{index:010d}",)),
            )
        if not result.ok:
            raise RuntimeError(f"fulfillmentCreate: {result.user_errors}")

    try:
        started = time.perf_counter()
        await asyncio.gather(*(fulfil(sent, i) for i, sent in enumerate(orders)))
        return len(orders) / (time.perf_counter() - started)
    finally:
        await client.close()


# --- the benchmark --------------------------------------------------------------------------


async def run(shipments: int = SHIPMENTS) -> dict[str, float]:
    async with scratch() as where, simulator() as admin:
        standard = await create_shop(admin, "bench-fulfil-standard.myshopify.com", plan="standard")
        raised = await create_shop(admin, "bench-fulfil-raised.myshopify.com", plan="enterprise")
        direct = await create_shop(admin, "bench-fulfil-direct.myshopify.com", plan="enterprise")
        standard_orders = await create_orders(admin, standard, shipments)
        raised_orders = await create_orders(admin, raised, shipments)
        direct_orders = await create_orders(admin, direct, shipments)
        raw_rate = await baseline(admin, direct, direct_orders)
        async with (
            bus(where.amqp_url) as messages,
            fulfillment_sync(where, [standard, raised], admin.base_url) as service_url,
        ):
            await announce(messages, where, standard, standard_orders)
            await announce(messages, where, raised, raised_orders)
            budget = await ship_all(messages, admin, service_url, standard, standard_orders)
            fast = await ship_all(messages, admin, service_url, raised, raised_orders)

    creates = budget.requests("FulfillmentCreate")
    points = budget.delta("cost_spent")
    cost_per_create = points / creates
    bucket = budget.before["bucket"]
    available, restore = bucket["currentlyAvailable"], bucket["restoreRate"]
    minimum = max(0.0, shipments * cost_per_create - available) / restore
    ratio = budget.wall_s / minimum
    rate = fast.shipments / fast.wall_s
    print("fulfillment-sync: WMS shipments to Shopify fulfillments (one fulfillmentCreate each)")
    print(
        f"  Standard plan ({bucket['maximumAvailable']} points, {restore}/s): "
        f"{shipments} shipments in {budget.wall_s:.1f} s; {creates} fulfillmentCreate at "
        f"{cost_per_create:.0f} points, {budget.requests('FulfillmentOrder')} read-backs, "
        f"{available} points available at the start"
    )
    print(
        f"  minimum the bucket allows: {minimum:.1f} s; wall time / minimum: {ratio:.3f}   "
        f"(target <= {TARGET_RATIO})"
    )
    print(
        f"  THROTTLED after warm-up: {budget.throttled_after_warmup} "
        f"(in all: {budget.delta('throttled')})   (target 0)"
    )
    print(
        f"  raised limits (Enterprise): {rate:.0f} shipments/s   (target >= {TARGET_RATE}); "
        f"baseline, fulfillmentCreate straight from a client: {raw_rate:.0f}/s; "
        f"ratio {rate / raw_rate:.2f}"
    )
    print(
        f"  fulfillment-sync CPU per shipment: {1000 * fast.service_cpu_s / shipments:.2f} ms "
        "(raised limits; consuming the shipment to publishing the synced event)"
    )
    print(f"  shipments synced twice: {budget.duplicates + fast.duplicates}   (must be 0)")
    return {
        "wall_over_minimum": ratio,
        "throttled_after_warmup": float(budget.throttled_after_warmup or 0),
        "shipments_per_s": rate,
        "baseline_per_s": raw_rate,
        "service_cpu_ms_per_shipment": 1000 * fast.service_cpu_s / shipments,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fulfillment_sync")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SHIPMENTS} shipments per run")
    args = parser.parse_args()
    configure_logging("bench", "WARNING")
    uvloop.run(run(QUICK_SHIPMENTS if args.quick else SHIPMENTS))


if __name__ == "__main__":
    main()
