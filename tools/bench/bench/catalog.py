"""catalog: 100,000 variants of one shop sent to the warehouse as items, by bulk operation.

Processes as deployed: the Shopify simulator and inventory-sync each in a process of their own;
this process plays the warehouse's side of the bus (a queue bound to wms.commands with
`wms.item.#`) and, for the baseline, a plain Admin API client.

Setup, before any clock starts: the shop is created empty, so the sync inventory-sync starts by
itself for a shop never synced finds nothing; then it gets SKUS variants with warehouse details
(barcode, weight, HS code, origin, image). The shop stays on the Plus plan (1000 points/s): the
baseline, the only heavy reader, is the one it favours. No webhook gateway runs, so no
`bulk_operations/finish` reaches inventory-sync: it polls the operation every POLL_S instead
(deployed, the webhook wakes it; the poll, 10 s by default, is the fallback).

Measured, in one run:
1. Full sync by bulk operation: from `POST /catalog/sync` to the last `wms.item.upsert` on the
   bus (exactly SKUS distinct SKUs, none twice): wall time and its phases, the Admin API calls
   inventory-sync made (simulator stats; the JSONL download is not one), inventory-sync's CPU
   seconds and peak memory (VmHWM, reset just before; and its growth over the sync).
2. Baseline: the same catalog, the same fields, read page by page with `productVariants(first:
   250)` by a plain client in this process (every variant kept, as a connector diffing the
   catalog would): wall time, calls, and this process's peak memory growth while it reads.
3. Unchanged re-sync: a second `POST /catalog/sync` sends nothing (asserted), and its wall time.

`python -m bench.catalog --quick` runs 10,000 variants.
"""

import argparse
import asyncio
import contextlib
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import uvloop
from graphql import build_schema, parse, validate

from bench.infra import Scratch, scratch
from bench.order_pipeline import SimulatorAdmin, simulator, wms_commands_tap
from bench.webhook_ingest import cpu_seconds, free_port, proc_status_mb, process
from service_runtime.logging import configure_logging
from shop_config import env_name
from shopify_admin import ShopifyClient
from shopify_admin.cost import requested_query_cost
from shopify_admin.operations import (
    CATALOG_PRODUCT_FIELDS,
    CATALOG_VARIANT_FIELDS,
    MAX_PAGE_SIZE,
    Operation,
)
from shopify_admin.reference import schema_path
from testkit.shops import shop, shops_toml

SHOP = "bench-catalog.myshopify.com"
TOKEN = "shpat_bench_catalog"
SKUS = 100_000
QUICK_SKUS = 10_000
POLL_S = 1.0
SETUP_DEADLINE_S = 120.0
RUN_DEADLINE_S = 300.0
QUIET_S = 2.0
"""After a sync is done, how long the tap must stay quiet before nothing more is expected."""

Json = dict[str, Any]

# The baseline's page: what the bulk query asks of each variant (the same field lists), as one
# productVariants page; the variant's first image as `nodes` (a page needs no `edges`).
CATALOG_PAGE_DOCUMENT = f"""
query CatalogVariantsPage($first: Int!, $after: String) {{
  productVariants(first: $first, after: $after) {{
    nodes {{{CATALOG_VARIANT_FIELDS}
      product {{{CATALOG_PRODUCT_FIELDS}
      }}
      media(first: 1) {{ nodes {{ preview {{ image {{ url }} }} }} }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""


def catalog_page_operation() -> Operation:
    """The baseline's query, validated and priced against the 2026-07 schema (before any
    clock: building the schema takes seconds)."""
    schema = build_schema(schema_path().read_text(), assume_valid=True)
    errors = validate(schema, parse(CATALOG_PAGE_DOCUMENT))
    if errors:
        raise RuntimeError(f"baseline query invalid: {[e.message for e in errors]}")
    variables = {"first": MAX_PAGE_SIZE}
    return Operation(
        name="CatalogVariantsPage",
        document=CATALOG_PAGE_DOCUMENT,
        cost=requested_query_cost(schema, CATALOG_PAGE_DOCUMENT, variables),
        default_variables=variables,
    )


# --- the process's memory (Linux /proc) ---------------------------------------------------------


def reset_peak(pid: int) -> bool:
    """Start VmHWM over from the current RSS (`5` to clear_refs, Linux >= 4.0)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# --- the warehouse's side of the bus -----------------------------------------------------------


@dataclass
class ItemTap:
    """Every wms.item.* published, by SKU, timestamped on arrival in this process.

    A copy of an envelope already seen (the relay publishes at least once) is a wire duplicate,
    one command for the WMS; the same SKU in two envelopes is an item sent twice."""

    seen: set[str] = field(default_factory=set)
    upserted: set[str] = field(default_factory=set)
    sent_twice: int = 0
    other_types: int = 0
    wire_duplicates: int = 0
    messages: int = 0
    last_at: float = 0.0

    def record(self, body: bytes) -> None:
        envelope = json.loads(body)
        if envelope["id"] in self.seen:
            self.wire_duplicates += 1
            return
        self.seen.add(envelope["id"])
        self.messages += 1
        self.last_at = time.perf_counter()
        if envelope["type"] != "wms.item.upsert":
            self.other_types += 1
            return
        sku = envelope["data"]["sku"]
        if sku in self.upserted:
            self.sent_twice += 1
        self.upserted.add(sku)


@contextlib.asynccontextmanager
async def item_tap(amqp_url: str) -> AsyncIterator[ItemTap]:
    """Bound before inventory-sync starts, so no item can pass before the tap is there."""
    tap = ItemTap()
    async with wms_commands_tap(amqp_url, "bench.tap.wms-item", "wms.item.#", tap.record):
        yield tap


# --- inventory-sync ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def inventory_sync(
    where: Scratch, admin_url: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        shops_file = Path(folder) / "shops.toml"
        shops_file.write_text(shops_toml(shop(SHOP)))
        env = {
            env_name(SHOP, "access_token"): TOKEN,
            "DATABASE_URL": where.database.admin_dsn,
            "AMQP_URL": where.amqp_url,
            "DB_ROLE_PREFIX": where.database.role_prefix,
            "SHOPS_CONFIG": str(shops_file),
            "SHOPIFY_ADMIN_URL": admin_url,
            "INVENTORY_SYNC_PORT": str(port),
            "INVENTORY_SYNC_CATALOG_SYNC_POLL_S": str(POLL_S),
            "LOG_LEVEL": "WARNING",
        }
        base = f"http://127.0.0.1:{port}"
        async with process(["-m", "inventory_sync"], env, f"{base}/ready") as child:
            yield child, base


@dataclass
class SyncRun:
    sync: Json
    wall_s: float
    """POST to the last item on the bus (to `done` when nothing is sent)."""
    phases: dict[str, float]
    """Seconds since the POST at which each phase was first seen."""
    done_s: float
    calls: dict[str, int]
    cost_spent: int
    cpu_s: float
    rss_before_mb: float
    peak_mb: float
    peak_reset: bool
    items: int


async def start_sync(http: aiohttp.ClientSession, base: str) -> Json:
    async with http.post(f"{base}/catalog/sync", json={"shop": SHOP}) as resp:
        if resp.status not in (200, 202):
            raise RuntimeError(f"POST /catalog/sync: {resp.status} {await resp.text()}")
        sync: Json = await resp.json()
        return sync


async def follow(
    http: aiohttp.ClientSession, base: str, job_id: str, clock: float, deadline_s: float
) -> tuple[Json, dict[str, float]]:
    """The sync once done, and when each of its phases was first seen."""
    phases: dict[str, float] = {}
    while True:
        async with http.get(f"{base}/catalog/sync/{job_id}") as resp:
            sync: Json = await resp.json()
        now = time.perf_counter() - clock
        phases.setdefault(sync["phase"] or sync["state"], now)
        if sync["state"] == "done":
            return sync, phases
        if sync["state"] == "failed" or (sync["attempts"] > 0 and sync["error"]):
            raise RuntimeError(f"catalog sync failed: {sync['error']}")
        if now > deadline_s:
            raise TimeoutError(f"catalog sync not done in {deadline_s:.0f} s: {sync}")
        await asyncio.sleep(0.05)


async def wait_quiet(tap: ItemTap, expected: int, deadline_s: float) -> None:
    """Until `expected` items arrived and nothing more for QUIET_S."""
    started = time.perf_counter()
    while True:
        now = time.perf_counter()
        if len(tap.upserted) >= expected and now - max(tap.last_at, started) >= QUIET_S:
            return
        if now - started > deadline_s:
            raise TimeoutError(f"{len(tap.upserted):,} items on the bus of {expected:,}")
        await asyncio.sleep(0.05)


async def sync_run(
    admin: SimulatorAdmin,
    http: aiohttp.ClientSession,
    base: str,
    child: asyncio.subprocess.Process,
    tap: ItemTap,
    expected: int,
) -> SyncRun:
    messages_before, target = tap.messages, len(tap.upserted) + expected
    before = await admin.stats(SHOP)
    peak_reset = reset_peak(child.pid)
    rss_before = proc_status_mb(child.pid, "VmRSS")
    cpu_before = cpu_seconds(child.pid)
    clock = time.perf_counter()
    started = await start_sync(http, base)
    sync, phases = await follow(http, base, started["job_id"], clock, RUN_DEADLINE_S)
    done_s = time.perf_counter() - clock
    await wait_quiet(tap, target, RUN_DEADLINE_S)
    items = tap.messages - messages_before
    wall = (tap.last_at - clock) if items else done_s
    cpu = cpu_seconds(child.pid) - cpu_before
    peak = proc_status_mb(child.pid, "VmHWM")
    after = await admin.stats(SHOP)
    calls = {
        name: count - before["requests_by_operation"].get(name, 0)
        for name, count in after["requests_by_operation"].items()
        if count - before["requests_by_operation"].get(name, 0)
    }
    return SyncRun(
        sync=sync,
        wall_s=wall,
        phases=phases,
        done_s=done_s,
        calls=calls,
        cost_spent=after["cost_spent"] - before["cost_spent"],
        cpu_s=cpu,
        rss_before_mb=rss_before,
        peak_mb=peak,
        peak_reset=peak_reset,
        items=items,
    )


# --- the baseline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    wall_s: float
    calls: int
    variants: int
    cost: int
    cost_spent: int
    throttled: int
    growth_mb: float
    peak_reset: bool


async def baseline(admin: SimulatorAdmin, operation: Operation) -> Baseline:
    """Every variant read page by page and kept, as a connector that diffs the catalog does."""
    client = ShopifyClient(SHOP, TOKEN, admin_url=admin.base_url)
    before = await admin.stats(SHOP)
    me = os.getpid()
    peak_reset = reset_peak(me)
    rss_before = proc_status_mb(me, "VmRSS")
    variants: list[Json] = []
    calls = 0
    try:
        clock = time.perf_counter()
        after: str | None = None
        while True:
            data = await client.execute(operation, {"after": after})
            calls += 1
            page = data["productVariants"]
            variants.extend(page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        wall = time.perf_counter() - clock
        growth = proc_status_mb(me, "VmHWM") - rss_before
    finally:
        await client.close()
    stats = await admin.stats(SHOP)
    return Baseline(
        wall_s=wall,
        calls=calls,
        variants=len({v["sku"] for v in variants}),
        cost=operation.cost,
        cost_spent=stats["cost_spent"] - before["cost_spent"],
        throttled=stats["throttled"] - before["throttled"],
        growth_mb=growth,
        peak_reset=peak_reset,
    )


# --- the run -----------------------------------------------------------------------------------


async def wait_first_sync(http: aiohttp.ClientSession, base: str) -> None:
    """The sync inventory-sync starts by itself for a shop never synced (on the empty shop)."""
    started = await start_sync(http, base)  # the one already open, or a new one
    await follow(http, base, started["job_id"], time.perf_counter(), SETUP_DEADLINE_S)


async def measure(skus: int) -> Json:
    operation = catalog_page_operation()
    async with scratch() as where, simulator() as admin, item_tap(where.amqp_url) as tap:
        await admin.call(
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
        async with (
            inventory_sync(where, admin.base_url) as (child, base),
            aiohttp.ClientSession() as http,
        ):
            await wait_first_sync(http, base)
            seed = {"products": skus, "locations": ["Warehouse"], "details": True}
            await admin.call("POST", f"/shops/{SHOP}/seed", seed)
            await asyncio.sleep(3)  # the setup's work settles: the clock starts on a quiet run
            full = await sync_run(admin, http, base, child, tap, skus)
            if len(tap.upserted) != skus or tap.sent_twice or tap.other_types:
                raise RuntimeError(
                    f"full sync: {len(tap.upserted):,} distinct SKUs of {skus:,}, "
                    f"{tap.sent_twice} sent twice, {tap.other_types} other messages"
                )
            pages = await baseline(admin, operation)
            if pages.variants != skus:
                raise RuntimeError(f"baseline read {pages.variants:,} SKUs of {skus:,}")
            again = await sync_run(admin, http, base, child, tap, 0)
            if again.items or again.sync["progress"]["items_sent"]:
                raise RuntimeError(f"unchanged re-sync sent {again.items} items")
    return report(skus, full, pages, again, tap)


def _phases(run: SyncRun) -> str:
    names = {"bulk_running": "bulk op", "reading": "JSONL read", "sending": "decide+send"}
    return ", ".join(f"{names.get(k, k)} @{v:.1f} s" for k, v in run.phases.items())


def report(skus: int, full: SyncRun, pages: Baseline, again: SyncRun, tap: ItemTap) -> Json:
    progress = full.sync["progress"]
    calls = sum(full.calls.values())
    by_operation = ", ".join(f"{name} {n}" for name, n in sorted(full.calls.items()))
    growth = full.peak_mb - full.rss_before_mb
    peak_note = "" if full.peak_reset else " (peak not reset: since start)"
    standard_s = max(0.0, pages.calls * pages.cost - 2000) / 100
    print(f"catalog: {skus:,} variants of one Plus-plan shop sent to the WMS as items")
    print(
        f"  full sync by bulk operation: {len(tap.upserted):,} distinct SKUs on the bus "
        f"(none twice, {tap.wire_duplicates} wire duplicates), "
        f"{progress['lines_read']:,} JSONL lines"
    )
    print(
        f"    wall {full.wall_s:.1f} s from POST /catalog/sync to the last wms.item.upsert "
        f"(sync done at {full.done_s:.1f} s; {_phases(full)}; poll every {POLL_S:g} s)"
    )
    print(f"    Admin API calls: {calls} ({by_operation}), {full.cost_spent} points")
    print(
        f"    inventory-sync CPU {full.cpu_s:.1f} s; peak memory (VmHWM) {full.peak_mb:.0f} MB"
        f"{peak_note}, +{growth:.0f} MB over its {full.rss_before_mb:.0f} MB before the sync"
    )
    print(
        f"  baseline, productVariants(first: {MAX_PAGE_SIZE}) page by page, same fields: "
        f"{pages.calls} calls of {pages.cost} points ({pages.cost_spent:,} spent, "
        f"{pages.throttled} THROTTLED), wall {pages.wall_s:.1f} s on Plus "
        f"(Standard plan's rate-limit minimum {standard_s:.0f} s)"
    )
    print(
        f"    client peak memory growth {pages.growth_mb:.0f} MB"
        f"{'' if pages.peak_reset else ' (peak not reset)'} holding {pages.variants:,} variants"
    )
    print(
        f"    ratios baseline / bulk: wall {pages.wall_s / full.wall_s:.2f}x, "
        f"calls {pages.calls / calls:.0f}x, memory growth "
        f"{pages.growth_mb / growth if growth > 0 else float('inf'):.1f}x"
    )
    print(
        f"  unchanged re-sync: {again.items} items sent (target 0), "
        f"{again.sync['progress']['unchanged']:,} unchanged, wall {again.wall_s:.1f} s "
        f"({_phases(again)}), {sum(again.calls.values())} calls, CPU {again.cpu_s:.1f} s"
    )
    return {
        "skus": float(skus),
        "full_wall_s": full.wall_s,
        "full_calls": float(calls),
        "full_cpu_s": full.cpu_s,
        "full_peak_mb": full.peak_mb,
        "baseline_wall_s": pages.wall_s,
        "baseline_calls": float(pages.calls),
        "baseline_growth_mb": pages.growth_mb,
        "unchanged_items": float(again.items),
        "unchanged_wall_s": again.wall_s,
    }


async def run(skus: int = SKUS) -> Json:
    return await measure(skus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SKUS:,} variants")
    parser.add_argument("--skus", type=int, default=None)
    args = parser.parse_args()
    skus = args.skus or (QUICK_SKUS if args.quick else SKUS)
    configure_logging("bench", "WARNING")
    uvloop.run(run(skus))


if __name__ == "__main__":
    main()
