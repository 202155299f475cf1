"""inventory-sync: a 100,000-SKU snapshot into one shop at Standard-plan limits.

Processes as deployed: the Shopify simulator and inventory-sync each in a process of their own;
this process plays the warehouse (it publishes the snapshot's parts on wms.events) and watches.

Setup, before any clock starts: the shop gets SKUS variants stocked at one location with STOCK
units; inventory-sync reads that catalog (on the Plus plan, so the setup does not take minutes
of Standard-plan reads), then the shop goes back to the Standard plan (bucket 2000, 100/s).

Measured:
1. A snapshot changing every SKU, in parts of 250 as the WMS simulator sends them: wall time
   from its first part published to the last quantity applied in Shopify, against the minimum
   the rate limit allows for the calls needed, `(calls * 10 - bucket at start) / 100` seconds;
   THROTTLED answers during the run; the service's time (wall and CPU) to decide the changes.
2. The same stock again (a new snapshot): no mutation, and how long until that is decided.
3. The service's peak memory (VmHWM of its process).
4. Baseline: the same changes pushed one SKU per call through the same client, timed on a
   sample sent on a drained bucket and extrapolated to every SKU (every call costs the same
   10 points whether it carries 1 quantity or 250), less a full bucket's head start.

`python -m bench.inventory_sync --quick` runs 10,000 SKUs. With so few calls the full initial
bucket would hide the rate limit, so the quick run starts the snapshot on a drained bucket.
"""

import argparse
import asyncio
import contextlib
import math
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import uvloop

from bench.infra import Scratch, scratch
from bench.order_pipeline import SimulatorAdmin, simulator
from bench.webhook_ingest import free_port, proc_status_mb, process
from contracts import WMS_EVENTS, new_envelope
from messaging.amqp import envelope_message
from messaging.topology import declare_exchanges
from service_runtime.logging import configure_logging
from shop_config import env_name
from shopify_admin import ShopifyClient
from shopify_admin.mutations import QuantitySetting, set_inventory_quantities
from shopify_admin.operations import INVENTORY_SET_QUANTITIES, PRODUCT_VARIANTS
from testkit.shops import shop, shops_toml

SHOP = "bench-inventory.myshopify.com"
TOKEN = "shpat_bench_inventory"
FACILITY = "WH1"
SKUS = 100_000
QUICK_SKUS = 10_000
STOCK = 10
PART_SIZE = 250
QUANTITIES_PER_CALL = 250
BASELINE_SAMPLE = 100
QUICK_BASELINE_SAMPLE = 40
TARGET_RATIO = 1.15
TARGET_UNCHANGED_S = 5.0
TARGET_DIFF_CPU_S = 2.0
TARGET_RSS_MB = 200
SETUP_DEADLINE_S = 900.0
RUN_DEADLINE_S = 600.0

Json = dict[str, Any]


@dataclass(frozen=True)
class Run:
    wall_s: float
    job: Json
    calls: int
    cost_spent: int
    throttled: int
    bucket_at_start: float
    assembled_s: float


def sku(n: int) -> str:
    return f"SKU-{n:05d}"  # as the simulator's seed names them


async def seed(admin: SimulatorAdmin, skus: int) -> str:
    """A Plus-plan shop with `skus` variants at one location; returns the location GID."""
    created = await admin.call(
        "POST",
        "/shops",
        {
            "domain": SHOP,
            "access_token": TOKEN,
            "client_secret": "bench-secret",
            "plan": "plus",
            "locations": ["Warehouse"],
        },
    )
    plan = {"products": skus, "locations": ["Warehouse"], "min_quantity": STOCK}
    await admin.call("POST", f"/shops/{SHOP}/seed", {**plan, "max_quantity": STOCK})
    location: str = created["locations"][0]["id"]
    return location


def service_env(where: Scratch, shops_file: Path, admin_url: str, port: int) -> dict[str, str]:
    return {
        env_name(SHOP, "access_token"): TOKEN,
        "DATABASE_URL": where.database.admin_dsn,
        "AMQP_URL": where.amqp_url,
        "DB_ROLE_PREFIX": where.database.role_prefix,
        "SHOPS_CONFIG": str(shops_file),
        "SHOPIFY_ADMIN_URL": admin_url,
        "INVENTORY_SYNC_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }


@contextlib.asynccontextmanager
async def inventory_sync(
    where: Scratch, admin_url: str, location: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        shops_file = Path(folder) / "shops.toml"
        feed = {"location": location, "mode": "both"}
        shops_file.write_text(
            shops_toml(shop(SHOP, locations={location: FACILITY}, inventory={FACILITY: feed}))
        )
        env = service_env(where, shops_file, admin_url, port)
        async with process(
            ["-m", "inventory_sync"], env, f"http://127.0.0.1:{port}/ready"
        ) as child:
            yield child


async def wait_for_job(db: asyncpg.Connection, kind: str, count: int, deadline_s: float) -> Json:
    """The `count`-th job of `kind`, once finished (read from the service's schema)."""
    started = time.monotonic()
    while True:
        rows = await db.fetch(
            "SELECT * FROM inventory_sync.jobs WHERE kind = $1 ORDER BY created_at", kind
        )
        if len(rows) >= count and rows[count - 1]["state"] in ("done", "failed"):
            job = dict(rows[count - 1])
            if job["state"] == "failed":
                raise RuntimeError(f"{kind} job failed: {job['error']}")
            return job
        if time.monotonic() - started > deadline_s:
            raise TimeoutError(f"{kind} job {count} not done within {deadline_s:.0f} s")
        await asyncio.sleep(0.05)


def snapshot_parts(levels: Sequence[tuple[str, int]], as_of: datetime) -> list[aio_pika.Message]:
    """Every part as it is published, built before the clock starts."""
    snapshot_id = f"{FACILITY}-{uuid.uuid4()}"
    chunks = [levels[i : i + PART_SIZE] for i in range(0, len(levels), PART_SIZE)]
    return [
        envelope_message(
            new_envelope(
                "wms.inventory.snapshot",
                {
                    "snapshot_id": snapshot_id,
                    "facility": FACILITY,
                    "as_of": as_of,
                    "part": number,
                    "parts": len(chunks),
                    "items": [{"sku": s, "available": a, "on_hand": a} for s, a in chunk],
                },
                shop=SHOP,
                occurred_at=as_of,
            )
        )
        for number, chunk in enumerate(chunks, start=1)
    ]


async def publish(channel: aio_pika.abc.AbstractChannel, parts: Sequence[aio_pika.Message]) -> None:
    exchange = await channel.get_exchange(WMS_EVENTS)
    for part in parts:
        await exchange.publish(part, routing_key=part.type or "")


async def drain_bucket(admin: SimulatorAdmin) -> None:
    """Spend the shop's bucket as another app would (quick mode only: see the module doc)."""
    client = ShopifyClient(SHOP, TOKEN, admin_url=admin.base_url, max_attempts=1)
    try:
        while (await admin.stats(SHOP))["bucket"]["currentlyAvailable"] > 60:
            await client.execute(PRODUCT_VARIANTS, {"locationId": "gid://shopify/Location/1"})
    finally:
        await client.close()


async def snapshot_run(
    admin: SimulatorAdmin,
    db: asyncpg.Connection,
    channel: aio_pika.abc.AbstractChannel,
    levels: Sequence[tuple[str, int]],
    as_of: datetime,
    number: int,
) -> Run:
    parts = snapshot_parts(levels, as_of)
    before = await admin.stats(SHOP)
    first_sent = datetime.now(UTC)
    clock = time.perf_counter()
    await publish(channel, parts)
    job = await wait_for_job(db, "snapshot", number, RUN_DEADLINE_S)
    wall = time.perf_counter() - clock
    after = await admin.stats(SHOP)
    completed_at = await db.fetchval(
        "SELECT completed_at FROM inventory_sync.snapshots WHERE id = $1", job["snapshot"]
    )
    calls = after["requests_by_operation"].get("InventorySetQuantities", 0) - before[
        "requests_by_operation"
    ].get("InventorySetQuantities", 0)
    return Run(
        wall_s=wall,
        job=job,
        calls=calls,
        cost_spent=after["cost_spent"] - before["cost_spent"],
        throttled=after["throttled"] - before["throttled"],
        bucket_at_start=float(before["bucket"]["currentlyAvailable"]),
        assembled_s=(completed_at - first_sent).total_seconds(),
    )


async def one_per_call(admin: SimulatorAdmin, db: asyncpg.Connection, sample: int) -> float:
    """Seconds per call of `sample` single-quantity calls sent back to back through the same
    client on a drained Standard bucket: the pace a one-SKU-per-call connector keeps."""
    await drain_bucket(admin)
    rows = await db.fetch(
        "SELECT inventory_item_id, location_id, available FROM inventory_sync.shopify_levels "
        "ORDER BY inventory_item_id LIMIT $1",
        sample,
    )
    client = ShopifyClient(SHOP, TOKEN, admin_url=admin.base_url)
    try:
        started = time.perf_counter()
        for row in rows:
            setting = QuantitySetting(
                f"gid://shopify/InventoryItem/{row['inventory_item_id']}",
                f"gid://shopify/Location/{row['location_id']}",
                row["available"] + 1,
                row["available"],
            )
            result = await set_inventory_quantities(
                client,
                [setting],
                name="available",
                reason="correction",
                idempotency_key=f"bench-{uuid.uuid4()}",
            )
            if not result.ok:
                raise RuntimeError(f"baseline call refused: {result.user_errors}")
        if len(rows) != sample:
            raise RuntimeError(f"baseline sample: {len(rows)} levels for {sample} calls")
        return (time.perf_counter() - started) / sample
    finally:
        await client.close()


def rate_limited_s(
    calls: int, cost: float, bucket_at_start: float, restore: float = 100.0
) -> float:
    """The least time Shopify's bucket allows for `calls` of `cost` points each."""
    return max(0.0, calls * cost - bucket_at_start) / restore


async def measure(skus: int, quick: bool) -> Json:
    async with scratch() as where, simulator() as admin:
        location = await seed(admin, skus)
        db = await asyncpg.connect(where.database.admin_dsn)
        amqp = await aio_pika.connect_robust(where.amqp_url)
        try:
            channel = await amqp.channel(publisher_confirms=True)
            await declare_exchanges(channel, [WMS_EVENTS])
            async with inventory_sync(where, admin.base_url, location) as child:
                setup = time.perf_counter()
                await wait_for_job(db, "catalog", 1, SETUP_DEADLINE_S)
                setup_s = time.perf_counter() - setup
                await admin.call("POST", f"/shops/{SHOP}/plan", {"plan": "standard"})
                if quick:
                    await drain_bucket(admin)

                changed = [(sku(n), STOCK + 1 + n % 50) for n in range(1, skus + 1)]
                as_of = datetime.now(UTC)
                first = await snapshot_run(admin, db, channel, changed, as_of, 1)
                unchanged_as_of = datetime.now(UTC)
                again = await snapshot_run(admin, db, channel, changed, unchanged_as_of, 2)
                rss = proc_status_mb(child.pid, "VmHWM")
            sample = QUICK_BASELINE_SAMPLE if quick else BASELINE_SAMPLE
            baseline_per_call_s = await one_per_call(admin, db, sample)
        finally:
            await amqp.close()
            await db.close()
    return report(skus, quick, setup_s, first, again, rss, sample, baseline_per_call_s)


def report(
    skus: int,
    quick: bool,
    setup_s: float,
    first: Run,
    again: Run,
    rss_mb: float,
    sample: int,
    baseline_per_call_s: float,
) -> Json:
    cost = INVENTORY_SET_QUANTITIES.cost
    needed = math.ceil(first.job["changes"] / QUANTITIES_PER_CALL)
    minimum = rate_limited_s(needed, cost, first.bucket_at_start)
    ratio = first.wall_s / minimum if minimum else float("inf")
    diff_cpu_s = first.job["diff_cpu_ms"] / 1000
    # A full bucket's head start (2000 points = 20 s of calls) is the only discount it gets.
    baseline_s = max(0.0, skus * baseline_per_call_s - 2000 / 100)
    bucket = "drained bucket" if quick else "full bucket (2000)"
    print(f"inventory-sync: {skus:,}-SKU snapshot into one Standard-plan shop (100 points/s)")
    print(f"  setup: catalog of {skus:,} variants read in {setup_s:.1f} s (Plus plan)")
    print(
        f"  snapshot, every SKU changed, {math.ceil(skus / PART_SIZE)} parts, {bucket}: "
        f"{first.job['changes']:,} changes in {first.calls} calls "
        f"({needed} needed, {first.cost_spent} points)"
    )
    print(
        f"    wall {first.wall_s:.1f} s from first part to last quantity applied "
        f"(parts assembled after {first.assembled_s:.1f} s, decided in "
        f"{first.job['diff_ms'] / 1000:.2f} s)"
    )
    print(
        f"    rate-limit minimum {minimum:.1f} s -> {ratio:.3f}x the minimum   "
        f"(target <= {TARGET_RATIO})"
    )
    print(f"    THROTTLED during the run: {first.throttled}   (target 0)")
    print(
        f"    CPU of the diff (service process, {skus:,} SKUs): {diff_cpu_s:.2f} s   "
        f"(target < {TARGET_DIFF_CPU_S})"
    )
    print(
        f"  same stock again: {again.calls} mutations, done {again.wall_s:.2f} s after its "
        f"first part (parts assembled after {again.assembled_s:.1f} s, decided in "
        f"{again.job['diff_ms'] / 1000:.2f} s)   (target 0 and < {TARGET_UNCHANGED_S} s)"
    )
    print(f"  service peak memory (VmHWM): {rss_mb:.0f} MB   (target < {TARGET_RSS_MB})")
    print(
        f"  baseline, one SKU per call: {baseline_per_call_s * 1000:.0f} ms per call over "
        f"{sample} calls (the bucket allows one per {cost * 10} ms); {skus:,} SKUs -> "
        f"{baseline_s:,.0f} s = {baseline_s / 3600:.1f} h, "
        f"{baseline_s / first.wall_s:,.0f}x shipbridge's {first.wall_s:.1f} s"
    )
    return {
        "skus": float(skus),
        "wall_s": first.wall_s,
        "ratio_to_minimum": ratio,
        "throttled": float(first.throttled),
        "diff_cpu_s": diff_cpu_s,
        "unchanged_mutations": float(again.calls),
        "unchanged_s": again.wall_s,
        "peak_rss_mb": rss_mb,
        "baseline_s": baseline_s,
    }


async def run(skus: int = SKUS, quick: bool = False) -> Json:
    return await measure(skus, quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SKUS:,} SKUs")
    parser.add_argument("--skus", type=int, default=None)
    args = parser.parse_args()
    skus = args.skus or (QUICK_SKUS if args.quick else SKUS)
    configure_logging("bench", "WARNING")
    uvloop.run(run(skus, quick=args.quick))


if __name__ == "__main__":
    main()
