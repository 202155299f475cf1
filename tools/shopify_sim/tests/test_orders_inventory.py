"""orderCancel, inventory effects of orders, and inventorySetQuantities' contract."""

from __future__ import annotations

from shopify_sim.parity import assert_same_shape, capture

CANCEL = capture("fulfillment-multi-tracking-info")["cleanup"]["cancel"]["query"]
CANCEL_MUTATION_WITH_NOTE = """mutation($orderId: ID!, $reason: OrderCancelReason!,
  $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String,
  $refundMethod: OrderCancelRefundMethodInput) {
  orderCancel(orderId: $orderId, reason: $reason, restock: $restock,
    notifyCustomer: $notifyCustomer, staffNote: $staffNote, refundMethod: $refundMethod) {
    job { id done } orderCancelUserErrors { field message code } } }"""
BOUNDS = capture("inventorySetQuantities-quantity-bounds")["cases"]
SET = BOUNDS["onHandNegative"]["query"]
NO_DIRECTIVE = """mutation($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { userErrors { field message code } } }"""


def _set_vars(world, quantity, change_from, key, name="available", **extra):
    entry = {
        "inventoryItemId": world.item_gid("SKU-00005"),
        "locationId": world.location_gid("Shop location"),
        "quantity": quantity,
        **extra,
    }
    if change_from != "omit":
        entry["changeFromQuantity"] = change_from
    return {
        "input": {"name": name, "reason": "correction", "quantities": [entry]},
        "idempotencyKey": key,
    }


async def test_cancel_with_restock_returns_committed_units_and_cannot_repeat(world):
    order = await world.sim.create_order(world.domain, [("SKU-00004", 3)])
    assert world.level("SKU-00004", "Shop location")["available"] == 7
    variables = {
        "orderId": order["id"],
        "reason": "CUSTOMER",
        "notifyCustomer": False,
        "restock": True,
    }
    first = (await world.gql(CANCEL, variables))["data"]["orderCancel"]
    assert first["orderCancelUserErrors"] == [] and first["job"]["id"].startswith(
        "gid://shopify/Job/"
    )
    level = world.level("SKU-00004", "Shop location")
    assert (level["available"], level["committed"], level["on_hand"]) == (10, 0, 10)
    fos = await world.sim.state(world.domain, "fulfillment_orders")
    # As captured from Shopify (orderCancel-restock-refundMethod-parity.json): CLOSED, emptied.
    cancelled_fos = [fo for fo in fos if fo["order_id"] == order["id"]]
    assert {fo["status"] for fo in cancelled_fos} == {"CLOSED"}
    assert {
        (line["total_quantity"], line["remaining_quantity"])
        for fo in cancelled_fos
        for line in fo["line_items"]
    } == {(0, 0)}
    again = (await world.gql(CANCEL, variables))["data"]["orderCancel"]
    assert again["job"] is None
    assert again["orderCancelUserErrors"][0]["code"] == "INVALID"


RESTOCK_REFUND = capture("orderCancel-restock-refundMethod-parity")
CANCEL_READ = """query($id: ID!) { order(id: $id) {
  cancelledAt cancelReason cancellation { staffNote }
  displayFinancialStatus displayFulfillmentStatus
  fulfillmentOrders(first: 5) { nodes { status lineItems(first: 5) {
    nodes { totalQuantity remainingQuantity } } } } } }"""


async def test_cancel_with_refund_and_staff_note_reads_back_as_captured(world):
    order = await world.sim.create_order(world.domain, [("SKU-00004", 2)])
    variables = {**RESTOCK_REFUND["variables"], "orderId": order["id"]}
    cancelled = (await world.gql(CANCEL_MUTATION_WITH_NOTE, variables))["data"]["orderCancel"]
    assert cancelled["orderCancelUserErrors"] == []

    ours = (await world.gql(CANCEL_READ, {"id": order["id"]}))["data"]["order"]
    theirs = RESTOCK_REFUND["downstreamRead"]["response"]["data"]["order"]
    for key in ("cancelReason", "cancellation", "displayFinancialStatus"):
        assert ours[key] == theirs[key], key
    assert ours["displayFulfillmentStatus"] == theirs["displayFulfillmentStatus"]
    assert ours["cancelledAt"] is not None
    [fo] = ours["fulfillmentOrders"]["nodes"]
    [their_fo] = theirs["fulfillmentOrders"]["nodes"]
    assert fo["status"] == their_fo["status"] == "CLOSED"
    assert fo["lineItems"]["nodes"] == [
        {k: line[k] for k in ("totalQuantity", "remainingQuantity")}
        for line in their_fo["lineItems"]["nodes"]
    ]
    recorded = world.shop.orders[int(order["id"].rsplit("/", 1)[1])].cancellation
    assert recorded is not None
    assert (recorded.restock, recorded.notify_customer, recorded.refunded) == (True, False, True)


async def test_cancel_after_fulfilment_matches_capture(world):
    recorded = capture("fulfillment-multi-tracking-info")["cleanup"]["cancel"]["response"]["data"]
    order = await world.sim.create_order(world.domain, [("SKU-00004", 1)])
    fo_id = (await world.sim.state(world.domain, "fulfillment_orders"))[-1]["id"]
    await world.gql(
        "mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) "
        "{ userErrors { message } } }",
        {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo_id}]}},
    )
    body = await world.gql(
        CANCEL,
        {"orderId": order["id"], "reason": "OTHER", "notifyCustomer": False, "restock": True},
    )
    assert body["data"] == recorded


async def test_set_quantities_cas_and_idempotent_replay(world):
    ok = await world.gql(SET, _set_vars(world, 25, 10, "k-1"))
    group = ok["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]
    assert [(c["name"], c["delta"]) for c in group["changes"]] == [
        ("available", 15),
        ("on_hand", 15),
    ]
    replay = await world.gql(SET, _set_vars(world, 25, 10, "k-1"))
    assert replay["data"] == ok["data"]
    assert world.level("SKU-00005", "Shop location")["available"] == 25
    stale = await world.gql(SET, _set_vars(world, 30, 10, "k-2"))
    (error,) = stale["data"]["inventorySetQuantities"]["userErrors"]
    assert error["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert error["field"] == ["input", "quantities", "0", "changeFromQuantity"]
    mismatch = await world.gql(SET, _set_vars(world, 31, None, "k-1"))
    assert (
        mismatch["data"]["inventorySetQuantities"]["userErrors"][0]["code"]
        == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    )
    forced = await world.gql(SET, _set_vars(world, 40, None, "k-3"))
    assert forced["data"]["inventorySetQuantities"]["userErrors"] == []
    assert world.level("SKU-00005", "Shop location")["on_hand"] == 40


async def test_bounds_cases_replay_capture_responses(world):
    for case in BOUNDS.values():
        variables = {**case["variables"]}
        quantity = dict(variables["input"]["quantities"][0])
        quantity.update(
            inventoryItemId=world.item_gid("SKU-00006"),
            locationId=world.location_gid("Shop location"),
            changeFromQuantity=None,
        )
        variables["input"] = {**variables["input"], "quantities": [quantity]}
        body = await world.gql(case["query"], variables)
        expected = case["response"]["data"]["inventorySetQuantities"]
        ours = body["data"]["inventorySetQuantities"]
        assert ours["userErrors"] == expected["userErrors"]
        assert_same_shape(body["data"], case["response"]["data"])


async def test_directive_and_change_from_quantity_are_required(world):
    recorded = capture("inventory-quantity-contracts-2026-04")
    missing_directive = await world.gql(NO_DIRECTIVE, _set_vars(world, 1, 0, "unused") | {})
    assert (
        missing_directive["errors"][0]["message"]
        == recorded["missingSetIdempotency"]["response"]["errors"][0]["message"]
    )
    assert missing_directive["data"] == {"inventorySetQuantities": None}
    missing_cas = await world.gql(SET, _set_vars(world, 1, "omit", "k-9"))
    expected = recorded["missingSetChangeFromQuantity"]["response"]["errors"][0]
    assert missing_cas["errors"][0]["extensions"] == expected["extensions"]
    assert len(missing_cas["errors"][0]["locations"]) == 2
    assert missing_cas["errors"][0]["message"] == expected["message"]


async def test_more_than_250_quantities_is_refused(world):
    variables = _set_vars(world, 1, None, "big")
    variables["input"]["quantities"] *= 251
    body = await world.gql(SET, variables)
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"


async def test_inventory_items_by_sku_and_levels(world):
    body = await world.gql(
        """query($q: String!) { inventoryItems(first: 5, query: $q) { nodes { id sku
        inventoryLevels(first: 5) { nodes { location { name } quantities(
        names: ["available", "on_hand"])
        { name quantity } } } } } }""",
        {"q": "sku:SKU-00007"},
    )
    (item,) = body["data"]["inventoryItems"]["nodes"]
    assert item["sku"] == "SKU-00007"
    assert {n["location"]["name"] for n in item["inventoryLevels"]["nodes"]} == {
        "Shop location",
        "Warehouse East",
    }
    assert item["inventoryLevels"]["nodes"][0]["quantities"] == [
        {"name": "available", "quantity": 10},
        {"name": "on_hand", "quantity": 10},
    ]


async def test_high_risk_set_by_admin_shows_in_risk_summary(world):
    order = await world.sim.create_order(world.domain, [("SKU-00008", 1)])
    await world.sim.admin(
        "POST",
        f"/shops/{world.domain}/orders/{order['id'].rsplit('/', 1)[1]}/risk",
        {"level": "HIGH"},
    )
    body = await world.gql(
        "query($id: ID!) { order(id: $id) { risk { recommendation assessments { riskLevel } } } }",
        {"id": order["id"]},
    )
    assert body["data"]["order"]["risk"] == {
        "recommendation": "CANCEL",
        "assessments": [{"riskLevel": "HIGH"}],
    }
