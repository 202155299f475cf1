"""Orders from webhook to `wms.order.create`: 10,000 orders across 20 simulated shops.

Everything runs as deployed, each in a process of its own: the Shopify simulator (Plus plan,
so its bucket is not what limits), the webhook-gateway and order-intake; this process is the
load generator and a tap queue on wms.commands.

Setup, before the clock starts: each shop gets a small catalog and one location, mapped to a
WMS facility. The orders are created through the simulator's unmetered GraphQL while a collector
in this process is the only webhook subscriber, so each order's orders/create body is the
simulator's own, signed by the simulator with the shop's secret. The collector is then
unsubscribed: nothing reaches the gateway until the timed phase, which replays those captured
deliveries (headers and bytes as captured) to the gateway with bounded concurrency. Replaying
rather than letting the simulator deliver keeps the simulator's delivery work off the clock and
gives each order an exact send time. The tap timestamps each command on arrival.

Reported: orders/s from the first webhook sent to the last command arrived, the gateway's
acceptance rate in the same run (the pipeline's entry, as a baseline), and per-order latency
(arrival - send; with the gateway accepting faster than intake drains, it includes the backlog).
Checked: exactly one command per order, i.e. as many distinct (shop, wms_order_ref) as orders.
"""

import asyncio
import contextlib
import json
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
from aio_pika.abc import AbstractIncomingMessage
from aiohttp import web

from bench.http_load import Connections, post_request
from bench.infra import Scratch, scratch
from bench.webhook_ingest import cpu_seconds, free_port, process
from contracts import WMS_COMMANDS
from messaging.topology import declare_exchanges
from shop_config import env_name
from shopify_admin.operations import WEBHOOK_SUBSCRIPTION_CREATE
from shopify_sim.order_stream import ORDER_CREATE
from testkit.shops import shop, shops_toml
from webhook_gateway.app import WEBHOOK_PATH

SHOPS = 20
ORDERS = 10_000
PRODUCTS = 30
SEND_CONCURRENCY = 32
SETUP_CONCURRENCY = 8
DEADLINE_S = 120.0
TARGET_RATE = 500
FACILITY = "WH1"

WEBHOOK_SUBSCRIPTION_DELETE = """
mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}"""
VARIANTS = "query Variants($first: Int!) { productVariants(first: $first) { nodes { id } } }"
SHIP_TO = {
    "firstName": "Sam",
    "lastName": "Buyer",
    "address1": "1 Main St",
    "city": "Toronto",
    "provinceCode": "ON",
    "countryCode": "CA",
    "zip": "M5H 2M9",
}
SHIPPING_LINE = {
    "title": "Standard",
    "code": "standard",
    "source": "shopify",
    "priceSet": {"shopMoney": {"amount": "5.00", "currencyCode": "USD"}},
}
# The headers Shopify signs and the gateway reads; the transport ones are the client's own.
_REPLAYED_HEADERS = ("content-type", "x-shopify-")

Json = dict[str, Any]


# --- the simulator ------------------------------------------------------------------------
class SimulatorAdmin:
    """The simulator's control plane (/_sim/), over HTTP: it runs in another process."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, pid: int) -> None:
        self._http = http
        self.base_url = base_url
        self.pid = pid

    async def call(self, method: str, path: str, body: Json | None = None) -> Any:
        async with self._http.request(method, f"{self.base_url}/_sim{path}", json=body) as resp:
            if resp.status >= 400:
                raise RuntimeError(f"simulator {method} {path}: {resp.status} {await resp.text()}")
            return await resp.json()

    async def graphql(self, domain: str, query: str, variables: Json) -> Json:
        """As another app: no bucket, so setup never drains the one being measured."""
        result: Json = await self.call(
            "POST", f"/shops/{domain}/graphql", {"query": query, "variables": variables}
        )
        if result.get("errors"):
            raise RuntimeError(f"simulator GraphQL on {domain}: {result['errors']}")
        data: Json = result["data"]
        return data

    async def stats(self, domain: str) -> Json:
        result: Json = await self.call("GET", f"/shops/{domain}/stats")
        return result


@contextlib.asynccontextmanager
async def simulator() -> AsyncIterator[SimulatorAdmin]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    args = ["-m", "shopify_sim", "serve", "--port", str(port)]
    async with (
        process(args, {}, f"{base_url}/health") as child,
        aiohttp.ClientSession() as http,
    ):
        yield SimulatorAdmin(http, base_url, child.pid)


@dataclass(frozen=True)
class BenchShop:
    domain: str
    access_token: str
    client_secret: str
    location_gid: str
    variant_gids: tuple[str, ...]


async def create_shop(admin: SimulatorAdmin, domain: str, plan: str) -> BenchShop:
    name = domain.split(".", 1)[0]
    token, secret = f"shpat_{name}", f"secret-{name}"
    created = await admin.call(
        "POST",
        "/shops",
        {
            "domain": domain,
            "access_token": token,
            "client_secret": secret,
            "plan": plan,
            "locations": ["Warehouse"],
        },
    )
    seed = {
        "products": PRODUCTS,
        "locations": ["Warehouse"],
        "min_quantity": 1000,
        "max_quantity": 1000,
    }
    await admin.call("POST", f"/shops/{domain}/seed", seed)
    variants = await admin.graphql(domain, VARIANTS, {"first": PRODUCTS})
    return BenchShop(
        domain,
        token,
        secret,
        created["locations"][0]["id"],
        tuple(v["id"] for v in variants["productVariants"]["nodes"]),
    )


def order_input(shop: BenchShop, rng: random.Random, location: str | None = None) -> Json:
    """`location`: the Location GID every line ships from (the simulator's `_location` line
    property); None lets the simulator choose (the stocked location)."""
    lines = [
        # requiresShipping defaults to false in the real schema; unshippable lines never reach
        # the WMS, and the benchmark is about orders that do.
        {"variantId": variant, "quantity": rng.randint(1, 3), "requiresShipping": True}
        for variant in rng.sample(shop.variant_gids, rng.randint(1, 3))
    ]
    if location is not None:
        for line in lines:
            line["properties"] = [{"name": "_location", "value": location}]
    return {
        "financialStatus": "PAID",
        "currency": "USD",
        "email": "buyer@example.com",
        "sourceName": "web",
        "lineItems": lines,
        "shippingAddress": SHIP_TO,
        "shippingLines": [SHIPPING_LINE],
    }


# --- capturing each order's webhook ------------------------------------------------------
@dataclass(frozen=True)
class CapturedWebhook:
    """One orders/create delivery as the simulator made it: signed headers and exact bytes."""

    shop: str
    order_gid: str
    headers: Mapping[str, str]
    body: bytes


@dataclass
class WebhookCollector:
    """Stands where the gateway will: receives the simulator's deliveries during setup."""

    url: str
    captured: list[CapturedWebhook] = field(default_factory=list)

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower().startswith(_REPLAYED_HEADERS)
        }
        shop = request.headers["X-Shopify-Shop-Domain"]
        self.captured.append(
            CapturedWebhook(shop, json.loads(body)["admin_graphql_api_id"], headers, body)
        )
        return web.Response(text="ok")


@contextlib.asynccontextmanager
async def webhook_collector() -> AsyncIterator[WebhookCollector]:
    port = free_port()
    collector = WebhookCollector(f"http://127.0.0.1:{port}/webhooks")
    app = web.Application()
    app.router.add_post("/webhooks", collector.receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield collector
    finally:
        await runner.cleanup()


async def subscribe(admin: SimulatorAdmin, domain: str, uri: str) -> str:
    variables = {"topic": "ORDERS_CREATE", "webhookSubscription": {"uri": uri, "format": "JSON"}}
    data = await admin.graphql(domain, WEBHOOK_SUBSCRIPTION_CREATE.document, variables)
    subscription_id: str = data["webhookSubscriptionCreate"]["webhookSubscription"]["id"]
    return subscription_id


async def create_orders(
    admin: SimulatorAdmin, shops: Sequence[BenchShop], per_shop: int, location: str | None = None
) -> list[CapturedWebhook]:
    """Create the orders; returns their orders/create deliveries, the shops taking turns.

    The same orders every call (one seed); `location` as in `order_input`."""
    rng = random.Random(7)
    inputs = [(shop, order_input(shop, rng, location)) for _ in range(per_shop) for shop in shops]
    limit = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def create(shop: BenchShop, order: Json) -> None:
        async with limit:
            variables = {
                "order": order,
                "options": {"inventoryBehaviour": "DECREMENT_IGNORING_POLICY"},
            }
            data = await admin.graphql(shop.domain, ORDER_CREATE, variables)
            if data["orderCreate"]["userErrors"]:
                raise RuntimeError(f"orderCreate: {data['orderCreate']['userErrors']}")

    async with webhook_collector() as collector:
        subscriptions = [await subscribe(admin, s.domain, collector.url) for s in shops]
        await asyncio.gather(*(create(shop, order) for shop, order in inputs))
        await wait_until(lambda: len(collector.captured) >= len(inputs), 60, "webhook capture")
        for shop, subscription in zip(shops, subscriptions, strict=True):
            await admin.graphql(shop.domain, WEBHOOK_SUBSCRIPTION_DELETE, {"id": subscription})
    by_order = {(w.shop, w.order_gid): w for w in collector.captured}
    if len(by_order) != len(inputs):
        raise RuntimeError(f"{len(by_order)} distinct orders/create for {len(inputs)} orders")
    return interleaved(by_order.values(), [s.domain for s in shops])


def interleaved(webhooks: Iterable[CapturedWebhook], shops: Sequence[str]) -> list[CapturedWebhook]:
    """Round-robin over the shops, so that every shop has orders in flight all the time."""
    queues: dict[str, list[CapturedWebhook]] = {shop: [] for shop in shops}
    for webhook in webhooks:
        queues[webhook.shop].append(webhook)
    rounds = max(len(q) for q in queues.values())
    return [q[i] for i in range(rounds) for q in queues.values() if i < len(q)]


async def wait_until(done: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done within {timeout_s:.0f} s")
        await asyncio.sleep(0.05)


# --- the services -------------------------------------------------------------------------
def bench_shops_toml(
    shops: Sequence[BenchShop], facilities: Mapping[str, Any] | None = None
) -> str:
    """`facilities`: a `[shops.facilities]` table every shop gets besides its location's WH1."""
    # Webhooks only: a poll would read every order of the last 60 days on start, racing the
    # webhook path and spending the bucket being measured.
    extra = {"facilities": facilities} if facilities else {}
    return shops_toml(
        *(
            shop(
                s.domain,
                order_download={"mode": "webhooks"},
                locations={s.location_gid: FACILITY},
                **extra,
            )
            for s in shops
        )
    )


def services_env(
    where: Scratch,
    shops: Sequence[BenchShop],
    shops_file: Path,
    admin_url: str,
    facilities: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    shops_file.write_text(bench_shops_toml(shops, facilities))
    secrets = {
        name: value
        for s in shops
        for name, value in (
            (env_name(s.domain, "access_token"), s.access_token),
            (env_name(s.domain, "client_secret"), s.client_secret),
        )
    }
    return {
        **secrets,
        "DATABASE_URL": where.database.admin_dsn,
        "AMQP_URL": where.amqp_url,
        "DB_ROLE_PREFIX": where.database.role_prefix,
        "SHOPS_CONFIG": str(shops_file),
        "SHOPIFY_ADMIN_URL": admin_url,
        "LOG_LEVEL": "WARNING",
    }


@dataclass(frozen=True)
class Services:
    gateway_url: str
    intake_url: str
    pids: dict[str, int]  # process name -> pid, to read their CPU time


@contextlib.asynccontextmanager
async def gateway_and_intake(
    where: Scratch,
    shops: Sequence[BenchShop],
    admin_url: str,
    intake_settings: Mapping[str, str] | None = None,
    facilities: Callable[[str], Mapping[str, Any]] | None = None,
) -> AsyncIterator[Services]:
    """`facilities`: the gateway's URL -> the shops' `[shops.facilities]` table (a fulfillment
    service's callback_url is the gateway)."""
    gateway_port, intake_port = free_port(), free_port()
    gateway_url, intake_url = f"http://127.0.0.1:{gateway_port}", f"http://127.0.0.1:{intake_port}"
    with tempfile.TemporaryDirectory() as folder:
        table = facilities(gateway_url) if facilities is not None else None
        env = services_env(where, shops, Path(folder) / "shops.toml", admin_url, table)
        gateway_env = {**env, "WEBHOOK_GATEWAY_PORT": str(gateway_port)}
        intake_env = {**env, **(intake_settings or {}), "ORDER_INTAKE_PORT": str(intake_port)}
        async with (
            process(["-m", "webhook_gateway"], gateway_env, f"{gateway_url}/ready") as gateway,
            process(["-m", "order_intake"], intake_env, f"{intake_url}/ready") as intake,
        ):
            pids = {"webhook-gateway": gateway.pid, "order-intake": intake.pid}
            yield Services(gateway_url, intake_url, pids)


# --- the tap on wms.commands ----------------------------------------------------------------
@dataclass(frozen=True)
class Arrival:
    at: float
    shop: str
    order_gid: str
    wms_order_ref: str


@dataclass
class CommandTap:
    """Every wms.order.create published, timestamped on its first arrival in this process.

    Keyed by envelope id: the relay may publish a message twice (at-least-once), and such a
    copy is one command for the WMS, which deduplicates on the id. Counted, not kept.
    """

    arrivals: dict[str, Arrival] = field(default_factory=dict)
    wire_duplicates: int = 0

    def record(self, body: bytes) -> None:
        at = time.perf_counter()
        envelope = json.loads(body)
        if envelope["id"] in self.arrivals:
            self.wire_duplicates += 1
            return
        data = envelope["data"]
        self.arrivals[envelope["id"]] = Arrival(
            at, envelope["shop"], data["shopify_order_id"], data["wms_order_ref"]
        )


@contextlib.asynccontextmanager
async def wms_commands_tap(
    amqp_url: str, queue: str, routing_key: str, record: Callable[[bytes], None]
) -> AsyncIterator[None]:
    """Every command on wms.commands matching `routing_key` goes to `record`, from the moment
    this is entered (bind it before the service under test starts).

    A durable queue on a robust connection, acked after recording: the broker is shared, and
    a restart of it during the run must cost the measurement time, not commands.
    """
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=1000)
        await declare_exchanges(channel, [WMS_COMMANDS])
        bound = await channel.declare_queue(
            queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await bound.bind(WMS_COMMANDS, routing_key=routing_key)

        async def on_message(message: AbstractIncomingMessage) -> None:
            record(message.body)
            await message.ack()

        await bound.consume(on_message)
        yield
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def command_tap(amqp_url: str) -> AsyncIterator[CommandTap]:
    """The `wms.order.create` commands, bound before order-intake starts."""
    tap = CommandTap()
    async with wms_commands_tap(
        amqp_url, "bench.tap.wms-order-create", "wms.order.create", tap.record
    ):
        yield tap


# --- the load -------------------------------------------------------------------------------
@dataclass
class Sent:
    """When each order's webhook left, and when the gateway's last 200 came back."""

    at: dict[tuple[str, str], float] = field(default_factory=dict)
    last_answer: float = 0.0


async def send_webhooks(
    url: str, webhooks: Sequence[CapturedWebhook], concurrency: int, sent: Sent
) -> None:
    pending = iter(webhooks)
    connections = Connections(url)

    async def worker() -> None:
        for webhook in pending:
            request = post_request(url, webhook.headers, webhook.body)
            sent.at[webhook.shop, webhook.order_gid] = time.perf_counter()
            status = await connections.send(request)
            if status != 200:
                raise RuntimeError(f"gateway answered {status} for {webhook.order_gid}")
            sent.last_answer = time.perf_counter()

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        connections.close()


def percentile_ms(values: Sequence[float], p: float) -> float:
    return statistics.quantiles(values, n=1000)[int(p * 10) - 1] * 1000


def steady_rate(arrival_times: Sequence[float]) -> float:
    """Commands per second between the 10th and the 90th percentile of arrivals: the rate
    once the pipeline is full and before its tail, free of start-up and drain effects."""
    times = sorted(arrival_times)
    first, last = len(times) // 10, len(times) * 9 // 10
    return (last - first) / (times[last] - times[first])


def check_exactly_once(arrivals: Iterable[Arrival], orders: int) -> None:
    """One command per order: as many commands, and distinct refs, as orders sent."""
    commands = list(arrivals)
    refs = {(a.shop, a.wms_order_ref) for a in commands}
    if len(commands) != orders or len(refs) != orders:
        raise AssertionError(
            f"{len(commands)} wms.order.create, {len(refs)} distinct wms_order_refs "
            f"for {orders} orders"
        )


# --- the benchmark --------------------------------------------------------------------------
async def run(orders: int = ORDERS, shop_count: int = SHOPS) -> dict[str, float]:
    domains = [f"bench-{n:02d}.myshopify.com" for n in range(1, shop_count + 1)]
    async with scratch() as where, simulator() as admin:
        shops = [await create_shop(admin, domain, plan="plus") for domain in domains]
        webhooks = await create_orders(admin, shops, orders // shop_count)
        orders = len(webhooks)
        async with (
            command_tap(where.amqp_url) as tap,
            gateway_and_intake(where, shops, admin.base_url) as services,
        ):
            pids = {**services.pids, "shopify simulator": admin.pid}
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            sent = Sent()
            started = time.perf_counter()
            await send_webhooks(
                services.gateway_url + WEBHOOK_PATH, webhooks, SEND_CONCURRENCY, sent
            )
            done = lambda: len(tap.arrivals) >= orders  # noqa: E731
            await wait_until(done, DEADLINE_S, f"{orders} orders through the pipeline")
            cpu_ms = {n: 1000 * (cpu_seconds(p) - cpu_before[n]) / orders for n, p in pids.items()}
            await asyncio.sleep(0.5)  # a duplicate would arrive right behind
    arrivals = list(tap.arrivals.values())
    check_exactly_once(arrivals, orders)
    elapsed = max(a.at for a in arrivals) - started
    latencies = [a.at - sent.at[a.shop, a.order_gid] for a in arrivals]
    rate = orders / elapsed
    steady = steady_rate([a.at for a in arrivals])
    accepted_rate = orders / (sent.last_answer - started)
    print(
        f"order pipeline ({orders} orders, {shop_count} shops on the Plus plan, "
        f"webhook -> gateway -> order-intake -> wms.order.create; {SEND_CONCURRENCY} connections)"
    )
    print(
        f"  gateway accepted the webhooks at {accepted_rate:6.0f}/s "
        f"(the pipeline's entry, same run)"
    )
    print(
        f"  webhook to WMS command: {rate:6.0f} orders/s ({orders} in {elapsed:.1f} s)   "
        f"target >= {TARGET_RATE}/s"
    )
    print(f"  steady state (middle 80% of the commands): {steady:6.0f} orders/s")
    print(
        f"  latency per order (send -> command, backlog included): "
        f"p50 {percentile_ms(latencies, 50):7.0f} ms  p99 {percentile_ms(latencies, 99):7.0f} ms"
    )
    print(
        "  CPU per order (steadier than rates on a shared machine): "
        + ", ".join(f"{name} {ms:.2f} ms" for name, ms in cpu_ms.items())
    )
    print(
        f"  exactly once: {orders} distinct wms_order_refs for {orders} orders "
        f"(copies of a message on the wire: {tap.wire_duplicates})"
    )
    return {
        "rate": rate,
        "accepted_rate": accepted_rate,
        "steady_rate": steady,
        "p50_ms": percentile_ms(latencies, 50),
        "p99_ms": percentile_ms(latencies, 99),
        **{f"cpu_ms_per_order[{name}]": ms for name, ms in cpu_ms.items()},
    }
