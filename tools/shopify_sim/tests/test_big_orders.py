"""A named catalog, and a 300-line order across 3 locations read completely by pagination."""

from __future__ import annotations

ORDER_PAGE = """query($id: ID!, $after: String) { order(id: $id) {
  fulfillmentOrders(first: 2, after: $after) {
    pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
    nodes { id assignedLocation { name } } } } }"""
FO_LINES = """query($id: ID!, $after: String) { fulfillmentOrder(id: $id) {
  lineItems(first: 250, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { sku totalQuantity } } } }"""
ORDER_LINES = """query($id: ID!, $after: String) { order(id: $id) {
  lineItems(first: 250, after: $after) { pageInfo { hasNextPage endCursor } nodes { sku } } } }"""
LOCATIONS = ("Shop location", "Warehouse East", "Warehouse West")


def _catalog(count: int) -> list[dict]:
    return [
        {
            "sku": f"BIG-{i:03d}",
            "title": f"Big item {i}",
            "barcode": f"0{i:011d}",
            "grams": 250,
            "stock": {name: 50 for name in LOCATIONS},
        }
        for i in range(count)
    ]


async def test_named_catalog_is_seeded_with_chosen_fields(world):
    counts = await world.sim.seed(
        world.domain,
        locations=["Shop location"],
        catalog=[
            {
                "sku": "MUG-RED",
                "title": "Red mug",
                "barcode": "4006381333931",
                "grams": 350,
                "price": "12.50",
                "stock": {"Shop location": 7},
            }
        ],
    )
    assert counts["variants"] == 1
    body = await world.gql(
        """{ productVariants(first: 5, query: "sku:MUG-RED") { nodes { sku barcode price
        product { title } inventoryItem { measurement { weight { value } } } } } }"""
    )
    [variant] = body["data"]["productVariants"]["nodes"]
    assert variant["barcode"] == "4006381333931" and variant["price"] == "12.50"
    assert variant["product"]["title"] == "Red mug"
    assert variant["inventoryItem"]["measurement"]["weight"]["value"] == 0.35
    assert world.level("MUG-RED", "Shop location")["available"] == 7
    refused = await world.sim.session.post(
        f"{world.sim.base_url}/_sim/shops/{world.domain}/seed",
        json={"catalog": [{"sku": "MUG-RED", "title": "Again"}]},
    )
    assert refused.status == 400 and "already exists" in await refused.text()


async def test_a_300_line_order_over_3_locations_reads_completely(world):
    await world.sim.seed(world.domain, locations=list(LOCATIONS), catalog=_catalog(300))
    lines = [(f"BIG-{i:03d}", 1 + i % 3, LOCATIONS[i % 3]) for i in range(300)]
    order = await world.sim.create_order(world.domain, lines)

    fos, after, pages = [], None, 0
    while True:
        body = await world.gql(ORDER_PAGE, {"id": order["id"], "after": after})
        connection = body["data"]["order"]["fulfillmentOrders"]
        fos.extend(connection["nodes"])
        pages += 1
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == 2
    assert sorted(fo["assignedLocation"]["name"] for fo in fos) == sorted(LOCATIONS)

    seen: dict[str, int] = {}
    for fo in fos:
        after = None
        while True:
            body = await world.gql(FO_LINES, {"id": fo["id"], "after": after})
            connection = body["data"]["fulfillmentOrder"]["lineItems"]
            for node in connection["nodes"]:
                assert node["sku"] not in seen
                seen[node["sku"]] = node["totalQuantity"]
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
    assert seen == {sku: quantity for sku, quantity, _ in lines}

    skus, after = [], None
    for _ in range(3):
        body = await world.gql(ORDER_LINES, {"id": order["id"], "after": after})
        connection = body["data"]["order"]["lineItems"]
        skus.extend(node["sku"] for node in connection["nodes"])
        after = connection["pageInfo"]["endCursor"]
        if not connection["pageInfo"]["hasNextPage"]:
            break
    assert skus == [sku for sku, _, _ in lines]


async def test_page_size_over_250_is_refused(world):
    order = await world.sim.create_order(world.domain, [("SKU-00001", 1)])
    body = await world.gql(
        "query($id: ID!) { order(id: $id) { lineItems(first: 251) { nodes { id } } } }",
        {"id": order["id"]},
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "250" in body["errors"][0]["message"]
