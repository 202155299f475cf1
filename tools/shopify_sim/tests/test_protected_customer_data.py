"""A shop that withholds protected customer data from the app: the fields come back null with an
ACCESS_DENIED error naming each, in the shape order-intake was built from (a real answer)."""

from __future__ import annotations

from shopify_admin.errors import ShopifyGraphQLError

READ = """query Withheld($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Order {
      id
      name
      email
      customer { id }
      shippingAddress { address1 city }
      billingAddress { address1 }
      lineItems(first: 5) { nodes { sku quantity } }
    }
  }
}"""
MAILING_ADDRESS = (
    "This app is not approved to access the MailingAddress object. See "
    "https://shopify.dev/docs/apps/launch/protected-customer-data for more details."
)
DOCUMENTATION = "https://shopify.dev/docs/apps/launch/protected-customer-data"


async def _two_orders(world):
    return [
        await world.sim.create_order(world.domain, [(sku, 1)]) for sku in ("SKU-00001", "SKU-00002")
    ]


async def test_withheld_fields_are_null_with_access_denied_and_the_rest_is_intact(world):
    orders = await _two_orders(world)
    state = await world.sim.allow_protected_customer_data(world.domain, False)
    assert state == {"protected_customer_data": False}

    body = await world.gql(READ, {"ids": [o["id"] for o in orders]})

    nodes = body["data"]["nodes"]
    for order, node in zip(orders, nodes, strict=True):
        assert (node["id"], node["name"]) == (order["id"], order["name"])
        assert [node[f] for f in ("email", "customer", "shippingAddress", "billingAddress")] == [
            None
        ] * 4
        assert node["lineItems"]["nodes"][0]["quantity"] == 1
    by_path = {tuple(e["path"]): e for e in body["errors"]}
    assert set(by_path) == {
        ("nodes", index, field)
        for index in (0, 1)
        for field in ("email", "customer", "shippingAddress", "billingAddress")
    }
    address = by_path[("nodes", 1, "shippingAddress")]
    assert address["message"] == MAILING_ADDRESS
    assert address["extensions"] == {"code": "ACCESS_DENIED", "documentation": DOCUMENTATION}
    assert address["locations"] == [{"line": 8, "column": 7}]
    assert by_path[("nodes", 0, "customer")]["message"].startswith(
        "This app is not approved to access the Customer object. See "
    )
    assert by_path[("nodes", 0, "email")]["message"].startswith(
        "This app is not approved to use the email field. See "
    )
    # The shape the Admin client turns into DeniedFields (what order-intake reads).
    denied = ShopifyGraphQLError("Withheld", body["errors"], body["data"]).denied_fields()
    assert denied is not None and len(denied) == 8
    assert f"shippingAddress: {MAILING_ADDRESS}" in {d.describe() for d in denied}
    assert body["extensions"]["cost"]["actualQueryCost"] > 0


async def test_a_query_without_protected_fields_answers_normally(world):
    [order, _] = await _two_orders(world)
    await world.sim.allow_protected_customer_data(world.domain, False)
    body = await world.gql("""query($id: ID!) { order(id: $id) { id name closed } }""",
                           {"id": order["id"]})  # fmt: skip
    assert "errors" not in body
    assert body["data"]["order"]["name"] == order["name"]


async def test_other_apps_and_an_allowed_app_read_everything(world):
    [order, _] = await _two_orders(world)
    await world.sim.allow_protected_customer_data(world.domain, False)
    # The control plane's unmetered GraphQL acts as another app (order generators, setup).
    unmetered = await world.sim.run_as_storefront(world.domain, READ, {"ids": [order["id"]]})
    assert "errors" not in unmetered
    assert unmetered["data"]["nodes"][0]["shippingAddress"]["city"] == "Toronto"

    await world.sim.allow_protected_customer_data(world.domain, True)
    allowed = await world.gql(READ, {"ids": [order["id"]]})
    assert "errors" not in allowed
    assert allowed["data"]["nodes"][0]["email"] == "sam@example.com"


async def test_a_shop_can_be_created_withholding_customer_data(world):
    created = await world.sim.create_shop(
        "basic.myshopify.com", "shpat_basic", protected_customer_data=False
    )
    assert created["protected_customer_data"] is False
    await world.sim.seed("basic.myshopify.com", products=1, min_quantity=5, max_quantity=5)
    order = await world.sim.create_order("basic.myshopify.com", [("SKU-00001", 1)])
    body = await world.sim.graphql("shpat_basic", READ, {"ids": [order["id"]]})
    assert {e["extensions"]["code"] for e in body["errors"]} == {"ACCESS_DENIED"}


async def test_the_switch_must_be_a_boolean(world):
    async with world.sim.session.post(
        f"{world.sim.base_url}/_sim/shops/{world.domain}/protected_customer_data",
        json={"allowed": "no"},
    ) as response:
        assert response.status == 400
        assert "allowed must be true or false" in await response.text()
