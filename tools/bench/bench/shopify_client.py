"""The Admin API client against the simulator at Standard-plan limits (bucket 2000, 100/s).

Several workers share one shop's budget and send a realistic read mix as fast as the client lets
them. After a warm-up that drains the initial bucket, a measured window counts the points Shopify
(the simulator) actually charged. The most the bucket can ever allow in that window is
`restore_rate * window + what was left in the bucket at its start`; the client's figure is the
fraction of that it used. THROTTLED answers in the window should be zero: the client waits
before a query that would not fit rather than being refused.
"""

import asyncio
import time
from typing import Any

from shopify_admin.client import ShopifyClient
from shopify_admin.operations import INVENTORY_ITEMS_BY_SKU, LOCATIONS, ORDERS_BY_ID, Operation
from shopify_admin.search import skus_query
from shopify_sim.testing import SimulatorHandle, running_simulator

SHOP = "bench-client.myshopify.com"
TOKEN = "bench-token"
WORKERS = 8
WARMUP_S = 4.0
WINDOW_S = 30.0


async def _prepare(sim: SimulatorHandle) -> list[tuple[Operation, dict[str, Any]]]:
    shop = await sim.create_shop(SHOP, TOKEN, plan="standard", locations=("Main", "East"))
    await sim.seed(SHOP, products=300, locations=["Main", "East"])
    skus = [f"SKU-{i:05d}" for i in range(1, 301)]
    orders = [await sim.create_order(SHOP, [(skus[i], 1), (skus[i + 1], 2)]) for i in range(10)]
    return [
        (ORDERS_BY_ID, {"ids": [o["id"] for o in orders]}),
        (LOCATIONS, {}),
        (
            INVENTORY_ITEMS_BY_SKU,
            {"query": skus_query(skus[:20]), "locationId": shop["locations"][0]["id"]},
        ),
    ]


async def run() -> dict[str, float]:
    async with running_simulator() as sim:
        mix = await _prepare(sim)
        client = ShopifyClient(SHOP, TOKEN, admin_url=sim.base_url)
        stop_at = time.monotonic() + WARMUP_S + WINDOW_S
        queries = 0

        async def worker(offset: int) -> None:
            nonlocal queries
            i = offset
            while time.monotonic() < stop_at:
                operation, variables = mix[i % len(mix)]
                await client.execute(operation, variables)
                queries += 1
                i += 1

        workers = [asyncio.create_task(worker(n)) for n in range(WORKERS)]
        await asyncio.sleep(WARMUP_S)
        before = await sim.stats(SHOP)
        queries_before, window_started = queries, time.monotonic()
        await asyncio.gather(*workers)
        window = time.monotonic() - window_started
        after = await sim.stats(SHOP)
        await client.close()

    restore = before["bucket"]["restoreRate"]
    allowed = restore * window + before["bucket"]["currentlyAvailable"]
    spent = after["cost_spent"] - before["cost_spent"]
    fraction = spent / allowed
    throttled = after["throttled"] - before["throttled"]
    rate = (queries - queries_before) / window
    print("Shopify Admin client vs simulator, Standard plan (2000 points, 100/s restore)")
    print(f"  query mix: {', '.join(op.name for op, _ in mix)}; {WORKERS} concurrent workers")
    print(
        f"  window {window:.1f} s after {WARMUP_S:.0f} s warm-up: {rate:.2f} queries/s, "
        f"{spent} points charged of {allowed:.0f} the bucket allowed"
    )
    print(f"  fraction of the theoretical maximum: {fraction:.3f}   (target >= 0.9)")
    print(f"  THROTTLED in the window: {throttled} (warm-up: {before['throttled']})   (target 0)")
    return {"fraction": fraction, "throttled": float(throttled), "queries_per_s": rate}
