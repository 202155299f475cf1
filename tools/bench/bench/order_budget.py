"""order-intake against one shop's Standard-plan bucket (2000 points, 100/s restore).

The same processes as bench/order_pipeline.py, with one shop on the Standard plan: its orders
are created and their orders/create deliveries captured before anything is timed, then sent to
the gateway as fast as it takes them, so intake always has orders waiting. Once intake's reads
have drained the initial bucket, a measured window counts the points the simulator charged.
The most the bucket can allow in that window is `restore_rate * window + what was available at
its start`; intake's figure is the fraction of that it used. THROTTLED answers in the window
should be zero: the client waits for the points rather than being refused.

The bucket must be what limits intake, or the fraction measures intake's CPU instead. The
simulator charges a `nodes(ids:)` read of the ShipbridgeOrder fragment about the same whatever
the number of ids (10 to 12 points), so at intake's default 100 orders per read the bucket would
allow some 1,000 orders/s, more than one intake process handles on this machine. The benchmark
therefore runs intake with READ_BATCH orders per read: the same query, the same pacing, a bucket
that binds.
"""

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.infra import scratch
from bench.order_pipeline import (
    CommandTap,
    Sent,
    SimulatorAdmin,
    command_tap,
    create_orders,
    create_shop,
    gateway_and_intake,
    send_webhooks,
    simulator,
)
from webhook_gateway.app import WEBHOOK_PATH

SHOP = "bench-budget.myshopify.com"
ORDERS = 3_000
READ_BATCH = 4
SEND_CONCURRENCY = 32
DRAINED_BELOW = 200
"""Points left in the bucket (of 2000) at which the initial bucket counts as drained."""
DRAIN_DEADLINE_S = 60.0
WINDOW_S = 30.0
TARGET_FRACTION = 0.9

Json = dict[str, Any]


@dataclass(frozen=True)
class Snapshot:
    """The simulator's account of the shop and intake's own, at one moment."""

    at: float
    sim: Json
    reads: int
    orders_read: int
    commands: int


async def snapshot(
    admin: SimulatorAdmin, http: aiohttp.ClientSession, intake_url: str, tap: CommandTap
) -> Snapshot:
    sim = await admin.stats(SHOP)
    # The window is the simulator's: its clock matters, not the time /status takes to answer.
    at, commands = time.monotonic(), len(tap.arrivals)
    async with http.get(f"{intake_url}/status") as resp:
        worker = (await resp.json())["orders"]["sync_worker"]
    return Snapshot(at, sim, worker["reads"], worker["orders_read"], commands)


async def wait_for_drained_bucket(admin: SimulatorAdmin) -> float:
    """Seconds until intake's reads have spent the initial bucket."""
    started = time.monotonic()
    while (await admin.stats(SHOP))["bucket"]["currentlyAvailable"] >= DRAINED_BELOW:
        if time.monotonic() - started > DRAIN_DEADLINE_S:
            raise TimeoutError(f"bucket not drained within {DRAIN_DEADLINE_S:.0f} s")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def measure(orders: int) -> tuple[Snapshot, Snapshot, float]:
    """(before, after) the window, and the warm-up it took to drain the bucket."""
    async with scratch() as where, simulator() as admin:
        shop = await create_shop(admin, SHOP, plan="standard")
        webhooks = await create_orders(admin, [shop], orders)
        intake_settings = {"ORDER_INTAKE_SYNC_BATCH_SIZE": str(READ_BATCH)}
        async with (
            command_tap(where.amqp_url) as tap,
            gateway_and_intake(where, [shop], admin.base_url, intake_settings) as services,
            aiohttp.ClientSession() as http,
        ):
            url = services.gateway_url + WEBHOOK_PATH
            sending = asyncio.create_task(send_webhooks(url, webhooks, SEND_CONCURRENCY, Sent()))
            try:
                warmup = await wait_for_drained_bucket(admin)
                before = await snapshot(admin, http, services.intake_url, tap)
                await asyncio.sleep(WINDOW_S)
                after = await snapshot(admin, http, services.intake_url, tap)
                await sending
            finally:
                sending.cancel()
    if after.commands >= orders:
        raise AssertionError("intake ran out of orders inside the window: it was not bucket-bound")
    return before, after, warmup


async def run(orders: int = ORDERS) -> dict[str, float]:
    before, after, warmup = await measure(orders)
    window = after.at - before.at
    bucket = before.sim["bucket"]
    allowed = bucket["restoreRate"] * window + bucket["currentlyAvailable"]
    spent = after.sim["cost_spent"] - before.sim["cost_spent"]
    fraction = spent / allowed
    throttled = after.sim["throttled"] - before.sim["throttled"]
    rate = (after.commands - before.commands) / window
    reads = after.reads - before.reads
    per_read = (after.orders_read - before.orders_read) / reads if reads else 0.0
    points_per_read = spent / reads if reads else 0.0
    print("order-intake vs one shop's Standard-plan bucket (2000 points, 100/s restore)")
    print(
        f"  {orders} orders' webhooks sent at once; intake reads up to {READ_BATCH} orders per "
        f"nodes() call; initial bucket drained after {warmup:.1f} s"
    )
    print(
        f"  window {window:.1f} s: {rate:.1f} orders/s, {per_read:.2f} orders and "
        f"{points_per_read:.1f} points per nodes() call, {spent} points charged of {allowed:.0f} "
        "the bucket allowed "
        f"({orders - after.commands} orders still waiting at its end)"
    )
    print(f"  fraction of the theoretical maximum: {fraction:.3f}   (target >= {TARGET_FRACTION})")
    print(
        f"  THROTTLED in the window: {throttled} (warm-up: {before.sim['throttled']})   (target 0)"
    )
    return {
        "fraction": fraction,
        "throttled": float(throttled),
        "orders_per_s": rate,
        "orders_per_read": per_read,
    }
