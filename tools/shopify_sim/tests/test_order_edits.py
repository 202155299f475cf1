"""Order editing through GraphQL: userErrors as Shopify answers them, and what a commit does
to line items, fulfillment orders, inventory and webhooks."""

from __future__ import annotations

import json

BEGIN = """mutation($id: ID!) { orderEditBegin(id: $id) {
  calculatedOrder { id lineItems(first: 10) { nodes { id quantity editableQuantity } } }
  orderEditSession { id } userErrors { field message } } }"""
ADD = """mutation($id: ID!, $variantId: ID!, $quantity: Int!, $locationId: ID,
  $allowDuplicates: Boolean) {
  orderEditAddVariant(id: $id, variantId: $variantId, quantity: $quantity,
    locationId: $locationId, allowDuplicates: $allowDuplicates) {
    calculatedLineItem { id quantity sku }
    calculatedOrder { addedLineItems(first: 10) { nodes { id quantity } } }
    userErrors { field message } } }"""
SET = """mutation($id: ID!, $lineItemId: ID!, $quantity: Int!, $restock: Boolean) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity,
    restock: $restock) {
    calculatedLineItem { id quantity editableQuantity restocking }
    userErrors { field message } } }"""
COMMIT = """mutation($id: ID!, $notifyCustomer: Boolean, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    order { id edited } successMessages userErrors { field message } } }"""
READ = """query($id: ID!) { order(id: $id) { currentSubtotalLineItemsQuantity
  lineItems(first: 10) { nodes { id sku quantity currentQuantity unfulfilledQuantity } }
  fulfillmentOrders(first: 10) { nodes { id status assignedLocation { name }
    lineItems(first: 10) { nodes { totalQuantity remainingQuantity lineItem { sku } } } } } } }"""
FULFILL = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
  userErrors { field message } } }"""


async def _begin(world, order_id):
    body = await world.gql(BEGIN, {"id": order_id})
    payload = body["data"]["orderEditBegin"]
    assert payload["userErrors"] == []
    return payload["calculatedOrder"]


def _line_gid(calculated, index=0):
    return calculated["lineItems"]["nodes"][index]["id"]


async def test_begin_shows_the_order_as_calculated_lines(world):
    order = await world.sim.create_order(world.domain, [("SKU-00001", 3)])
    body = await world.gql(BEGIN, {"id": order["id"]})
    payload = body["data"]["orderEditBegin"]
    calculated = payload["calculatedOrder"]
    assert calculated["id"].startswith("gid://shopify/CalculatedOrder/")
    # As captured: the session shares the calculated order's number, lines keep theirs.
    assert payload["orderEditSession"]["id"].rsplit("/", 1)[1] == calculated["id"].rsplit("/")[-1]
    [line] = calculated["lineItems"]["nodes"]
    line_number = world.shop.orders[int(order["id"].rsplit("/", 1)[1])].line_items[0].id
    assert line == {
        "id": f"gid://shopify/CalculatedLineItem/{line_number}",
        "quantity": 3,
        "editableQuantity": 3,
    }


async def test_lifecycle_user_errors_match_shopify(world):
    unknown_order = await world.gql(BEGIN, {"id": "gid://shopify/Order/1"})
    assert unknown_order["data"]["orderEditBegin"] == {
        "calculatedOrder": None,
        "orderEditSession": None,
        "userErrors": [{"field": ["id"], "message": "The order does not exist."}],
    }
    missing = "gid://shopify/CalculatedOrder/1"
    for query, variables, root in (
        (
            ADD,
            {"id": missing, "variantId": world.variant_gid("SKU-00001"), "quantity": 1},
            "orderEditAddVariant",
        ),
        (
            SET,
            {"id": missing, "lineItemId": "gid://shopify/CalculatedLineItem/1", "quantity": 1},
            "orderEditSetQuantity",
        ),
        (COMMIT, {"id": missing}, "orderEditCommit"),
    ):
        body = await world.gql(query, variables)
        assert body["data"][root]["userErrors"] == [
            {"field": ["id"], "message": "The calculated order does not exist."}
        ], root

    order = await world.sim.create_order(world.domain, [("SKU-00001", 2)])
    calculated = await _begin(world, order["id"])
    title_of_first = world.shop.variants_by_sku["SKU-00001"].product_title
    cases = [
        (
            SET,
            {"lineItemId": "gid://shopify/CalculatedLineItem/1", "quantity": 1},
            "orderEditSetQuantity",
            [{"field": ["lineItemId"], "message": "The line item does not exist on the order."}],
        ),
        (
            SET,
            {"lineItemId": _line_gid(calculated), "quantity": -1},
            "orderEditSetQuantity",
            [{"field": ["quantity"], "message": "must be greater than or equal to 0"}],
        ),
        (
            ADD,
            {"variantId": "gid://shopify/ProductVariant/1", "quantity": 1},
            "orderEditAddVariant",
            [{"field": ["variantId"], "message": "The variant does not exist in the shop."}],
        ),
        (
            ADD,
            {"variantId": world.variant_gid("SKU-00002"), "quantity": 0},
            "orderEditAddVariant",
            [{"field": ["quantity"], "message": "must be greater than 0"}],
        ),
        (
            ADD,
            {"variantId": world.variant_gid("SKU-00002"), "quantity": -2},
            "orderEditAddVariant",
            [
                {"field": ["quantity"], "message": "must be greater than 0"},
                {"field": ["quantity"], "message": "must be greater than or equal to 0"},
            ],
        ),
        (
            ADD,
            {"variantId": world.variant_gid("SKU-00001"), "quantity": 1},
            "orderEditAddVariant",
            [
                {
                    "field": ["id"],
                    "message": f"The {title_of_first} was not added because it's already "
                    "on the order.",
                }
            ],
        ),
    ]
    for query, variables, root, expected in cases:
        body = await world.gql(query, {"id": calculated["id"], **variables})
        assert body["data"][root]["userErrors"] == expected, variables

    await world.gql(
        """mutation($id: ID!) { orderCancel(orderId: $id, reason: OTHER, restock: true) {
        orderCancelUserErrors { code } } }""",
        {"id": order["id"]},
    )
    cancelled = await world.gql(BEGIN, {"id": order["id"]})
    assert cancelled["data"]["orderEditBegin"]["userErrors"] == [
        {"field": None, "message": "The order cannot be edited."}
    ]


async def test_commit_reduces_on_the_same_fo_and_adds_on_a_new_one(world):
    order = await world.sim.create_order(world.domain, [("SKU-00001", 3, "Shop location")])
    assert world.level("SKU-00001", "Shop location")["committed"] == 3
    calculated = await _begin(world, order["id"])
    reduced = await world.gql(
        SET,
        {
            "id": calculated["id"],
            "lineItemId": _line_gid(calculated),
            "quantity": 1,
            "restock": True,
        },
    )
    assert reduced["data"]["orderEditSetQuantity"]["calculatedLineItem"]["restocking"] is True
    added = await world.gql(
        ADD,
        {
            "id": calculated["id"],
            "variantId": world.variant_gid("SKU-00002"),
            "quantity": 2,
            "locationId": world.location_gid("Shop location"),
        },
    )
    added_line = added["data"]["orderEditAddVariant"]["calculatedLineItem"]
    assert added_line["sku"] == "SKU-00002" and added_line["quantity"] == 2
    before = (await world.gql(READ, {"id": order["id"]}))["data"]["order"]
    [original_fo] = before["fulfillmentOrders"]["nodes"]

    committed = await world.gql(COMMIT, {"id": calculated["id"], "notifyCustomer": False})
    payload = committed["data"]["orderEditCommit"]
    assert payload["userErrors"] == [] and payload["successMessages"] == ["Order updated"]
    assert payload["order"]["edited"] is True

    after = (await world.gql(READ, {"id": order["id"]}))["data"]["order"]
    assert after["currentSubtotalLineItemsQuantity"] == 3
    assert [
        (n["sku"], n["quantity"], n["currentQuantity"]) for n in after["lineItems"]["nodes"]
    ] == [("SKU-00001", 3, 1), ("SKU-00002", 2, 2)]
    first_fo, new_fo = after["fulfillmentOrders"]["nodes"]
    assert first_fo["id"] == original_fo["id"] and first_fo["status"] == "OPEN"
    assert first_fo["lineItems"]["nodes"] == [
        {"totalQuantity": 1, "remainingQuantity": 1, "lineItem": {"sku": "SKU-00001"}}
    ]
    assert new_fo["status"] == "OPEN" and new_fo["assignedLocation"]["name"] == "Shop location"
    assert new_fo["lineItems"]["nodes"] == [
        {"totalQuantity": 2, "remainingQuantity": 2, "lineItem": {"sku": "SKU-00002"}}
    ]
    # Restocked: 2 units back to available; the added 2 committed.
    one = world.level("SKU-00001", "Shop location")
    assert (one["available"], one["committed"], one["on_hand"]) == (9, 1, 10)
    two = world.level("SKU-00002", "Shop location")
    assert (two["available"], two["committed"], two["on_hand"]) == (8, 2, 10)
    # A committed edit cannot be committed twice.
    again = await world.gql(COMMIT, {"id": calculated["id"]})
    assert again["data"]["orderEditCommit"]["userErrors"][0]["field"] == ["id"]


async def test_removing_a_line_closes_its_fo_and_keeps_the_line(world):
    order = await world.sim.create_order(
        world.domain, [("SKU-00003", 2, "Shop location"), ("SKU-00004", 1, "Warehouse East")]
    )
    calculated = await _begin(world, order["id"])
    line = next(
        n["id"] for n in calculated["lineItems"]["nodes"] if n["quantity"] == 1
    )  # the Warehouse East line
    await world.gql(SET, {"id": calculated["id"], "lineItemId": line, "quantity": 0})
    await world.gql(COMMIT, {"id": calculated["id"]})
    after = (await world.gql(READ, {"id": order["id"]}))["data"]["order"]
    removed = next(n for n in after["lineItems"]["nodes"] if n["sku"] == "SKU-00004")
    assert (removed["quantity"], removed["currentQuantity"], removed["unfulfilledQuantity"]) == (
        1,
        0,
        0,
    )
    by_location = {fo["assignedLocation"]["name"]: fo for fo in after["fulfillmentOrders"]["nodes"]}
    assert by_location["Warehouse East"]["status"] == "CLOSED"
    assert by_location["Shop location"]["status"] == "OPEN"
    # Not restocked: the units leave committed and on_hand, available stays.
    level = world.level("SKU-00004", "Warehouse East")
    assert (level["available"], level["committed"], level["on_hand"]) == (9, 0, 9)


async def test_fulfilled_units_cannot_be_edited(world):
    order = await world.sim.create_order(world.domain, [("SKU-00005", 3, "Shop location")])
    [fo] = [
        f
        for f in await world.sim.state(world.domain, "fulfillment_orders")
        if f["order_id"] == order["id"]
    ]
    fo_line = fo["line_items"][0]["id"]
    fulfilled = await world.gql(
        FULFILL,
        {
            "f": {
                "lineItemsByFulfillmentOrder": [
                    {
                        "fulfillmentOrderId": fo["id"],
                        "fulfillmentOrderLineItems": [{"id": fo_line, "quantity": 2}],
                    }
                ]
            }
        },
    )
    assert fulfilled["data"]["fulfillmentCreate"]["userErrors"] == []
    calculated = await _begin(world, order["id"])
    assert calculated["lineItems"]["nodes"][0]["editableQuantity"] == 1
    refused = await world.gql(
        SET, {"id": calculated["id"], "lineItemId": _line_gid(calculated), "quantity": 1}
    )
    [error] = refused["data"]["orderEditSetQuantity"]["userErrors"]
    assert error["field"] == ["quantity"] and "fulfilled quantity of 2" in error["message"]
    allowed = await world.gql(
        SET, {"id": calculated["id"], "lineItemId": _line_gid(calculated), "quantity": 2}
    )
    assert allowed["data"]["orderEditSetQuantity"]["userErrors"] == []
    await world.gql(COMMIT, {"id": calculated["id"]})
    after = (await world.gql(READ, {"id": order["id"]}))["data"]["order"]
    [fo_after] = after["fulfillmentOrders"]["nodes"]
    # 2 fulfilled, the 1 remaining unit removed: nothing left to do.
    assert fo_after["status"] == "CLOSED"
    assert fo_after["lineItems"]["nodes"][0]["totalQuantity"] == 2
    status = await world.gql(
        "query($id: ID!) { order(id: $id) { displayFulfillmentStatus } }", {"id": order["id"]}
    )
    assert status["data"]["order"]["displayFulfillmentStatus"] == "FULFILLED"


async def test_commit_sends_orders_edited_delta_and_orders_updated(world, receiver):
    await world.subscribe(receiver.url, "ORDERS_EDITED", "ORDERS_UPDATED")
    order = await world.sim.create_order(world.domain, [("SKU-00006", 3)])
    calculated = await _begin(world, order["id"])
    await world.gql(
        SET, {"id": calculated["id"], "lineItemId": _line_gid(calculated), "quantity": 2}
    )
    await world.gql(
        ADD,
        {"id": calculated["id"], "variantId": world.variant_gid("SKU-00007"), "quantity": 1},
    )
    await world.gql(COMMIT, {"id": calculated["id"], "staffNote": "customer asked"})
    await world.sim.simulator.dispatcher.drain()
    topics = {h["X-Shopify-Topic"]: json.loads(body) for h, body in receiver.received}
    edit = topics["orders/edited"]["order_edit"]
    order_number = int(order["id"].rsplit("/", 1)[1])
    lines = world.shop.orders[order_number].line_items
    assert edit["order_id"] == order_number and edit["staff_note"] == "customer asked"
    assert edit["line_items"] == {
        "additions": [{"id": lines[1].id, "delta": 1}],
        "removals": [{"id": lines[0].id, "delta": 1}],
    }
    assert set(edit) == {
        "id",
        "app_id",
        "created_at",
        "committed_at",
        "notify_customer",
        "order_id",
        "staff_note",
        "user_id",
        "line_items",
        "discounts",
        "shipping_lines",
    }
    updated_lines = topics["orders/updated"]["line_items"]
    assert [(li["quantity"], li["current_quantity"]) for li in updated_lines] == [(3, 2), (1, 1)]
