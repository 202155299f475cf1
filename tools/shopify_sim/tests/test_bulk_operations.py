"""Bulk query operations: lifecycle, JSONL with __parentId, finish webhook, faults, limits, cost."""

from __future__ import annotations

import json

RUN = """mutation($q: String!) { bulkOperationRunQuery(query: $q) {
  bulkOperation { id status } userErrors { field message code } } }"""
CURRENT = """{ currentBulkOperation { id status errorCode objectCount rootObjectCount fileSize
  url partialDataUrl createdAt completedAt query } }"""
CANCEL = """mutation($id: ID!) { bulkOperationCancel(id: $id) {
  bulkOperation { id status } userErrors { field message } } }"""
PRODUCTS = """{ products { edges { node { id title
  variants { edges { node { id sku barcode inventoryItem { id requiresShipping
    measurement { weight { unit value } } harmonizedSystemCode countryCodeOfOrigin }
  } } } } } } }"""
VARIANTS = "{ productVariants { edges { node { id sku product { id title } } } } }"


async def _run(world, query):
    body = await world.gql(RUN, {"q": query})
    return body, body["data"]["bulkOperationRunQuery"]


async def _lines(world, url):
    async with world.sim.session.get(url) as response:
        assert response.status == 200
        return [json.loads(line) for line in (await response.text()).splitlines()]


async def test_lifecycle_jsonl_with_parent_ids_and_finish_webhook(world, receiver):
    await world.subscribe(receiver.url, "BULK_OPERATIONS_FINISH")
    await world.sim.seed(world.domain, products=3, variants_per_product=2, details=True)
    body, run = await _run(world, PRODUCTS)
    assert run["userErrors"] == []
    assert run["bulkOperation"]["status"] == "CREATED"
    # bulkOperationRunQuery is a mutation: Shopify charges 10.
    assert body["extensions"]["cost"]["actualQueryCost"] == 10
    await world.sim.simulator.bulk.drain()
    current = (await world.gql(CURRENT))["data"]["currentBulkOperation"]
    assert current["id"] == run["bulkOperation"]["id"]
    assert current["status"] == "COMPLETED" and current["errorCode"] is None
    products = len(world.shop.products)
    variants = len(world.shop.variants)
    assert current["rootObjectCount"] == str(products)
    assert current["objectCount"] == str(products + variants)
    assert current["completedAt"] and current["query"] == PRODUCTS
    assert (
        "/_sim/bulk-operation-outputs/" in current["url"] and "X-Goog-Signature" in current["url"]
    )
    lines = await _lines(world, current["url"])
    assert int(current["fileSize"]) == sum(
        len(json.dumps(x, separators=(",", ":"))) + 1 for x in lines
    )
    roots = [line for line in lines if "__parentId" not in line]
    children = [line for line in lines if "__parentId" in line]
    assert len(roots) == products and len(children) == variants
    assert all(
        set(root) == {"id", "title"} for root in roots
    )  # the nested connection is not inline
    root_ids = {root["id"] for root in roots}
    assert all(child["__parentId"] in root_ids for child in children)
    detailed = next(child for child in children if child["barcode"])
    assert detailed["inventoryItem"]["measurement"]["weight"]["unit"]
    assert detailed["id"].startswith("gid://shopify/ProductVariant/")
    node = await world.gql(
        "query($id: ID!) { node(id: $id) { ... on BulkOperation { id status } } }",
        {"id": current["id"]},
    )
    assert node["data"]["node"] == {"id": current["id"], "status": "COMPLETED"}
    await world.sim.simulator.dispatcher.drain()
    [finish] = receiver.bodies("bulk_operations/finish")
    assert finish["admin_graphql_api_id"] == current["id"]
    assert finish["status"] == "completed" and finish["type"] == "query"
    assert finish["error_code"] is None and finish["completed_at"] and finish["created_at"]


async def test_flat_variant_query_has_no_parent_ids(world):
    _, run = await _run(world, VARIANTS)
    assert run["userErrors"] == []
    await world.sim.simulator.bulk.drain()
    current = (await world.gql(CURRENT))["data"]["currentBulkOperation"]
    lines = await _lines(world, current["url"])
    assert len(lines) == len(world.shop.variants) == 20
    assert all("__parentId" not in line and line["product"]["title"] for line in lines)


async def test_invalid_bulk_queries_are_user_errors(world):
    cases = {
        "{ shop { name } }": "Bulk queries must contain at least one connection.",
        '{ node(id: "gid://shopify/Product/1") { id } }': "top level `node` or `nodes`",
        "{ products { edges { node { idd } } } }": "Invalid bulk query",
        "{ products { edges { node { title variants { edges { node { id } } } } } } }": (
            "must select the 'id'"
        ),
        (
            "{ products { edges { node { id variants { edges { node { id "
            "inventoryItem { id inventoryLevels { edges { node { id } } } } } } } } } } }"
        ): "nesting depth",
    }
    for query, message in cases.items():
        _, run = await _run(world, query)
        assert run["bulkOperation"] is None, query
        [error] = run["userErrors"]
        assert message in error["message"], (query, error)
        assert error["code"] == "INVALID" and error["field"] == ["query"]


async def test_one_query_operation_at_a_time_and_cancel(world, receiver):
    await world.subscribe(receiver.url, "BULK_OPERATIONS_FINISH")
    await world.sim.admin("POST", "/bulk", {"objects_per_second": 20, "page_size": 2})
    _, first = await _run(world, VARIANTS)
    _, second = await _run(world, VARIANTS)
    assert second["bulkOperation"] is None
    assert second["userErrors"] == [
        {
            "field": None,
            "message": "A bulk query operation for this app and shop is already in progress: "
            f"{first['bulkOperation']['id']}.",
            "code": "OPERATION_IN_PROGRESS",
        }
    ]
    cancel = await world.gql(CANCEL, {"id": first["bulkOperation"]["id"]})
    assert cancel["data"]["bulkOperationCancel"]["bulkOperation"]["status"] == "CANCELING"
    await world.sim.simulator.bulk.drain()
    current = (await world.gql(CURRENT))["data"]["currentBulkOperation"]
    assert current["status"] == "CANCELED"
    again = await world.gql(CANCEL, {"id": first["bulkOperation"]["id"]})
    assert again["data"]["bulkOperationCancel"]["userErrors"] == [
        {"field": None, "message": "A bulk operation cannot be canceled when it is canceled"}
    ]
    await world.sim.admin("POST", "/bulk", {"concurrency": 5, "objects_per_second": 1e6})
    _, third = await _run(world, VARIANTS)
    _, fourth = await _run(world, VARIANTS)
    assert third["userErrors"] == [] and fourth["userErrors"] == []
    await world.sim.simulator.bulk.drain()
    await world.sim.simulator.dispatcher.drain()
    assert [b["status"] for b in receiver.bodies("bulk_operations/finish")].count("canceled") == 1


async def test_fault_knob_fails_the_next_operation_with_partial_data(world, receiver):
    await world.subscribe(receiver.url, "BULK_OPERATIONS_FINISH")
    await world.sim.admin("POST", "/bulk", {"fail_next": 1, "page_size": 5})
    await _run(world, VARIANTS)
    await world.sim.simulator.bulk.drain()
    failed = (await world.gql(CURRENT))["data"]["currentBulkOperation"]
    assert failed["status"] == "FAILED" and failed["errorCode"] == "INTERNAL_SERVER_ERROR"
    assert failed["url"] is None and failed["partialDataUrl"]
    partial = await _lines(world, failed["partialDataUrl"])
    assert 0 < len(partial) < 20
    _, retry = await _run(world, VARIANTS)  # the knob fails only the next one
    await world.sim.simulator.bulk.drain()
    done = (await world.gql(CURRENT))["data"]["currentBulkOperation"]
    assert done["id"] == retry["bulkOperation"]["id"] and done["status"] == "COMPLETED"
    await world.sim.simulator.dispatcher.drain()
    statuses = [(b["status"], b["error_code"]) for b in receiver.bodies("bulk_operations/finish")]
    assert statuses == [("failed", "internal_server_error"), ("completed", None)]


async def test_a_large_catalog_streams_in_seconds(world):
    await world.sim.seed(world.domain, products=5000, variants_per_product=4, details=True)
    _, run = await _run(world, PRODUCTS)
    assert run["userErrors"] == []
    await world.sim.simulator.bulk.drain(limit_seconds=60)
    current = (await world.gql(CURRENT))["data"]["currentBulkOperation"]
    assert current["status"] == "COMPLETED"
    assert int(current["objectCount"]) == len(world.shop.products) + len(world.shop.variants)
    count = 0
    async with world.sim.session.get(current["url"]) as response:
        async for _line in response.content:
            count += 1
    assert count == int(current["objectCount"])
