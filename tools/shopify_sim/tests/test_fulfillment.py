"""fulfillmentCreate, holds and their userErrors, replaying Shopify's captured documents."""

from __future__ import annotations

import copy

from shopify_sim.parity import assert_same_shape, capture

FULFILL = capture("fulfillment-multi-tracking-info")["fulfillmentCreate"]["query"]
HOLD = capture("fulfillment-order-hold-multi-line")["workflow"]["hold"]
RELEASE = capture("fulfillment-order-lifecycle")["workflows"]["holdRelease"]["releaseHold"]
CREATE = capture("fulfillment-order-hold-multi-line")["setup"]["orderCreate"]
FO_READ = """query($id: ID!) { fulfillmentOrder(id: $id) { id status
  lineItems(first: 10) { nodes { id totalQuantity remainingQuantity } } } }"""


async def _order_with_lines(world, *quantities):
    """The capture's own orderCreate document, with lines pointing at seeded variants."""
    variables = copy.deepcopy(CREATE["variables"])
    template = variables["order"]["lineItems"][0]
    variables["order"]["lineItems"] = [
        {**template, "variantId": world.variant_gid(f"SKU-0000{i + 1}"), "quantity": q}
        for i, q in enumerate(quantities)
    ]
    body = await world.gql(CREATE["query"], variables)
    assert_same_shape(body["data"], CREATE["response"]["payload"]["data"])
    return body["data"]["orderCreate"]["order"]["fulfillmentOrders"]["nodes"][0]


def _fulfil(fo, *quantities, tracking=None):
    lines = [
        {"id": line["id"], "quantity": q}
        for line, q in zip(fo["lineItems"]["nodes"], quantities, strict=False)
    ]
    return {
        "fulfillment": {
            "notifyCustomer": False,
            "trackingInfo": tracking or {"company": "UPS", "number": "1Z1"},
            "lineItemsByFulfillmentOrder": [
                {"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": lines}
            ],
        }
    }


async def test_partial_then_full_fulfilment_closes_the_fo(world):
    fo = await _order_with_lines(world, 3)
    first = await world.gql(FULFILL, _fulfil(fo, 1))
    assert first["data"]["fulfillmentCreate"]["userErrors"] == []
    assert (await world.gql(FO_READ, {"id": fo["id"]}))["data"]["fulfillmentOrder"][
        "status"
    ] == "IN_PROGRESS"
    second = await world.gql(FULFILL, _fulfil(fo, 2))
    assert second["data"]["fulfillmentCreate"]["userErrors"] == []
    after = (await world.gql(FO_READ, {"id": fo["id"]}))["data"]["fulfillmentOrder"]
    assert after["status"] == "CLOSED"
    assert after["lineItems"]["nodes"][0]["remainingQuantity"] == 0
    # the capture's orderCreate uses inventoryBehaviour BYPASS: stock is untouched
    level = world.level("SKU-00001", "Shop location")
    assert (level["on_hand"], level["committed"], level["available"]) == (10, 0, 10)


async def test_multi_tracking_matches_capture(world):
    recorded = capture("fulfillment-multi-tracking-info")["fulfillmentCreate"]
    fo = await _order_with_lines(world, 2)
    variables = copy.deepcopy(recorded["variables"])
    variables["fulfillment"]["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderId"] = fo["id"]
    body = await world.gql(FULFILL, variables)
    assert_same_shape(body["data"], recorded["response"]["data"])
    created = body["data"]["fulfillmentCreate"]["fulfillment"]
    assert [t["number"] for t in created["trackingInfo"]] == variables["fulfillment"][
        "trackingInfo"
    ]["numbers"]
    assert created["displayStatus"] == "FULFILLED"


async def test_over_fulfilment_is_refused_with_shopifys_message(world):
    fo = await _order_with_lines(world, 1)
    body = await world.gql(FULFILL, _fulfil(fo, 2))
    assert body["data"]["fulfillmentCreate"] == {
        "fulfillment": None,
        "userErrors": [
            {
                "field": ["fulfillment"],
                "message": "Invalid fulfillment order line item quantity requested.",
            }
        ],
    }


async def test_non_positive_quantity_error_path(world):
    fo = await _order_with_lines(world, 1)
    body = await world.gql(FULFILL, _fulfil(fo, 0))
    (error,) = body["data"]["fulfillmentCreate"]["userErrors"]
    assert error["field"] == [
        "fulfillment",
        "lineItemsByFulfillmentOrder",
        "0",
        "fulfillmentOrderLineItems",
        "0",
        "quantity",
    ]
    assert error["message"] == "Quantity must be greater than 0"


async def test_cancelled_and_closed_and_held_fos_cannot_be_fulfilled(world):
    fo = await _order_with_lines(world, 1)
    await world.gql(FULFILL, _fulfil(fo, 1))
    closed = await world.gql(FULFILL, _fulfil(fo, 1))
    assert (
        "unfulfillable status= closed"
        in closed["data"]["fulfillmentCreate"]["userErrors"][0]["message"]
    )

    held = await _order_with_lines(world, 1)
    hold_vars = {"id": held["id"], "fulfillmentHold": {"reason": "OTHER", "notifyMerchant": False}}
    await world.gql(HOLD["query"], hold_vars)
    on_hold = await world.gql(FULFILL, _fulfil(held, 1))
    assert (
        "unfulfillable status= on_hold"
        in on_hold["data"]["fulfillmentCreate"]["userErrors"][0]["message"]
    )

    cancelled = await _order_with_lines(world, 1)
    order_id = world.shop.fulfillment_orders[int(cancelled["id"].rsplit("/", 1)[1])].order_id
    await world.gql(
        "mutation($id: ID!) { orderCancel(orderId: $id, reason: OTHER, restock: true) "
        "{ orderCancelUserErrors { message } } }",
        {"id": f"gid://shopify/Order/{order_id}"},
    )
    refused = await world.gql(FULFILL, _fulfil(cancelled, 1))
    # A cancelled order's FOs are CLOSED (as captured from Shopify), so that is what is refused.
    assert (
        "unfulfillable status= closed"
        in refused["data"]["fulfillmentCreate"]["userErrors"][0]["message"]
    )


async def test_fulfilment_across_locations_is_refused(world):
    east = world.location_gid("Warehouse East")
    shop_fo = await _order_with_lines(world, 1)
    variables = copy.deepcopy(CREATE["variables"])
    variables["order"]["lineItems"] = [
        {
            "variantId": world.variant_gid("SKU-00002"),
            "quantity": 1,
            "properties": [{"name": "_location", "value": east}],
        }
    ]
    east_fo = (await world.gql(CREATE["query"], variables))["data"]["orderCreate"]["order"][
        "fulfillmentOrders"
    ]["nodes"][0]
    assert east_fo["assignedLocation"]["location"]["id"] == east
    body = await world.gql(
        FULFILL,
        {
            "fulfillment": {
                "lineItemsByFulfillmentOrder": [
                    {"fulfillmentOrderId": shop_fo["id"]},
                    {"fulfillmentOrderId": east_fo["id"]},
                ]
            }
        },
    )
    message = body["data"]["fulfillmentCreate"]["userErrors"][0]["message"]
    assert message.startswith("All fulfillment orders must belong to the same order.")


async def test_partial_hold_splits_and_release_merges_back_like_shopify(world):
    fo = await _order_with_lines(world, 2, 3)
    lines = fo["lineItems"]["nodes"]
    variables = copy.deepcopy(HOLD["variables"])
    variables["id"] = fo["id"]
    variables["fulfillmentHold"]["fulfillmentOrderLineItems"] = [
        {"id": lines[0]["id"], "quantity": 2},
        {"id": lines[1]["id"], "quantity": 1},
    ]
    held = await world.gql(HOLD["query"], variables)
    recorded = HOLD["response"]["payload"]
    assert_same_shape(held["data"], recorded["data"])
    # heldByApp needs read_apps, which the app does not have: same error as the capture
    assert held["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    payload = held["data"]["fulfillmentOrderHold"]
    assert payload["fulfillmentOrder"]["status"] == "ON_HOLD"
    assert [n["totalQuantity"] for n in payload["fulfillmentOrder"]["lineItems"]["nodes"]] == [2, 1]
    remaining = payload["remainingFulfillmentOrder"]
    assert remaining["status"] == "OPEN"
    assert [n["totalQuantity"] for n in remaining["lineItems"]["nodes"]] == [2]
    assert (
        payload["fulfillmentOrder"]["lineItems"]["nodes"][1]["lineItem"]["fulfillableQuantity"] == 2
    )

    released = await world.gql(
        RELEASE["query"], {"id": fo["id"], "holdIds": [payload["fulfillmentHold"]["id"]]}
    )
    assert released["data"]["fulfillmentOrderReleaseHold"]["fulfillmentOrder"]["status"] == "OPEN"
    merged = (await world.gql(FO_READ, {"id": fo["id"]}))["data"]["fulfillmentOrder"]
    assert [n["totalQuantity"] for n in merged["lineItems"]["nodes"]] == [2, 3]
    gone = (await world.gql(FO_READ, {"id": remaining["id"]}))["data"]["fulfillmentOrder"]
    assert gone["status"] == "CLOSED"


async def test_hold_on_unknown_fo_is_a_top_level_resource_not_found(world):
    recorded = capture("fulfillment-order-lifecycle")["validation"]["holdUnknownId"]
    body = await world.gql(recorded["query"], recorded["variables"])
    expected = recorded["response"]["payload"]
    assert body["errors"][0]["message"] == expected["errors"][0]["message"]
    assert body["errors"][0]["extensions"] == expected["errors"][0]["extensions"]
    assert body["errors"][0]["path"] == expected["errors"][0]["path"]
    assert body["data"] == expected["data"]
