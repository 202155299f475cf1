"""The GraphQL endpoint: auth, validation errors, cost extension, reads in Shopify's shapes."""

from __future__ import annotations

from shopify_sim.parity import assert_same_shape, capture

ORDERS_SINCE = """
query OrdersSince($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { id name updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_unknown_token_gets_shopify_401(world):
    async with world.sim.session.post(
        world.sim.graphql_url(),
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": "nope"},
    ) as response:
        assert response.status == 401
        assert "Invalid API key or access token" in (await response.json())["errors"]


async def test_validation_error_is_http_200_with_code_and_no_data(world):
    async with world.sim.session.post(
        world.sim.graphql_url(),
        json={"query": 'query { order(id: "x") { bogusField } }'},
        headers={"X-Shopify-Access-Token": world.token},
    ) as response:
        assert response.status == 200
        body = await response.json()
    assert "data" not in body
    (error,) = body["errors"]
    assert error["message"] == "Field 'bogusField' doesn't exist on type 'Order'"
    assert error["extensions"]["code"] == "undefinedField"
    assert error["locations"] == [{"line": 1, "column": 26}]


async def test_every_executed_response_carries_cost(world):
    body = await world.gql("query { shop { name myshopifyDomain } }")
    assert body["data"]["shop"]["myshopifyDomain"] == world.domain
    cost = body["extensions"]["cost"]
    assert set(cost) == {"requestedQueryCost", "actualQueryCost", "throttleStatus"}
    assert cost["throttleStatus"]["maximumAvailable"] == 2000


async def test_merchant_detail_capture_replays_with_shopify_shape(world):
    recorded = capture("order-merchant-detail-read")
    order = await world.sim.create_order(
        world.domain,
        [("SKU-00001", 2)],
        shippingAddress={
            "firstName": "Ada",
            "lastName": "Lovelace",
            "address1": "500 King St W",
            "city": "Toronto",
            "provinceCode": "ON",
            "countryCode": "CA",
            "zip": "M5V 1L9",
        },
    )
    body = await world.gql(recorded["upstreamCalls"][0]["query"], {"id": order["id"]})
    assert "errors" not in body, body.get("errors")
    assert_same_shape(body["data"], recorded["response"]["data"])
    assert body["data"]["order"]["name"] == order["name"]
    assert body["data"]["order"]["shippingAddress"]["province"] == "Ontario"


async def test_locations_capture_shape(world):
    recorded = capture("locations-catalog")
    body = await world.gql(
        "query { locations(first: 5) { edges { cursor node { id name } } "
        "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"
    )
    assert_same_shape(body["data"], recorded["data"])
    assert [e["node"]["name"] for e in body["data"]["locations"]["edges"]] == [
        "Shop location",
        "Warehouse East",
    ]


async def test_orders_pages_by_updated_at_and_filters(world):
    created = [await world.sim.create_order(world.domain, [("SKU-00002", 1)]) for _ in range(5)]
    seen, after = [], None
    while True:
        page = (
            await world.gql(
                ORDERS_SINCE,
                {"first": 2, "after": after, "query": "updated_at:>'2000-01-01T00:00:00Z'"},
            )
        )["data"]
        seen += [n["name"] for n in page["orders"]["nodes"]]
        if not page["orders"]["pageInfo"]["hasNextPage"]:
            break
        after = page["orders"]["pageInfo"]["endCursor"]
    assert seen == [o["name"] for o in created]
    future = await world.gql(
        ORDERS_SINCE, {"first": 10, "query": "updated_at:>'2999-01-01T00:00:00Z'"}
    )
    assert future["data"]["orders"]["nodes"] == []


async def test_nodes_resolves_mixed_types_and_unknown_ids(world):
    order = await world.sim.create_order(world.domain, [("SKU-00003", 1)])
    body = await world.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id "
        "... on Order { name fulfillmentOrders(first: 5) { nodes { id status } } } } }",
        {"ids": [order["id"], "gid://shopify/Order/1", world.location_gid("Shop location")]},
    )
    first, missing, location = body["data"]["nodes"]
    assert first["__typename"] == "Order" and first["name"] == order["name"]
    assert first["fulfillmentOrders"]["nodes"][0]["status"] == "OPEN"
    assert missing is None
    assert location["__typename"] == "Location"


async def test_connection_without_page_size_is_an_error(world):
    body = await world.gql("query { orders { nodes { id } } }")
    assert body["errors"][0]["message"] == "you must provide one of first or last"


async def test_unsimulated_root_field_fails_loudly(world):
    body = await world.gql("query { collections(first: 1) { nodes { id } } }")
    assert body["errors"][0]["extensions"]["code"] == "NOT_SIMULATED"


async def test_missing_query_is_bad_request(world):
    async with world.sim.session.post(
        world.sim.graphql_url(),
        json={"variables": {}},
        headers={"X-Shopify-Access-Token": world.token},
    ) as response:
        assert response.status == 400
