"""What one order of any size costs order-intake's read: Shopify calls, points and CPU.

A 300-line order across three locations (100 lines each, two of them mapped) is read the way
the sync worker reads it: one `nodes(ids:)` query of the ShipbridgeOrder fragment, then the
pages that did not fit (shopify_admin.operations: first page 5 FOs x 50 lines). The baseline,
measured in the same run through the same code, is a 2-line order, which fits the first page.

Printed: calls and points per order (Shopify's actual cost from the simulator, which executes
the real schema and cost model), the fewest calls Shopify's page limits allow, and the CPU per
order of this process, which runs both intake's read (request, parse, decide) and the
simulator's answer.
"""

import math
import time
from typing import Any

from order_intake.domain import decide
from order_intake.order_reads import complete_order, order_read_variables
from order_intake.shopify_order import parse_order
from shop_config import ShopConfig
from shopify_admin.client import ShopifyClient
from shopify_admin.metering import metered
from shopify_admin.operations import MAX_PAGE_SIZE, ORDER_FIRST_PAGE_SIZES, ORDERS_BY_ID
from shopify_sim.config import SimConfig
from shopify_sim.testing import running_simulator

SHOP = "bench-big-order.myshopify.com"
TOKEN = "shpat_bench_big_order"
LOCATIONS = ("Shop location", "Warehouse East", "Pop-up")
LINES = 300
SKUS = 300
REPEATS = 5

Json = dict[str, Any]


def fewest_calls(lines_per_fo: list[int]) -> int:
    """Calls Shopify's limits allow at best: the first read, then (when something did not fit)
    one batched read of up to 250 lines for every FO, and one more page for each FO past 250."""
    first_fos = ORDER_FIRST_PAGE_SIZES["fulfillmentOrdersFirst"]
    first_lines = ORDER_FIRST_PAGE_SIZES["lineItemsFirst"]
    if len(lines_per_fo) <= first_fos and all(n <= first_lines for n in lines_per_fo):
        return 1
    more_fos = 1 if len(lines_per_fo) > first_fos else 0
    beyond = sum(max(0, math.ceil(n / MAX_PAGE_SIZE) - 1) for n in lines_per_fo)
    return 1 + more_fos + 1 + beyond


async def run() -> dict[str, float]:
    print("big order: calls, points and intake CPU per order read")
    async with running_simulator(SimConfig(random_seed=3)) as sim:
        await sim.create_shop(SHOP, TOKEN, locations=LOCATIONS, plan="plus")
        catalog = [
            {"sku": f"BIG-{n:04d}", "title": f"Item {n}", "stock": dict.fromkeys(LOCATIONS, 50)}
            for n in range(SKUS)
        ]
        await sim.seed(SHOP, catalog=catalog, locations=list(LOCATIONS))
        shop_state = sim.simulator.store.shop(SHOP)
        gid_of = {
            loc.name: f"gid://shopify/Location/{loc.id}" for loc in shop_state.locations.values()
        }
        shop = ShopConfig.model_validate(
            {
                "domain": SHOP,
                "locations": {gid_of[LOCATIONS[0]]: "WH1", gid_of[LOCATIONS[1]]: "WH2"},
            }
        )
        small = await sim.create_order(
            SHOP, [("BIG-0000", 1, LOCATIONS[0]), ("BIG-0001", 2, LOCATIONS[0])]
        )
        big = await sim.create_order(
            SHOP, [(f"BIG-{n:04d}", 1, LOCATIONS[n % 3]) for n in range(LINES)]
        )
        results: dict[str, float] = {}
        async with ShopifyClient(SHOP, TOKEN, admin_url=sim.base_url) as client:
            for key, label, order, lines_per_fo in (
                ("small", "2-line order (baseline)", small, [2]),
                ("big", f"{LINES}-line order, 3 locations", big, [LINES // 3] * 3),
            ):
                calls = points = 0
                cpu = 0.0
                for _ in range(REPEATS):
                    started = time.process_time()
                    with metered() as meter:
                        nodes = await client.execute(
                            ORDERS_BY_ID, {"ids": [order["id"]], **order_read_variables(shop)}
                        )
                        node = await complete_order(client, nodes["nodes"][0])
                    parsed = parse_order(node)
                    decision = decide(parsed, shop, [], parsed.created_at)
                    cpu += time.process_time() - started
                    calls, points = meter.calls, meter.points
                lines_sent = sum(len(c.lines) for c in decision.creates)
                fewest = fewest_calls(lines_per_fo)
                print(
                    f"  {label}: {calls} calls (fewest Shopify's pages allow: {fewest}), "
                    f"{points} points, {len(decision.creates)} WMS orders with {lines_sent} lines, "
                    f"CPU {cpu / REPEATS * 1000:.1f} ms per order (client and simulator)"
                )
                results[f"{key}_calls"] = calls
                results[f"{key}_points"] = points
                results[f"{key}_fewest_calls"] = fewest
                results[f"{key}_cpu_ms"] = cpu / REPEATS * 1000
        ratio = results["big_cpu_ms"] / results["small_cpu_ms"]
        print(
            f"  ratio to the baseline: {results['big_calls'] / results['small_calls']:.1f}x calls, "
            f"{results['big_points'] / results['small_points']:.1f}x points, "
            f"{ratio:.1f}x CPU for {LINES // 2}x the lines"
        )
        return results
