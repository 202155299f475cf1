"""Fulfillment requests answered against one shop's Standard-plan bucket (2000 points, 100/s).

One shop in the Shopify simulator, two facilities: WH1 at a merchant-managed location (the
location mode) and WH3 registered by order-intake as a fulfillment service whose callback is
the gateway. The real webhook-gateway and order-intake run as processes (bench/order_pipeline.py);
the WMS simulator runs in this process and accepts every `wms.order.create` at once.

Setup, before anything is measured: order-intake registers WH3 (the benchmark waits until its
/status shows the service's location). The same orders are then created twice through the
simulator's unmetered GraphQL, once at the merchant's location and once at the service's, their
orders/create deliveries captured as in order_budget. The merchant submits a fulfillment request
for every order at the service, also unmetered, while the simulator drops its deliveries: each
submit POSTs the service's callback, and a notification arriving during setup would have
order-intake scan the requests (metered) before the clock starts. The timed phases are driven by
the captured orders/create, as in order_budget; the notification path is the e2e tests' subject.

1. Location mode: the WH1 orders' webhooks are sent; order-intake reads the orders and sends
   `wms.order.create`; the WMS accepts; nothing more goes to Shopify. Calls and points per order
   are the simulator's counts over the phase divided by the orders.
2. Service mode: the WH3 orders' webhooks are sent as fast as the gateway takes them.
   order-intake reads each order (its FO is SUBMITTED), sends `wms.order.create`, and on
   `wms.order.accepted` its answer worker calls fulfillmentOrderAcceptFulfillmentRequest. Once
   the initial bucket is drained, a window counts requests answered and the points the simulator
   charged, against what the bucket allowed (`restore_rate * window + available at its start`).
   THROTTLED answers should be zero: the client waits for the points. Calls and points per order
   are counted over the whole phase, every order answered: inside the window reads and answers
   need not run at the same pace (reads are cheaper and run ahead), so window counts divided by
   the window's answers would not be a per-order figure.

As in order_budget, order-intake reads READ_BATCH orders per `nodes(ids:)` call in both modes, so
the bucket, not CPU, is what limits, and the per-order figures of the two modes compare the same
reads. Checked at the end: every request accepted exactly once (the simulator's record of the
service's responses on each FO) and one `wms.order.create` per order.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.infra import scratch
from bench.order_pipeline import (
    FACILITY,
    PRODUCTS,
    CommandTap,
    Sent,
    SimulatorAdmin,
    check_exactly_once,
    command_tap,
    create_orders,
    create_shop,
    gateway_and_intake,
    send_webhooks,
    simulator,
    wait_until,
)
from webhook_gateway.app import WEBHOOK_PATH
from wms_sim import WmsSimulator
from wms_sim.config import Facility, GeneratedCatalog
from wms_sim.testing import quiet_config

SHOP = "bench-requests.myshopify.com"
SERVICE_FACILITY = "WH3"
SERVICE_NAME = "Bench WH3"
LOCATION_ORDERS = 200
"""Location mode: about 3 points an order at READ_BATCH, well inside the initial bucket."""
SERVICE_ORDERS = 650
"""Service mode, about 13 points an order: more than the bucket's 2000 plus 100/s over warm-up
and window, so requests still wait when the window ends even with a 20 s warm-up on a loaded
machine; all answered about (650 * 13 - 2000) / 100 = 65 s after the phase starts."""
READ_BATCH = 4
SEND_CONCURRENCY = 32
SETUP_CONCURRENCY = 8
DRAINED_BELOW = 200
"""Points left in the bucket (of 2000) at which the initial bucket counts as drained."""
DRAIN_DEADLINE_S = 60.0
WINDOW_S = 30.0
PHASE_DEADLINE_S = 90.0
TARGET_FRACTION = 0.9
ACCEPT = "FulfillmentOrderAcceptFulfillmentRequest"
ACCEPTED_RESPONSE = "FULFILLMENT_REQUEST_ACCEPTED"

SUBMIT_FULFILLMENT_REQUEST = """
mutation SubmitFulfillmentRequest($id: ID!) {
  fulfillmentOrderSubmitFulfillmentRequest(id: $id) {
    submittedFulfillmentOrder { id requestStatus }
    userErrors { field message }
  }
}"""

Json = dict[str, Any]


# --- what is counted ------------------------------------------------------------------------
@dataclass(frozen=True)
class Stats:
    """The simulator's account of the shop at one moment (its clock is the one that matters)."""

    at: float
    sim: Json

    @property
    def calls(self) -> int:
        return int(self.sim["requests"])

    @property
    def points(self) -> int:
        return int(self.sim["cost_spent"])

    @property
    def throttled(self) -> int:
        return int(self.sim["throttled"])

    @property
    def accepts(self) -> int:
        return int(self.sim["requests_by_operation"].get(ACCEPT, 0))


async def stats(admin: SimulatorAdmin) -> Stats:
    sim = await admin.stats(SHOP)
    return Stats(time.monotonic(), sim)


@dataclass(frozen=True)
class Snapshot:
    """At a phase's boundary, once the shop is quiet: the simulator's account and intake's."""

    stats: Stats
    intake: Json

    @property
    def answered(self) -> int:
        return int(self.intake["fulfillment_requests"]["answer_worker"]["answered"])

    @property
    def reads(self) -> int:
        return int(self.intake["orders"]["sync_worker"]["reads"])

    @property
    def orders_read(self) -> int:
        return int(self.intake["orders"]["sync_worker"]["orders_read"])


async def intake_status(http: aiohttp.ClientSession, intake_url: str) -> Json:
    async with http.get(f"{intake_url}/status") as resp:
        resp.raise_for_status()
        status: Json = await resp.json()
        return status


async def snapshot(admin: SimulatorAdmin, http: aiohttp.ClientSession, intake_url: str) -> Snapshot:
    return Snapshot(await stats(admin), await intake_status(http, intake_url))


@dataclass(frozen=True)
class PerOrder:
    """One mode's Shopify traffic over its phase, every order of it done."""

    orders: int
    calls: int
    points: int
    throttled: int
    reads: int
    orders_read: int
    seconds: float

    @classmethod
    def between(cls, before: Snapshot, after: Snapshot, orders: int) -> "PerOrder":
        return cls(
            orders,
            after.stats.calls - before.stats.calls,
            after.stats.points - before.stats.points,
            after.stats.throttled - before.stats.throttled,
            after.reads - before.reads,
            after.orders_read - before.orders_read,
            after.stats.at - before.stats.at,
        )

    @property
    def calls_per_order(self) -> float:
        return self.calls / self.orders

    @property
    def points_per_order(self) -> float:
        return self.points / self.orders

    @property
    def orders_per_read(self) -> float:
        return self.orders_read / self.reads if self.reads else 0.0


@dataclass(frozen=True)
class Window:
    """The measured window, counted on the simulator's side only: accept calls are the answers
    (intake's own counter is read through its /status, which answers later)."""

    before: Stats
    after: Stats
    warmup: float
    unanswered: int
    """Requests still waiting for an answer at the window's end."""

    @property
    def seconds(self) -> float:
        return self.after.at - self.before.at

    @property
    def allowed(self) -> float:
        bucket = self.before.sim["bucket"]
        return float(bucket["restoreRate"]) * self.seconds + float(bucket["currentlyAvailable"])

    @property
    def spent(self) -> int:
        return self.after.points - self.before.points

    @property
    def answered(self) -> int:
        return self.after.accepts - self.before.accepts

    @property
    def throttled(self) -> int:
        return self.after.throttled - self.before.throttled


# --- setup ----------------------------------------------------------------------------------
def service_facilities(gateway_url: str) -> Json:
    return {
        SERVICE_FACILITY: {
            "mode": "fulfillment_service",
            "name": SERVICE_NAME,
            "callback_url": gateway_url,
        }
    }


@contextlib.asynccontextmanager
async def warehouse(amqp_url: str) -> AsyncIterator[WmsSimulator]:
    """Accepts every order at once (it knows the seeded SKUs), ships nothing, feeds no stock.
    Started once the services declared the WMS exchanges (it waits for them to exist)."""
    wms = WmsSimulator(
        quiet_config(
            facilities=(Facility(SHOP, FACILITY), Facility(SHOP, SERVICE_FACILITY)),
            catalog=GeneratedCatalog(products=PRODUCTS),
            ship_delay_s=None,
            adjustment_feed=False,
        )
    )
    await wms.start(amqp_url)
    try:
        yield wms
    finally:
        await wms.stop()


async def wait_registered(http: aiohttp.ClientSession, intake_url: str) -> str:
    """The location Shopify created for the service, once order-intake recorded it (reading
    orders at it needs that record)."""
    deadline = time.monotonic() + 30
    while True:
        status = await intake_status(http, intake_url)
        for entry in status["fulfillment_services"]:
            if entry["facility"] == SERVICE_FACILITY and entry["state"] == "registered":
                location: str = entry["location_id"]
                return location
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{SERVICE_FACILITY} not registered: {status['fulfillment_services']}"
            )
        await asyncio.sleep(0.1)


async def fulfillment_orders_at(admin: SimulatorAdmin, location: str) -> list[Json]:
    rows: list[Json] = await admin.call("GET", f"/shops/{SHOP}/state/fulfillment_orders")
    return [fo for fo in rows if fo["location_id"] == location]


async def submit_requests(admin: SimulatorAdmin, location: str) -> int:
    """The merchant requests fulfillment of every FO at the service, its deliveries dropped."""
    waiting = [
        fo["id"]
        for fo in await fulfillment_orders_at(admin, location)
        if fo["request_status"] == "UNSUBMITTED"
    ]
    limit = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def submit(fo_id: str) -> None:
        async with limit:
            data = await admin.graphql(SHOP, SUBMIT_FULFILLMENT_REQUEST, {"id": fo_id})
            result = data["fulfillmentOrderSubmitFulfillmentRequest"]
            if result["userErrors"]:
                raise RuntimeError(f"submit {fo_id}: {result['userErrors']}")

    await admin.call("POST", "/webhooks/controls", {"drop_fraction": 1.0})
    try:
        await asyncio.gather(*(submit(fo_id) for fo_id in waiting))
    finally:
        await admin.call("POST", "/webhooks/controls", {"drop_fraction": 0.0})
    return len(waiting)


# --- the phases -----------------------------------------------------------------------------
async def settled(admin: SimulatorAdmin, quiet_s: float = 1.0, limit_s: float = 10.0) -> None:
    """Until the shop has had no call for `quiet_s`: a phase's last answers are in."""
    deadline = time.monotonic() + limit_s
    last = (await admin.stats(SHOP))["requests"]
    while time.monotonic() < deadline:
        await asyncio.sleep(quiet_s)
        now = (await admin.stats(SHOP))["requests"]
        if now == last:
            return
        last = now


async def wait_for_drained_bucket(admin: SimulatorAdmin) -> float:
    """Seconds until order-intake's calls have spent the initial bucket."""
    started = time.monotonic()
    while (await admin.stats(SHOP))["bucket"]["currentlyAvailable"] >= DRAINED_BELOW:
        if time.monotonic() - started > DRAIN_DEADLINE_S:
            raise TimeoutError(f"bucket not drained within {DRAIN_DEADLINE_S:.0f} s")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def wait_answered(
    http: aiohttp.ClientSession, intake_url: str, answered: int, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        status = await intake_status(http, intake_url)
        if status["fulfillment_requests"]["answer_worker"]["answered"] >= answered:
            return
        if time.monotonic() > deadline:
            worker = status["fulfillment_requests"]["answer_worker"]
            raise TimeoutError(f"{answered} requests not answered in {timeout_s:.0f} s: {worker}")
        await asyncio.sleep(0.2)


@dataclass(frozen=True)
class Measured:
    location: PerOrder
    service: PerOrder
    window: Window
    service_fos: list[Json]
    commands: CommandTap


async def measure() -> Measured:
    async with scratch() as where, simulator() as admin:
        shop = await create_shop(admin, SHOP, plan="standard")
        intake_settings = {"ORDER_INTAKE_SYNC_BATCH_SIZE": str(READ_BATCH)}
        async with (
            command_tap(where.amqp_url) as tap,
            gateway_and_intake(
                where, [shop], admin.base_url, intake_settings, service_facilities
            ) as services,
            warehouse(where.amqp_url),
            aiohttp.ClientSession() as http,
        ):
            intake, url = services.intake_url, services.gateway_url + WEBHOOK_PATH
            service_location = await wait_registered(http, intake)
            at_location = await create_orders(admin, [shop], LOCATION_ORDERS, shop.location_gid)
            at_service = await create_orders(admin, [shop], SERVICE_ORDERS, service_location)
            submitted = await submit_requests(admin, service_location)
            if submitted != SERVICE_ORDERS:
                raise RuntimeError(f"{submitted} requests for {SERVICE_ORDERS} orders")
            await settled(admin)

            start = await snapshot(admin, http, intake)
            await send_webhooks(url, at_location, SEND_CONCURRENCY, Sent())
            done = lambda: len(tap.arrivals) >= LOCATION_ORDERS  # noqa: E731
            await wait_until(done, PHASE_DEADLINE_S, "location mode's orders")
            await settled(admin)
            end = await snapshot(admin, http, intake)
            location = PerOrder.between(start, end, LOCATION_ORDERS)

            start = end
            sending = asyncio.create_task(send_webhooks(url, at_service, SEND_CONCURRENCY, Sent()))
            try:
                warmup = await wait_for_drained_bucket(admin)
                before = await stats(admin)
                await asyncio.sleep(WINDOW_S)
                after = await stats(admin)
                await sending
            finally:
                sending.cancel()
            unanswered = SERVICE_ORDERS - (after.accepts - start.stats.accepts)
            if unanswered <= 0:
                raise AssertionError(
                    "order-intake answered every request inside the window: it was not bucket-bound"
                )
            await wait_answered(http, intake, start.answered + SERVICE_ORDERS, PHASE_DEADLINE_S)
            await settled(admin)
            end = await snapshot(admin, http, intake)
            service = PerOrder.between(start, end, SERVICE_ORDERS)
            fos = await fulfillment_orders_at(admin, service_location)
            await asyncio.sleep(0.5)  # a duplicate command would arrive right behind
    return Measured(location, service, Window(before, after, warmup, unanswered), fos, tap)


def check_answered_once(fos: Sequence[Json], orders: int) -> None:
    """Every request accepted, and no FO answered twice (the simulator keeps each response)."""
    responses = [len(fo["service_responses"]) for fo in fos]
    accepted = [
        fo
        for fo in fos
        if fo["request_status"] == "ACCEPTED"
        and [r["kind"] for r in fo["service_responses"]] == [ACCEPTED_RESPONSE]
    ]
    if len(fos) != orders or len(accepted) != orders:
        raise AssertionError(
            f"{len(accepted)} FOs accepted once of {len(fos)} at the service for {orders} "
            f"orders; responses per FO: {sorted(set(responses))}"
        )


def per_order_line(mode: str, figures: PerOrder) -> str:
    return (
        f"  {mode}: {figures.calls_per_order:5.2f} calls, {figures.points_per_order:5.1f} points "
        f"per order ({figures.orders} orders: {figures.calls} calls, {figures.points} points, "
        f"{figures.orders_per_read:.2f} orders per read, {figures.throttled} THROTTLED, "
        f"{figures.seconds:.1f} s)"
    )


async def run() -> Mapping[str, float]:
    measured = await measure()
    window, location, service = measured.window, measured.location, measured.service
    check_answered_once(measured.service_fos, SERVICE_ORDERS)
    check_exactly_once(measured.commands.arrivals.values(), LOCATION_ORDERS + SERVICE_ORDERS)
    fraction = window.spent / window.allowed
    rate = window.answered / window.seconds
    print(
        "fulfillment-service requests vs one shop's Standard-plan bucket "
        "(2000 points, 100/s restore)"
    )
    print(
        f"  {SERVICE_ORDERS} requests submitted, their orders' webhooks sent at once; intake "
        f"reads up to {READ_BATCH} orders per nodes() call; initial bucket drained after "
        f"{window.warmup:.1f} s"
    )
    print(
        f"  window {window.seconds:.1f} s: {rate:.1f} requests answered/s ({window.answered} "
        f"accepts), {window.spent} points charged of {window.allowed:.0f} the bucket allowed "
        f"({window.unanswered} requests still unanswered at its end)"
    )
    print(f"  fraction of the theoretical maximum: {fraction:.3f}   (target >= {TARGET_FRACTION})")
    print(
        f"  THROTTLED in the window: {window.throttled} (whole service phase: "
        f"{service.throttled})   (target 0)"
    )
    print("  Shopify calls and points per order, each mode's orders all done:")
    print(per_order_line("service mode (reads + accept)", service))
    print(per_order_line("location mode (reads only)   ", location))
    calls_ratio = service.calls_per_order / location.calls_per_order
    points_ratio = service.points_per_order / location.points_per_order
    print(f"  service / location: {calls_ratio:.2f}x calls, {points_ratio:.2f}x points per order")
    print(
        f"  exactly once: {SERVICE_ORDERS} requests accepted once each; "
        f"{LOCATION_ORDERS + SERVICE_ORDERS} distinct wms_order_refs "
        f"(copies on the wire: {measured.commands.wire_duplicates})"
    )
    return {
        "fraction": fraction,
        "throttled": float(window.throttled),
        "answered_per_s": rate,
        "service_calls_per_order": service.calls_per_order,
        "service_points_per_order": service.points_per_order,
        "location_calls_per_order": location.calls_per_order,
        "location_points_per_order": location.points_per_order,
    }
