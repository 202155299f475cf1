"""The cost the simulator reports on the wire matches Shopify's on real queries.

Every query of shared/shopify/query-costs.jsonl (real queries with the requestedQueryCost that
Shopify reported) is sent to the simulator over HTTP; the `extensions.cost.requestedQueryCost`
of its answer must equal Shopify's figure on at least 95 % of them.
"""

import json

from shopify_admin.cost import requested_query_cost
from shopify_admin.reference import shopify_dir
from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.testing import running_simulator


async def test_requested_cost_on_the_wire_matches_shopify(schema_runtime: SchemaRuntime) -> None:
    rows = [json.loads(line) for line in (shopify_dir() / "query-costs.jsonl").open()]
    async with running_simulator(SimConfig(), schema_runtime) as sim:
        # Plus plan: 20,000 points, so no query is refused before its cost is reported.
        await sim.create_shop("costs.myshopify.com", "costs-token", plan="plus")
        matches = 0
        for row in rows:
            body = await sim.graphql("costs-token", row["query"], row["variables"])
            reported = body["extensions"]["cost"]["requestedQueryCost"]
            matches += reported == row["requestedQueryCost"]
    share = matches / len(rows)
    print(f"simulator requestedQueryCost equals Shopify's on {matches}/{len(rows)} = {share:.1%}")
    assert share >= 0.95


async def test_remembered_costs_follow_the_page_size(schema_runtime: SchemaRuntime) -> None:
    query = "query Locs($first: Int!) { locations(first: $first) { nodes { id name } } }"
    async with running_simulator(SimConfig(), schema_runtime) as sim:
        await sim.create_shop("memo.myshopify.com", "memo-token", plan="plus")
        for first in (1, 250, 1, 250):  # twice each: the second answer comes from memory
            body = await sim.graphql("memo-token", query, {"first": first})
            expected = requested_query_cost(schema_runtime.schema, query, {"first": first})
            assert body["extensions"]["cost"]["requestedQueryCost"] == expected
    assert requested_query_cost(schema_runtime.schema, query, {"first": 1}) != expected
