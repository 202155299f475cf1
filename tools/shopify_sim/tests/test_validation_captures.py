"""Argument validation as Shopify applies it, and capture replays of orderCancel, order reads,
orderCreate's assigned location, inventorySetQuantities and inventoryAdjustQuantities.

Expected messages not in shared/shopify/captures come from live 2026-04 captures of the
shopify-draft-proxy conformance suite (orderCancel-error-messages, orderUpdate-input-validation,
inventorySetQuantities-name-validation, inventory-adjust-*); they are written out here.
"""

from __future__ import annotations

from shopify_sim.parity import assert_same_shape, capture

CANCEL = """mutation($orderId: ID!, $restock: Boolean!, $reason: OrderCancelReason!,
  $refund: Boolean, $refundMethod: OrderCancelRefundMethodInput, $staffNote: String,
  $notifyCustomer: Boolean) {
  orderCancel(orderId: $orderId, restock: $restock, reason: $reason, refund: $refund,
    refundMethod: $refundMethod, staffNote: $staffNote, notifyCustomer: $notifyCustomer) {
    job { id done } orderCancelUserErrors { field message code } userErrors { field message } } }"""
PARITY = capture("orderCancel-parity")
PARITY_READ = PARITY["upstreamCalls"][0]["query"]


def _error(field, message, code="INVALID"):
    return {
        "job": None,
        "orderCancelUserErrors": [{"field": field, "message": message, "code": code}],
        "userErrors": [{"field": field, "message": message}],
    }


async def test_order_cancel_argument_errors_as_captured(world):
    order = await world.sim.create_order(world.domain, [("SKU-00001", 1)])
    base = {"orderId": order["id"], "restock": False, "reason": "OTHER"}
    too_long = await world.gql(CANCEL, {**base, "staffNote": "x" * 256})
    assert too_long["data"]["orderCancel"] == _error(
        ["staffNote"], "Staff note is too long. Maximum length is 255 characters."
    )
    fits = "x" * 255
    conflict = "Only one of the arguments `refund` or `refund_method` is allowed."
    for refund in (True, False):
        body = await world.gql(
            CANCEL,
            {**base, "refund": refund, "refundMethod": {"originalPaymentMethodsRefund": True}},
        )
        assert body["data"]["orderCancel"] == _error(["refund"], conflict), refund
    assert world.shop.orders[int(order["id"].rsplit("/", 1)[1])].cancelled_at is None
    done = await world.gql(CANCEL, {**base, "staffNote": fits})
    assert done["data"]["orderCancel"]["orderCancelUserErrors"] == []
    again = await world.gql(CANCEL, base)
    assert again["data"]["orderCancel"] == _error(
        ["orderId"], "Cannot cancel an order that has already been canceled"
    )
    unknown = await world.gql(CANCEL, {**base, "orderId": "gid://shopify/Order/1"})
    assert unknown["data"]["orderCancel"]["orderCancelUserErrors"][0]["code"] == "NOT_FOUND"


async def test_cancel_without_refund_reads_back_closed_as_captured(world):
    # The captured order had no payment (displayFinancialStatus null) and a 14.0 total.
    created = await world.gql(
        """mutation($o: OrderCreateOrderInput!) { orderCreate(order: $o) {
        order { id } userErrors { message } } }""",
        {
            "o": {
                "currency": "USD",
                "lineItems": [
                    {
                        "title": "Capture item",
                        "quantity": 1,
                        "priceSet": {"shopMoney": {"amount": "14.00", "currencyCode": "USD"}},
                    }
                ],
            }
        },
    )
    order_id = created["data"]["orderCreate"]["order"]["id"]
    before = await world.gql(PARITY_READ, {"id": order_id})
    theirs_before = PARITY["upstreamCalls"][0]["response"]["body"]["data"]["order"]
    assert_same_shape(before["data"], {"order": theirs_before})
    assert {k: v for k, v in before["data"]["order"].items() if k not in ("id", "name")} == {
        k: v for k, v in theirs_before.items() if k not in ("id", "name")
    }
    body = await world.gql(CANCEL, {**PARITY["variables"], "orderId": order_id})
    assert (
        body["data"]["orderCancel"]["orderCancelUserErrors"]
        == (PARITY["mutation"]["response"]["data"]["orderCancel"]["orderCancelUserErrors"])
    )
    after = await world.gql(PARITY_READ, {"id": order_id})
    theirs = PARITY["downstreamRead"]["response"]["data"]["order"]
    ours = after["data"]["order"]
    assert_same_shape(ours, theirs)
    for key in (
        "closed",
        "cancelReason",
        "displayFinancialStatus",
        "paymentGatewayNames",
        "totalOutstandingSet",
        "currentTotalPriceSet",
        "customer",
        "transactions",
    ):
        assert ours[key] == theirs[key], key
    assert ours["closedAt"] == ours["cancelledAt"] is not None


async def test_merchant_detail_read_keeps_its_shape(world):
    recorded = capture("order-merchant-detail-read")
    order = await world.sim.create_order(world.domain, [("SKU-00002", 2)])
    query = recorded["upstreamCalls"][0]["query"]
    body = await world.gql(query, {"id": order["id"]})
    assert "errors" not in body, body.get("errors")
    assert_same_shape(body["data"], recorded["response"]["data"])


async def test_order_create_assigned_location_as_captured(world):
    recorded = capture("order-create-fulfillment-assigned-location")["operations"]
    create = recorded["create"]
    body = await world.gql(create["query"], create["variables"])
    theirs = create["response"]["payload"]["data"]
    assert_same_shape(body["data"], theirs)
    ours_fo = body["data"]["orderCreate"]["order"]["fulfillmentOrders"]["nodes"]
    their_fo = theirs["orderCreate"]["order"]["fulfillmentOrders"]["nodes"]
    assert [(fo["status"], fo["assignedLocation"]["name"]) for fo in ours_fo] == [
        (fo["status"], fo["assignedLocation"]["name"]) for fo in their_fo
    ]
    read = recorded["downstreamRead"]
    order_id = body["data"]["orderCreate"]["order"]["id"]
    again = await world.gql(read["query"], {"id": order_id})
    assert_same_shape(again["data"], read["response"]["payload"]["data"])


SET = capture("inventorySetQuantities-quantity-bounds")["cases"]["onHandNegative"]["query"]


async def test_set_quantities_refuses_a_repeated_item_location_pair(world):
    entry = {
        "inventoryItemId": world.item_gid("SKU-00003"),
        "locationId": world.location_gid("Shop location"),
        "quantity": 4,
        "changeFromQuantity": None,
    }
    other = {**entry, "locationId": world.location_gid("Warehouse East")}
    body = await world.gql(
        SET,
        {
            "input": {
                "name": "available",
                "reason": "correction",
                "quantities": [entry, other, {**entry, "quantity": 5}],
            },
            "idempotencyKey": "dup-1",
        },
    )
    payload = body["data"]["inventorySetQuantities"]
    assert payload["inventoryAdjustmentGroup"] is None
    message = "The combination of inventoryItemId and locationId must be unique."
    assert payload["userErrors"] == [
        {
            "field": ["input", "quantities", str(i), "locationId"],
            "message": message,
            "code": "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
        }
        for i in (0, 2)
    ]
    assert world.level("SKU-00003", "Shop location")["available"] == 10


ADJUST = """mutation InventoryAdjust($input: InventoryAdjustQuantitiesInput!,
  $idempotencyKey: String!) {
    inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) {
      inventoryAdjustmentGroup { id createdAt reason referenceDocumentUri
        changes { name delta quantityAfterChange item { id } location { id name } } }
      userErrors { field message code } } }"""
ADJUST_NO_DIRECTIVE = """mutation($input: InventoryAdjustQuantitiesInput!) {
  inventoryAdjustQuantities(input: $input) { userErrors { field message code } } }"""
CONTRACTS = capture("inventory-quantity-contracts-2026-04")


def _adjust(world, delta, change_from, key, name="available", sku="SKU-00008", **extra):
    change = {
        "inventoryItemId": world.item_gid(sku),
        "locationId": world.location_gid("Shop location"),
        "delta": delta,
        "changeFromQuantity": change_from,
        **extra,
    }
    return {
        "input": {
            "name": name,
            "reason": "correction",
            "referenceDocumentUri": "logistics://test/adjust",
            "changes": [change],
        },
        "idempotencyKey": key,
    }


async def test_adjust_quantities_matches_capture_and_replays(world):
    body = await world.gql(ADJUST, _adjust(world, 2, 10, "adj-1"))
    theirs = CONTRACTS["inventoryAdjustQuantities"]["response"]["data"]
    assert_same_shape(body["data"], theirs)
    group = body["data"]["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]
    their_group = theirs["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]
    assert [(c["name"], c["delta"], c["quantityAfterChange"]) for c in group["changes"]] == [
        (c["name"], c["delta"], c["quantityAfterChange"]) for c in their_group["changes"]
    ]
    level = world.level("SKU-00008", "Shop location")
    assert (level["available"], level["on_hand"]) == (12, 12)
    replay = await world.gql(ADJUST, _adjust(world, 2, 10, "adj-1"))
    assert replay["data"] == body["data"]
    assert world.level("SKU-00008", "Shop location")["available"] == 12
    mismatch = await world.gql(ADJUST, _adjust(world, 3, 12, "adj-1"))
    assert mismatch["data"]["inventoryAdjustQuantities"]["userErrors"][0]["code"] == (
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    )
    stale = await world.gql(ADJUST, _adjust(world, 1, 10, "adj-2"))
    assert stale["data"]["inventoryAdjustQuantities"]["userErrors"] == [
        {
            "field": ["input", "changes", "0", "changeFromQuantity"],
            "message": "The changeFromQuantity argument no longer matches the persisted quantity.",
            "code": "CHANGE_FROM_QUANTITY_STALE",
        }
    ]
    zero = await world.gql(ADJUST, _adjust(world, 0, None, "adj-3"))
    assert zero["data"]["inventoryAdjustQuantities"] == {
        "inventoryAdjustmentGroup": None,
        "userErrors": [],
    }
    damaged = await world.gql(
        ADJUST, _adjust(world, 2, None, "adj-4", name="damaged", ledgerDocumentUri="ledger://d/1")
    )
    changes = damaged["data"]["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]["changes"]
    assert [(c["name"], c["delta"]) for c in changes] == [("damaged", 2), ("on_hand", 2)]


async def test_adjust_quantities_contract_errors(world):
    missing = await world.gql(ADJUST_NO_DIRECTIVE, _adjust(world, 1, 0, "unused"))
    expected = CONTRACTS["missingAdjustIdempotency"]["response"]
    assert missing["errors"][0]["message"] == expected["errors"][0]["message"]
    assert missing["errors"][0]["extensions"] == expected["errors"][0]["extensions"]
    assert missing["data"] == expected["data"]
    variables = _adjust(world, 1, 0, "adj-cas")
    del variables["input"]["changes"][0]["changeFromQuantity"]
    no_cas = await world.gql(ADJUST, variables)
    expected = CONTRACTS["missingAdjustChangeFromQuantity"]["response"]["errors"][0]
    assert no_cas["errors"][0]["message"] == expected["message"]
    assert no_cas["errors"][0]["extensions"] == expected["extensions"]
    unknown = CONTRACTS["unknownIdValidation"]
    for case, override in (
        ("adjustUnknownInventoryItem", {"inventoryItemId": unknown["unknownInventoryItemId"]}),
        ("adjustUnknownLocation", {"locationId": unknown["unknownLocationId"]}),
    ):
        variables = _adjust(world, 1, None, f"adj-{case}")
        variables["input"]["changes"][0].update(override)
        body = await world.gql(ADJUST, variables)
        theirs = unknown[case]["response"]["data"]
        assert (
            body["data"]["inventoryAdjustQuantities"]["userErrors"]
            == (theirs["inventoryAdjustQuantities"]["userErrors"])
        ), case
    name_error = await world.gql(ADJUST, _adjust(world, 1, None, "adj-name", name="on_hand"))
    assert name_error["data"]["inventoryAdjustQuantities"]["userErrors"] == [
        {
            "field": ["input", "name"],
            "message": "The specified quantity name is invalid. Valid values are: available, "
            "damaged, incoming, quality_control, reserved, safety_stock.",
            "code": "INVALID_QUANTITY_NAME",
        }
    ]
    ledger_cases = [
        ({"name": "available", "ledgerDocumentUri": "ledger://x"}, "INVALID_AVAILABLE_DOCUMENT"),
        ({"name": "damaged"}, "INVALID_QUANTITY_DOCUMENT"),
        (
            {"name": "damaged", "ledgerDocumentUri": "gid://shopify/Order/1"},
            "INTERNAL_LEDGER_DOCUMENT",
        ),
    ]
    for index, (extra, code) in enumerate(ledger_cases):
        name = extra.pop("name")
        body = await world.gql(ADJUST, _adjust(world, 1, None, f"adj-l{index}", name=name, **extra))
        [error] = body["data"]["inventoryAdjustQuantities"]["userErrors"]
        assert (error["field"], error["code"]) == (
            ["input", "changes", "0", "ledgerDocumentUri"],
            code,
        )


ORDER_UPDATE = """mutation($input: OrderInput!) { orderUpdate(input: $input) {
  order { id email note tags poNumber updatedAt customAttributes { key value }
    shippingAddress { city zip lastName }
    fulfillmentOrders(first: 5) { nodes { status destination { city } } } }
  userErrors { field message } } }"""


async def test_order_update_overwrites_and_moves_unstarted_destinations(world):
    order = await world.sim.create_order(
        world.domain,
        [("SKU-00009", 2, "Shop location"), ("SKU-00010", 1, "Warehouse East")],
        tags=["old"],
        customAttributes=[{"key": "a", "value": "1"}],
    )
    number = int(order["id"].rsplit("/", 1)[1])
    shipped_fo = next(
        fo
        for fo in world.shop.fulfillment_orders_of(world.shop.orders[number])
        if world.shop.locations[fo.location_id].name == "Warehouse East"
    )
    shipped_fo.status = "IN_PROGRESS"  # a warehouse is already picking this one
    before = world.shop.orders[number].updated_at
    new_address = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "address1": "2 Side St",
        "city": "Montreal",
        "provinceCode": "QC",
        "countryCode": "CA",
        "zip": "H2Y 1C6",
    }
    body = await world.gql(
        ORDER_UPDATE,
        {
            "input": {
                "id": order["id"],
                "email": "new@example.com",
                "note": "leave at door",
                "tags": ["vip"],
                "poNumber": "PO-7",
                "customAttributes": [{"key": "b", "value": "2"}],
                "shippingAddress": new_address,
            }
        },
    )
    payload = body["data"]["orderUpdate"]
    assert payload["userErrors"] == []
    updated = payload["order"]
    assert (updated["email"], updated["note"], updated["tags"], updated["poNumber"]) == (
        "new@example.com",
        "leave at door",
        ["vip"],
        "PO-7",
    )
    assert updated["customAttributes"] == [{"key": "b", "value": "2"}]
    assert updated["shippingAddress"]["city"] == "Montreal"
    assert world.shop.orders[number].updated_at >= before
    destinations = {
        fo["status"]: fo["destination"]["city"] for fo in updated["fulfillmentOrders"]["nodes"]
    }
    assert destinations == {"OPEN": "Montreal", "IN_PROGRESS": "Toronto"}


async def test_order_update_user_errors(world):
    order = await world.sim.create_order(world.domain, [("SKU-00011", 1)])
    cases = [
        (
            {"id": "gid://shopify/Order/1", "note": "x"},
            [{"field": ["id"], "message": "Order does not exist"}],
        ),
        (
            {"id": order["id"]},
            [{"field": None, "message": "No valid update parameters have been provided"}],
        ),
        (
            {"id": order["id"], "phone": "not a phone"},
            [{"field": ["phone"], "message": "Phone is invalid"}],
        ),
        (
            {
                "id": order["id"],
                "shippingAddress": {
                    "address1": "1 St",
                    "city": "NYC",
                    "countryCode": "US",
                    "provinceCode": "NY",
                },
            },
            [
                {"field": ["shippingAddress", "lastName"], "message": "Enter a last name"},
                {"field": ["shippingAddress", "zip"], "message": "Enter a ZIP code"},
            ],
        ),
    ]
    for data, expected in cases:
        body = await world.gql(ORDER_UPDATE, {"input": data})
        assert body["data"]["orderUpdate"] == {"order": None, "userErrors": expected}, data
