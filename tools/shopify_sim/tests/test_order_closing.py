"""orderClose / orderOpen: what Order.closed and closedAt read after them, their no-ops, their
userErrors and the orders/updated webhook."""

from __future__ import annotations

from shopify_sim.events import ShopEvent

CLOSE = """mutation OrderClose($input: OrderCloseInput!) {
  orderClose(input: $input) { order { id closed closedAt updatedAt } userErrors { field message } }
}"""
OPEN = """mutation OrderOpen($input: OrderOpenInput!) {
  orderOpen(input: $input) { order { id closed closedAt updatedAt } userErrors { field message } }
}"""
READ = """query($id: ID!) { order(id: $id) { id closed closedAt } }"""
CLOSED_ORDERS = """query { orders(first: 10, query: "status:closed") { nodes { id } } }"""


def _record_events(world) -> list[ShopEvent]:
    """Every webhook event the app's requests raise from now on (subscribed or not)."""
    gateway = world.sim.simulator.gateway
    forward = gateway.publish_events
    seen: list[ShopEvent] = []

    def publish(events: list[ShopEvent]) -> None:
        seen.extend(events)
        forward(events)

    gateway.publish_events = publish
    return seen


async def test_closing_sets_closed_at_and_sends_orders_updated(world):
    order = await world.sim.create_order(world.domain, [("SKU-00001", 1)])
    events = _record_events(world)
    before = world.shop.order(order["id"]).updated_at

    answer = (await world.gql(CLOSE, {"input": {"id": order["id"]}}))["data"]["orderClose"]

    assert answer["userErrors"] == []
    closed = answer["order"]
    assert (closed["id"], closed["closed"]) == (order["id"], True)
    assert closed["closedAt"] is not None and closed["updatedAt"] == closed["closedAt"]
    read = (await world.gql(READ, {"id": order["id"]}))["data"]["order"]
    assert (read["closed"], read["closedAt"]) == (True, closed["closedAt"])
    assert world.shop.order(order["id"]).updated_at >= before
    found = (await world.gql(CLOSED_ORDERS))["data"]["orders"]["nodes"]
    assert found == [{"id": order["id"]}]
    [event] = events
    assert event.topic == "orders/updated"
    assert event.body["admin_graphql_api_id"] == order["id"]
    assert event.body["closed_at"] is not None


async def test_closing_needs_no_fulfilment_or_payment(world):
    # As captured (orderClose-parity): an unpaid, unfulfilled order closes without userErrors.
    order = await world.sim.create_order(
        world.domain, [("SKU-00002", 1)], financialStatus="PENDING"
    )
    answer = (await world.gql(CLOSE, {"input": {"id": order["id"]}}))["data"]["orderClose"]
    assert (answer["order"]["closed"], answer["userErrors"]) == (True, [])


async def test_closing_a_closed_order_is_a_silent_no_op(world):
    order = await world.sim.create_order(world.domain, [("SKU-00003", 1)])
    first = (await world.gql(CLOSE, {"input": {"id": order["id"]}}))["data"]["orderClose"]
    events = _record_events(world)
    updated_at = world.shop.order(order["id"]).updated_at

    again = (await world.gql(CLOSE, {"input": {"id": order["id"]}}))["data"]["orderClose"]

    # orderClose-noop-on-already-closed: success, closed/closedAt unchanged, no userErrors.
    assert again == first
    assert world.shop.order(order["id"]).updated_at == updated_at
    assert events == []


async def test_opening_clears_closed_at_and_opening_an_open_order_changes_nothing(world):
    order = await world.sim.create_order(world.domain, [("SKU-00004", 1)])
    await world.gql(CLOSE, {"input": {"id": order["id"]}})
    events = _record_events(world)

    opened = (await world.gql(OPEN, {"input": {"id": order["id"]}}))["data"]["orderOpen"]

    assert opened["userErrors"] == []
    assert (opened["order"]["closed"], opened["order"]["closedAt"]) == (False, None)
    read = (await world.gql(READ, {"id": order["id"]}))["data"]["order"]
    assert (read["closed"], read["closedAt"]) == (False, None)
    assert [e.topic for e in events] == ["orders/updated"]
    assert events[0].body["closed_at"] is None

    updated_at = world.shop.order(order["id"]).updated_at
    again = (await world.gql(OPEN, {"input": {"id": order["id"]}}))["data"]["orderOpen"]
    # orderOpen-noop-on-already-open: success, still open, nothing sent.
    assert again == opened
    assert world.shop.order(order["id"]).updated_at == updated_at
    assert len(events) == 1


async def test_an_unknown_order_is_refused_on_its_id(world):
    unknown = {"input": {"id": "gid://shopify/Order/999999999999"}}
    for query, root in ((CLOSE, "orderClose"), (OPEN, "orderOpen")):
        answer = (await world.gql(query, unknown))["data"][root]
        assert answer == {
            "order": None,
            "userErrors": [{"field": ["id"], "message": "Order does not exist"}],
        }


async def test_order_close_user_errors_have_no_code(world):
    # orderLifecycle-plain-usererror-no-code: orderClose's userErrors are plain UserError.
    body = await world.gql(
        """mutation($input: OrderCloseInput!) {
          orderClose(input: $input) { userErrors { field message code } } }""",
        {"input": {"id": "gid://shopify/Order/1"}},
    )
    [error] = body["errors"]
    assert error["message"] == "Field 'code' doesn't exist on type 'UserError'"
    assert error["extensions"]["code"] == "undefinedField"
