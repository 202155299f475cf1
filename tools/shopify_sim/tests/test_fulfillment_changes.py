"""Merchant changes to fulfillment orders through the simulator's GraphQL endpoint, and the
webhooks they raise (delivered signed to a local receiver)."""

from __future__ import annotations

import pytest

from shopify_admin.webhooks import verify
from shopify_sim.testing import WebhookReceiver

FO_FIELDS = """id status requestStatus supportedActions { action }
  assignedLocation { location { id } }
  lineItems(first: 10) { nodes { id totalQuantity remainingQuantity lineItem { id } } }"""
MOVE = f"""mutation($id: ID!, $loc: ID!, $lines: [FulfillmentOrderLineItemInput!]) {{
  fulfillmentOrderMove(id: $id, newLocationId: $loc, fulfillmentOrderLineItems: $lines) {{
    movedFulfillmentOrder {{ {FO_FIELDS} }} originalFulfillmentOrder {{ {FO_FIELDS} }}
    remainingFulfillmentOrder {{ id }} userErrors {{ field message code }} }} }}"""
SPLIT = f"""mutation($splits: [FulfillmentOrderSplitInput!]!) {{
  fulfillmentOrderSplit(fulfillmentOrderSplits: $splits) {{
    fulfillmentOrderSplits {{ fulfillmentOrder {{ {FO_FIELDS} }}
      remainingFulfillmentOrder {{ {FO_FIELDS} }} replacementFulfillmentOrder {{ id }} }}
    userErrors {{ field message code }} }} }}"""
MERGE = f"""mutation($inputs: [FulfillmentOrderMergeInput!]!) {{
  fulfillmentOrderMerge(fulfillmentOrderMergeInputs: $inputs) {{
    fulfillmentOrderMerges {{ fulfillmentOrder {{ {FO_FIELDS} }} }}
    userErrors {{ field message code }} }} }}"""
HOLD = f"""mutation($id: ID!, $hold: FulfillmentOrderHoldInput!) {{
  fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) {{
    fulfillmentHold {{ id }} fulfillmentOrder {{ {FO_FIELDS} }}
    remainingFulfillmentOrder {{ {FO_FIELDS} }} userErrors {{ field message code }} }} }}"""
RELEASE = f"""mutation($id: ID!, $holdIds: [ID!]) {{
  fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds) {{
    fulfillmentOrder {{ {FO_FIELDS} }} userErrors {{ field message }} }} }}"""
PROGRESS = f"""mutation($id: ID!) {{
  fulfillmentOrderReportProgress(id: $id, progressReport: {{reasonNotes: "picking"}}) {{
    fulfillmentOrder {{ {FO_FIELDS} }} userErrors {{ field message code }} }} }}"""
OPEN = f"""mutation($id: ID!) {{ fulfillmentOrderOpen(id: $id) {{
    fulfillmentOrder {{ {FO_FIELDS} }} userErrors {{ field message }} }} }}"""
FULFILL = """mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
  fulfillment { id } userErrors { field message } } }"""
CANCEL = """mutation($id: ID!) { fulfillmentCancel(id: $id) {
  fulfillment { id status displayStatus } userErrors { field message } } }"""
TRACKING = """mutation($id: ID!, $t: FulfillmentTrackingInput!, $n: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $t, notifyCustomer: $n) {
    fulfillment { id trackingInfo { company number url } } userErrors { field message } } }"""
FO_READ = f"""query($id: ID!) {{ fulfillmentOrder(id: $id) {{ {FO_FIELDS} }} }}"""
FO_TOPICS = [
    "FULFILLMENT_ORDERS_MOVED",
    "FULFILLMENT_ORDERS_SPLIT",
    "FULFILLMENT_ORDERS_MERGED",
    "FULFILLMENT_ORDERS_PLACED_ON_HOLD",
    "FULFILLMENT_ORDERS_HOLD_RELEASED",
    "FULFILLMENTS_UPDATE",
    "ORDERS_EDITED",
]


@pytest.fixture
async def receiver(world, receiver: WebhookReceiver) -> WebhookReceiver:
    """The shared receiver, subscribed to every fulfillment-order topic."""
    await world.subscribe(receiver.url, *FO_TOPICS)
    return receiver


async def _fo(world, *lines):
    """A new order's only FO, as GraphQL shows it; lines are (sku, quantity)."""
    order = await world.sim.create_order(world.domain, list(lines))
    number = int(order["id"].rsplit("/", 1)[1])
    fo_id = world.shop.orders[number].fulfillment_order_ids[0]
    return await _read(world, f"gid://shopify/FulfillmentOrder/{fo_id}")


async def _read(world, fo_id):
    return (await world.gql(FO_READ, {"id": fo_id}))["data"]["fulfillmentOrder"]


def _qty(fo):
    return [(n["totalQuantity"], n["remainingQuantity"]) for n in fo["lineItems"]["nodes"]]


def _actions(fo):
    return [a["action"] for a in fo["supportedActions"]]


def _line(fo, index, quantity):
    return {"id": fo["lineItems"]["nodes"][index]["id"], "quantity": quantity}


async def _fulfil(world, fo, *lines):
    body = await world.gql(
        FULFILL,
        {
            "f": {
                "trackingInfo": {"company": "UPS", "number": "1Z1"},
                "lineItemsByFulfillmentOrder": [
                    {"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": list(lines)}
                ],
            }
        },
    )
    assert body["data"]["fulfillmentCreate"]["userErrors"] == []
    return body["data"]["fulfillmentCreate"]["fulfillment"]["id"]


# --- move ---------------------------------------------------------------------------------


async def test_whole_move_keeps_the_id_and_says_where_it_came_from(world, receiver):
    fo = await _fo(world, ("SKU-00001", 2))
    east = world.location_gid("Warehouse East")
    body = (await world.gql(MOVE, {"id": fo["id"], "loc": east}))["data"]["fulfillmentOrderMove"]
    assert body["userErrors"] == []
    assert body["movedFulfillmentOrder"]["id"] == fo["id"]
    assert body["movedFulfillmentOrder"]["assignedLocation"]["location"]["id"] == east
    assert body["remainingFulfillmentOrder"] is None
    await world.sim.simulator.dispatcher.drain()
    (moved,) = receiver.bodies("fulfillment_orders/moved")
    assert moved["source_location"] == {"id": world.location_gid("Shop location")}
    assert moved["destination_location_id"] == east
    assert moved["moved_fulfillment_order"] == {
        "id": fo["id"],
        "status": "open",
        "assigned_location_id": east,
    }
    headers, raw = next(r for r in receiver.received if r[0]["X-Shopify-Topic"].endswith("moved"))
    assert verify(raw, headers["X-Shopify-Hmac-Sha256"], [world.secret])


async def test_partial_move_creates_a_new_fo_and_the_original_keeps_the_rest(world):
    fo = await _fo(world, ("SKU-00001", 2), ("SKU-00002", 1))
    east = world.location_gid("Warehouse East")
    body = (await world.gql(MOVE, {"id": fo["id"], "loc": east, "lines": [_line(fo, 0, 1)]}))[
        "data"
    ]["fulfillmentOrderMove"]
    moved, original = body["movedFulfillmentOrder"], body["originalFulfillmentOrder"]
    assert moved["id"] != fo["id"] and original["id"] == fo["id"]
    assert _qty(moved) == [(1, 1)] and _qty(original) == [(1, 1), (1, 1)]
    assert body["remainingFulfillmentOrder"]["id"] == fo["id"]
    # A second move of the rest joins the FO already at the destination.
    joined = (
        await world.gql(MOVE, {"id": fo["id"], "loc": east, "lines": [_line(original, 0, 1)]})
    )["data"]["fulfillmentOrderMove"]
    assert joined["movedFulfillmentOrder"]["id"] == moved["id"]
    assert _qty(joined["movedFulfillmentOrder"]) == [(2, 2)]
    assert _qty(joined["originalFulfillmentOrder"]) == [(1, 1)]


async def test_moving_a_partly_fulfilled_fo_closes_the_original(world):
    fo = await _fo(world, ("SKU-00001", 3))
    await _fulfil(world, fo, _line(fo, 0, 1))
    east = world.location_gid("Warehouse East")
    body = (await world.gql(MOVE, {"id": fo["id"], "loc": east}))["data"]["fulfillmentOrderMove"]
    assert body["movedFulfillmentOrder"]["id"] != fo["id"]
    assert _qty(body["movedFulfillmentOrder"]) == [(2, 2)]
    assert body["originalFulfillmentOrder"]["status"] == "CLOSED"
    assert _qty(body["originalFulfillmentOrder"]) == [(1, 0)]  # the fulfilled unit stays


async def test_move_refusals(world):
    east = world.location_gid("Warehouse East")
    unstocked_location = world.shop.add_location("Empty store")
    empty = f"gid://shopify/Location/{unstocked_location.id}"
    fo = await _fo(world, ("SKU-00001", 1))
    body = (await world.gql(MOVE, {"id": fo["id"], "loc": empty}))["data"]["fulfillmentOrderMove"]
    assert body["userErrors"][0]["field"] == ["newLocationId"]
    assert body["movedFulfillmentOrder"] is None
    # An untracked item ships from anywhere.
    world.shop.variants_by_sku["SKU-00001"].tracked = False
    ok = (await world.gql(MOVE, {"id": fo["id"], "loc": empty}))["data"]["fulfillmentOrderMove"]
    assert ok["userErrors"] == []

    reported = await _fo(world, ("SKU-00002", 1))
    await world.gql(PROGRESS, {"id": reported["id"]})
    refused = (await world.gql(MOVE, {"id": reported["id"], "loc": east}))["data"][
        "fulfillmentOrderMove"
    ]
    # Shopify's answers (2026-04 capture fulfillment-order-move-validation).
    assert refused["userErrors"] == [
        {
            "field": ["id"],
            "message": "Cannot move a fulfillment order that has had progress reported. To move "
            "a fulfillment order that has had progress reported, the fulfillment order must "
            "first be marked as open resolving the ongoing progress state.",
            "code": "CANNOT_MOVE_FULFILLMENT_ORDER_WITH_REPORTED_PROGRESS",
        }
    ]
    done = await _fo(world, ("SKU-00003", 1))
    await _fulfil(world, done, _line(done, 0, 1))
    closed = (await world.gql(MOVE, {"id": done["id"], "loc": east}))["data"][
        "fulfillmentOrderMove"
    ]
    assert closed["userErrors"] == [
        {"field": None, "message": "Cannot change location.", "code": None}
    ]
    submitted = await _fo(world, ("SKU-00004", 1))
    world.shop.fulfillment_orders[
        int(submitted["id"].rsplit("/", 1)[1])
    ].request_status = "ACCEPTED"
    pinned = (await world.gql(MOVE, {"id": submitted["id"], "loc": east}))["data"][
        "fulfillmentOrderMove"
    ]
    assert "accepted" in pinned["userErrors"][0]["message"]
    too_many = (
        await world.gql(MOVE, {"id": submitted["id"], "loc": east, "lines": [_line(fo, 0, 1)]})
    )["data"]["fulfillmentOrderMove"]
    assert too_many["userErrors"]


# --- split and merge -------------------------------------------------------------------------


async def test_split_then_merge_back_keeps_the_original_id(world, receiver):
    fo = await _fo(world, ("SKU-00001", 3))
    split = (
        await world.gql(
            SPLIT,
            {
                "splits": [
                    {"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": [_line(fo, 0, 1)]}
                ]
            },
        )
    )["data"]["fulfillmentOrderSplit"]
    assert split["userErrors"] == []
    (result,) = split["fulfillmentOrderSplits"]
    original, new = result["fulfillmentOrder"], result["remainingFulfillmentOrder"]
    assert original["id"] == fo["id"] and _qty(original) == [(2, 2)]
    assert new["id"] != fo["id"] and _qty(new) == [(1, 1)]
    assert _actions(new)[-1] == "MERGE" and result["replacementFulfillmentOrder"] is None

    merged = (
        await world.gql(
            MERGE,
            {
                "inputs": [
                    {
                        "mergeIntents": [
                            {"fulfillmentOrderId": fo["id"]},
                            {"fulfillmentOrderId": new["id"]},
                        ]
                    }
                ]
            },
        )
    )["data"]["fulfillmentOrderMerge"]
    assert merged["userErrors"] == []
    survivor = merged["fulfillmentOrderMerges"][0]["fulfillmentOrder"]
    assert survivor["id"] == fo["id"] and _qty(survivor) == [(3, 3)]
    assert "MERGE" not in _actions(survivor)
    assert (await _read(world, new["id"]))["status"] == "CLOSED"

    await world.sim.simulator.dispatcher.drain()
    (split_hook,) = receiver.bodies("fulfillment_orders/split")
    assert split_hook["remaining_fulfillment_order"] == {"id": new["id"], "status": "open"}
    assert split_hook["split_line_items"] == [
        {"id": fo["lineItems"]["nodes"][0]["id"], "quantity": 1}
    ]
    (merge_hook,) = receiver.bodies("fulfillment_orders/merged")
    assert [i["fulfillment_order_id"] for i in merge_hook["merge_intents"]] == [
        int(fo["id"].rsplit("/", 1)[1]),
        int(new["id"].rsplit("/", 1)[1]),
    ]
    assert isinstance(merge_hook["merge_intents"][1]["fulfillment_order_line_items"][0]["id"], int)
    assert merge_hook["fulfillment_order_merges"] == {
        "fulfillment_order": {"id": fo["id"], "status": "open"}
    }


async def test_split_and_merge_errors(world):
    fo = await _fo(world, ("SKU-00001", 2))
    unknown = "gid://shopify/FulfillmentOrder/1"
    body = await world.gql(
        SPLIT,
        {
            "splits": [
                {"fulfillmentOrderId": unknown, "fulfillmentOrderLineItems": [_line(fo, 0, 1)]}
            ]
        },
    )
    assert body["data"]["fulfillmentOrderSplit"]["userErrors"] == [
        {
            "field": ["fulfillmentOrderSplits", "0", "fulfillmentOrderId"],
            "message": "The fulfillment order could not be found.",
            "code": "FULFILLMENT_ORDER_NOT_FOUND",
        }
    ]
    for lines, code in [
        ([], "NO_LINE_ITEMS_PROVIDED_TO_SPLIT"),
        ([_line(fo, 0, 0)], "GREATER_THAN"),
        ([_line(fo, 0, 5)], "INVALID_LINE_ITEM_QUANTITY"),
    ]:
        errors = (
            await world.gql(
                SPLIT,
                {"splits": [{"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": lines}]},
            )
        )["data"]["fulfillmentOrderSplit"]["userErrors"]
        assert errors[0]["code"] == code, lines
    other = await _fo(world, ("SKU-00002", 1))
    refused = (
        await world.gql(
            MERGE,
            {
                "inputs": [
                    {
                        "mergeIntents": [
                            {"fulfillmentOrderId": fo["id"]},
                            {"fulfillmentOrderId": other["id"]},
                        ]
                    }
                ]
            },
        )
    )["data"]["fulfillmentOrderMerge"]
    assert refused["fulfillmentOrderMerges"] is None and refused["userErrors"]
    assert _qty(await _read(world, fo["id"])) == [(2, 2)]  # nothing changed


# --- holds -------------------------------------------------------------------------------------


async def test_holds_fire_placed_on_hold_once_and_hold_released_on_the_last_release(
    world, receiver
):
    fo = await _fo(world, ("SKU-00001", 2), ("SKU-00002", 3))
    first = (
        await world.gql(
            HOLD,
            {
                "id": fo["id"],
                "hold": {
                    "reason": "OTHER",
                    "handle": "a",
                    "fulfillmentOrderLineItems": [_line(fo, 0, 2)],
                },
            },
        )
    )["data"]["fulfillmentOrderHold"]
    assert first["fulfillmentOrder"]["id"] == fo["id"] and _qty(first["fulfillmentOrder"]) == [
        (2, 2)
    ]
    remaining = first["remainingFulfillmentOrder"]
    assert remaining["id"] != fo["id"] and _qty(remaining) == [(3, 3)]
    again = (await world.gql(HOLD, {"id": fo["id"], "hold": {"reason": "OTHER", "handle": "a"}}))[
        "data"
    ]["fulfillmentOrderHold"]
    assert again["userErrors"][0]["code"] == "DUPLICATE_FULFILLMENT_HOLD_HANDLE"
    not_splittable = (
        await world.gql(
            HOLD,
            {
                "id": fo["id"],
                "hold": {"reason": "OTHER", "fulfillmentOrderLineItems": [_line(fo, 0, 1)]},
            },
        )
    )["data"]["fulfillmentOrderHold"]
    assert not_splittable["userErrors"][0]["code"] == "FULFILLMENT_ORDER_NOT_SPLITTABLE"
    second = (
        await world.gql(
            HOLD, {"id": fo["id"], "hold": {"reason": "INVENTORY_OUT_OF_STOCK", "handle": "b"}}
        )
    )["data"]["fulfillmentOrderHold"]
    assert second["userErrors"] == []
    for handle in range(8):
        await world.gql(HOLD, {"id": fo["id"], "hold": {"reason": "OTHER", "handle": f"x{handle}"}})
    limit = (
        await world.gql(HOLD, {"id": fo["id"], "hold": {"reason": "OTHER", "handle": "eleventh"}})
    )["data"]["fulfillmentOrderHold"]
    assert limit["userErrors"][0]["code"] == "FULFILLMENT_ORDER_HOLD_LIMIT_REACHED"

    one = (await world.gql(RELEASE, {"id": fo["id"], "holdIds": [first["fulfillmentHold"]["id"]]}))[
        "data"
    ]["fulfillmentOrderReleaseHold"]
    assert one["fulfillmentOrder"]["status"] == "ON_HOLD"
    await world.sim.simulator.dispatcher.drain()
    assert len(receiver.bodies("fulfillment_orders/placed_on_hold")) == 1
    assert receiver.bodies("fulfillment_orders/hold_released") == []
    all_released = (await world.gql(RELEASE, {"id": fo["id"]}))["data"][
        "fulfillmentOrderReleaseHold"
    ]
    assert all_released["fulfillmentOrder"]["status"] == "OPEN"
    assert _qty(all_released["fulfillmentOrder"]) == [(2, 2), (3, 3)]  # split folded back
    await world.sim.simulator.dispatcher.drain()
    (placed,) = receiver.bodies("fulfillment_orders/placed_on_hold")
    assert placed["remaining_fulfillment_order"] == {"id": remaining["id"], "status": "open"}
    assert placed["created_fulfillment_hold"]["handle"] == "a"
    assert placed["held_fulfillment_order_line_items"][0]["quantity"] == 2
    assert receiver.bodies("fulfillment_orders/hold_released") == [
        {"fulfillment_order": {"id": fo["id"], "status": "open"}}
    ]


async def test_duplicated_and_zero_hold_lines_are_refused(world):
    fo = await _fo(world, ("SKU-00001", 2))
    dup = (
        await world.gql(
            HOLD,
            {
                "id": fo["id"],
                "hold": {
                    "reason": "OTHER",
                    "fulfillmentOrderLineItems": [_line(fo, 0, 1), _line(fo, 0, 1)],
                },
            },
        )
    )["data"]["fulfillmentOrderHold"]
    assert dup["userErrors"][0]["code"] == "DUPLICATED_FULFILLMENT_ORDER_LINE_ITEMS"
    zero = (
        await world.gql(
            HOLD,
            {
                "id": fo["id"],
                "hold": {"reason": "OTHER", "fulfillmentOrderLineItems": [_line(fo, 0, 0)]},
            },
        )
    )["data"]["fulfillmentOrderHold"]
    assert zero["userErrors"][0]["code"] == "GREATER_THAN_ZERO"


# --- progress ------------------------------------------------------------------------------------


async def test_report_progress_then_open(world):
    fo = await _fo(world, ("SKU-00001", 1))
    reported = (await world.gql(PROGRESS, {"id": fo["id"]}))["data"][
        "fulfillmentOrderReportProgress"
    ]
    assert reported["fulfillmentOrder"]["status"] == "IN_PROGRESS"
    assert _actions(reported["fulfillmentOrder"]) == [
        "CREATE_FULFILLMENT",
        "REPORT_PROGRESS",
        "HOLD",
        "MARK_AS_OPEN",
    ]
    opened = (await world.gql(OPEN, {"id": fo["id"]}))["data"]["fulfillmentOrderOpen"]
    assert opened["fulfillmentOrder"]["status"] == "OPEN" and "MOVE" in _actions(
        opened["fulfillmentOrder"]
    )
    await world.gql(HOLD, {"id": fo["id"], "hold": {"reason": "OTHER"}})
    held = (await world.gql(PROGRESS, {"id": fo["id"]}))["data"]["fulfillmentOrderReportProgress"]
    assert held["userErrors"][0]["code"] == "FULFILLMENT_ORDER_STATUS_INVALID"


# --- fulfillmentCancel / fulfillmentTrackingInfoUpdate ------------------------------------


async def test_cancelling_a_partial_fulfilment_gives_the_units_back(world, receiver):
    fo = await _fo(world, ("SKU-00001", 3))
    before = dict(world.level("SKU-00001", "Shop location"))
    fulfillment = await _fulfil(world, fo, _line(fo, 0, 1))
    assert (await _read(world, fo["id"]))["status"] == "IN_PROGRESS"
    body = (await world.gql(CANCEL, {"id": fulfillment}))["data"]["fulfillmentCancel"]
    assert body["fulfillment"]["status"] == "CANCELLED"
    after = await _read(world, fo["id"])
    assert after["status"] == "OPEN" and _qty(after) == [(3, 3)]
    assert world.level("SKU-00001", "Shop location") == before
    again = (await world.gql(CANCEL, {"id": fulfillment}))["data"]["fulfillmentCancel"]
    assert again["fulfillment"] is None and again["userErrors"][0]["field"] == ["id"]
    await world.sim.simulator.dispatcher.drain()
    (update,) = receiver.bodies("fulfillments/update")
    assert update["status"] == "cancelled" and update["admin_graphql_api_id"] == fulfillment


async def test_cancelling_a_complete_fulfilment_opens_a_new_fo(world):
    fo = await _fo(world, ("SKU-00001", 2))
    fulfillment = await _fulfil(world, fo, _line(fo, 0, 2))
    await world.gql(CANCEL, {"id": fulfillment})
    closed = await _read(world, fo["id"])
    assert closed["status"] == "CLOSED"
    order = world.shop.orders[
        world.shop.fulfillment_orders[int(fo["id"].rsplit("/", 1)[1])].order_id
    ]
    reopened = await _read(
        world, f"gid://shopify/FulfillmentOrder/{order.fulfillment_order_ids[-1]}"
    )
    assert (
        reopened["id"] != fo["id"] and reopened["status"] == "OPEN" and _qty(reopened) == [(2, 2)]
    )


async def test_tracking_info_update(world, receiver):
    fo = await _fo(world, ("SKU-00001", 1))
    fulfillment = await _fulfil(world, fo, _line(fo, 0, 1))
    body = (
        await world.gql(
            TRACKING,
            {"id": fulfillment, "t": {"company": "DHL", "numbers": ["A1", "A2"]}, "n": True},
        )
    )["data"]["fulfillmentTrackingInfoUpdate"]
    assert body["userErrors"] == []
    assert [(t["company"], t["number"]) for t in body["fulfillment"]["trackingInfo"]] == [
        ("DHL", "A1"),
        ("DHL", "A2"),
    ]
    unknown = await world.gql(TRACKING, {"id": "gid://shopify/Fulfillment/1", "t": {"number": "X"}})
    assert unknown["errors"][0]["extensions"]["code"] == "RESOURCE_NOT_FOUND"
    await world.sim.simulator.dispatcher.drain()
    (update,) = receiver.bodies("fulfillments/update")
    assert update["tracking_numbers"] == ["A1", "A2"] and update["tracking_company"] == "DHL"
