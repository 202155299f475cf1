"""Changes to an order after it was sent, on real infrastructure: the Shopify simulator makes
the change, the test plays the warehouse's answers (reduced, refused, or none at all)."""

from typing import Any

import pytest

from contracts.internal import SubscribedTopic
from testkit.probe import eventually
from testkit.webhooks import webhook_envelope

from .conftest import DOMAIN, IntakeFactory, IntakeWorld
from .test_intake_flow import HOLD

PARTIAL_HOLD = """
mutation($id: ID!, $lines: [FulfillmentOrderLineItemInput!]) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: {reason: OTHER, reasonNotes: "check",
                                                  fulfillmentOrderLineItems: $lines}) {
    fulfillmentOrder { id }
    remainingFulfillmentOrder { id }
    userErrors { message }
  }
}"""
MOVE = """
mutation($id: ID!, $to: ID!) {
  fulfillmentOrderMove(id: $id, newLocationId: $to) {
    movedFulfillmentOrder { id }
    userErrors { message }
  }
}"""
ORDER_UPDATE = """
mutation($input: OrderInput!) { orderUpdate(input: $input) { userErrors { message } } }"""


async def sent_order(world: IntakeWorld, quantity: int = 2) -> tuple[dict[str, Any], str]:
    created = await world.create_order([("SKU-00001", quantity, "Shop location")])
    await world.webhook("orders/create", created["id"])
    [create] = await world.wait_creates(created["name"], 1)
    return created, create["fulfillment_order_id"]


def data_of(world: IntakeWorld, message_type: str) -> list[dict[str, Any]]:
    return [m.data.model_dump(mode="json") for m in world.tap.of_type(message_type)]


async def fo_webhook(world: IntakeWorld, topic: SubscribedTopic, payload: dict[str, Any]) -> None:
    """A fulfillment_orders/* webhook as the gateway hands it on: the body as received."""
    envelope = webhook_envelope(topic, payload, shop=DOMAIN)
    await world.webhook(topic, "", envelope=envelope)


async def problems(world: IntakeWorld) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (await world.status())["wms_changes"]
    return rows


async def only_problem(world: IntakeWorld) -> dict[str, Any]:
    """The one WMS change shown to operators, once it is shown."""

    async def shown() -> bool:
        return len(await problems(world)) == 1

    await eventually(shown)
    [problem] = await problems(world)
    return problem


async def test_a_partial_hold_reduces_first_and_sends_the_split_off_unit_after_the_answer(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        created, fo_id = await sent_order(world, quantity=2)
        name = created["name"]
        fo_line = world.shop.fulfillment_orders_of(world.sim_order(created["id"]))[0].line_items[0]
        held = await world.sim.run_as_storefront(
            DOMAIN,
            PARTIAL_HOLD,
            {"id": fo_id, "lines": [{"id": f"gid://shopify/FulfillmentOrderLineItem/{fo_line.id}",
                                     "quantity": 1}]},
        )  # fmt: skip
        result = held["data"]["fulfillmentOrderHold"]
        assert result["userErrors"] == []
        # Shopify's placed_on_hold names FOs only: intake finds the order through them.
        await fo_webhook(
            world,
            "fulfillment_orders/placed_on_hold",
            {"fulfillment_order": {"id": fo_id, "status": "on_hold"},
             "remaining_fulfillment_order": result["remainingFulfillmentOrder"]},
        )  # fmt: skip

        await eventually(lambda: len(world.tap.of_type("wms.order.reduce")) == 1)
        [reduce] = data_of(world, "wms.order.reduce")
        assert reduce["wms_order_ref"] == name
        assert [(ln["sku"], ln["quantity"]) for ln in reduce["lines"]] == [("SKU-00001", 1)]
        await eventually(lambda: len(world.tap.of_type("wms.order.hold")) == 1)
        await world.settled()
        assert len(world.creates_for(name)) == 1  # nothing new before the answer
        assert await world.order_state(created["id"]) == (
            "waiting_for_wms",
            f"waiting for the warehouse to confirm changes to {name}",
        )

        await world.wms_event(
            "wms.order.reduce_result",
            {"wms_order_ref": name, "outcome": "reduced", "lines": reduce["lines"]},
        )
        creates = await world.wait_creates(name, 2)
        extra = creates[1]
        assert extra["wms_order_ref"] == f"{name}-2"
        assert extra["fulfillment_order_id"] == result["remainingFulfillmentOrder"]["id"]
        assert [(ln["sku"], ln["quantity"]) for ln in extra["lines"]] == [("SKU-00001", 1)]
        await world.settled()
        [reduced] = data_of(world, "orders.wms_order.reduced")
        assert (reduced["wms_order_ref"], reduced["cancelled"]) == (name, False)
        assert [ln["quantity"] for ln in reduced["lines"]] == [1]
        # The answer repeated (a new message id) changes nothing.
        await world.wms_event(
            "wms.order.reduce_result",
            {"wms_order_ref": name, "outcome": "reduced", "lines": reduce["lines"]},
        )
        await world.webhook("orders/updated", created["id"])
        await world.settled()
        assert len(world.creates_for(name)) == 2
        assert len(world.tap.of_type("wms.order.reduce")) == 1


async def test_a_refused_cancel_of_a_moved_fo_is_shown_and_nothing_is_sent_twice(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        created, fo_id = await sent_order(world)
        name = created["name"]
        moved = await world.sim.run_as_storefront(
            DOMAIN, MOVE, {"id": fo_id, "to": world.location_gid("Warehouse East")}
        )
        assert moved["data"]["fulfillmentOrderMove"]["userErrors"] == []
        await world.webhook("orders/updated", created["id"])
        await eventually(lambda: len(world.tap.of_type("wms.order.cancel")) == 1)
        [cancel] = data_of(world, "wms.order.cancel")
        assert cancel["wms_order_ref"] == name
        assert "moved to facility WH2" in cancel["reason"]

        await world.wms_event(
            "wms.order.cancel_result",
            {"wms_order_ref": name, "outcome": "refused", "reason": "picking started"},
        )

        problem = await only_problem(world)
        assert problem["order_name"] == name
        assert problem["problem"] == "cancel_refused"
        assert problem["warehouse_said"] == "picking started"
        assert "moved to facility WH2" in problem["change_in_shopify"]
        await world.webhook("orders/updated", created["id"])
        await world.settled()
        assert len(world.creates_for(name)) == 1  # WH2 gets nothing while WH1 may ship

        # The operator sorted it out with the warehouse and re-syncs: the cancel is asked again
        # (Shopify still wants the units at WH2); confirmed, WH2 gets its WMS order.
        status_code, body = await world.post("/orders/resync", {"shop": DOMAIN, "name": name})
        assert status_code == 200, body
        assert await problems(world) == []
        await eventually(lambda: len(world.tap.of_type("wms.order.cancel")) == 2)
        await world.wms_event(
            "wms.order.cancel_result", {"wms_order_ref": name, "outcome": "cancelled"}
        )
        creates = await world.wait_creates(name, 2)
        assert (creates[1]["wms_order_ref"], creates[1]["facility"]) == (f"{name}-2", "WH2")


async def test_a_change_the_warehouse_never_answers_becomes_an_operator_problem(
    intake: IntakeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDER_INTAKE_WMS_ANSWER_TIMEOUT_S", "0.5")
    async with intake() as world:
        created, fo_id = await sent_order(world)
        await world.wms_event("wms.order.accepted", {"wms_order_ref": created["name"]})
        await world.sim.run_as_storefront(
            DOMAIN, MOVE, {"id": fo_id, "to": world.location_gid("Pop-up")}
        )
        await world.webhook("orders/updated", created["id"])
        await eventually(lambda: len(world.tap.of_type("wms.order.cancel")) == 1)

        problem = await only_problem(world)
        assert (problem["order_name"], problem["problem"], problem["warehouse_said"]) == (
            created["name"],
            "cancel_unanswered",
            "no answer",
        )
        assert (await world.status())["counts"]["wms_changes_pending"] == 1


async def test_a_create_the_warehouse_neither_accepts_nor_rejects_becomes_an_operator_problem(
    intake: IntakeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDER_INTAKE_WMS_ANSWER_TIMEOUT_S", "0.5")
    async with intake() as world:
        created, _ = await sent_order(world)

        problem = await only_problem(world)
        assert (problem["order_name"], problem["problem"], problem["warehouse_said"]) == (
            created["name"],
            "create_unanswered",
            "no answer",
        )
        await world.wms_event("wms.order.accepted", {"wms_order_ref": created["name"]})

        async def gone() -> bool:
            return await problems(world) == []

        await eventually(gone)


async def test_a_wms_order_intake_cancelled_has_its_personal_data_erased_after_retention(
    intake: IntakeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    retention_s = 1.0
    monkeypatch.setenv("PERSONAL_DATA_RETENTION_DAYS", str(retention_s / 86400))
    monkeypatch.setenv("RETENTION_CHECK_INTERVAL_S", "0.2")
    async with intake() as world:
        created, fo_id = await sent_order(world)
        name = created["name"]
        await world.sim.run_as_storefront(
            DOMAIN, MOVE, {"id": fo_id, "to": world.location_gid("Pop-up")}
        )
        await world.webhook("orders/updated", created["id"])
        await eventually(lambda: len(world.tap.of_type("wms.order.cancel")) == 1)
        await world.wms_event(
            "wms.order.cancel_result", {"wms_order_ref": name, "outcome": "cancelled"}
        )

        async def erased() -> bool:
            ship_to = await world.runtime.pool.fetchval(
                "SELECT sent_payload->'ship_to'->>'name' FROM wms_orders WHERE wms_order_ref = $1",
                name,
            )
            return bool(ship_to == "[redacted]")

        # Nothing of it ships (its units left for a location no warehouse serves), so nothing
        # else would ever start its retention.
        await eventually(erased, timeout_s=15)


async def test_after_a_wms_rejection_an_operator_resync_sends_the_order_again_same_ref(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        created, _ = await sent_order(world)
        name = created["name"]
        await world.wms_event(
            "wms.order.rejected", {"wms_order_ref": name, "reason": "unknown SKU"}
        )

        async def rejected() -> bool:
            return (await world.status())["counts"]["rejected_by_wms"] == 1

        await eventually(rejected)
        await world.webhook("orders/updated", created["id"])
        await world.settled()
        assert len(world.creates_for(name)) == 1  # never re-sent by itself

        status_code, body = await world.post("/orders/resync", {"shop": DOMAIN, "name": name})
        assert status_code == 200, body
        assert (body["state"], body["created"]) == ("sent", [name])
        creates = await world.wait_creates(name, 2)
        assert creates[1]["wms_order_ref"] == name
        status = await world.status()
        assert status["recent_rejections"]["by_wms"] == []
        assert status["counts"]["rejected_by_wms"] == 0


async def test_a_new_shipping_address_after_sending_is_shown_until_an_operator_resyncs(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        created, _ = await sent_order(world)
        name = created["name"]
        address = {"address1": "9 Other St", "city": "Ottawa", "zip": "K1A 0B1",
                   "countryCode": "CA", "provinceCode": "ON", "firstName": "Sam",
                   "lastName": "Buyer"}  # fmt: skip
        updated = await world.sim.run_as_storefront(
            DOMAIN, ORDER_UPDATE, {"input": {"id": created["id"], "shippingAddress": address}}
        )
        assert updated["data"]["orderUpdate"]["userErrors"] == []
        await world.webhook("orders/updated", created["id"])

        async def shown() -> bool:
            return bool((await world.status())["unsent_edits"])

        await eventually(shown)
        [edit] = (await world.status())["unsent_edits"]
        assert (edit["order_name"], edit["wms_order_ref"], edit["field"]) == (
            name,
            name,
            "shipping address",
        )
        await world.settled()
        assert [m.type for m in world.commands] == ["wms.order.create"]  # WMS keeps its copy

        status_code, _ = await world.post("/orders/resync", {"shop": DOMAIN, "name": name})
        assert status_code == 200
        assert (await world.status())["unsent_edits"] == []


async def test_a_held_order_is_still_held_through_the_fulfillment_order_webhook(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        _, fo_id = await sent_order(world)
        await world.sim.run_as_storefront(DOMAIN, HOLD, {"id": fo_id})
        number = int(fo_id.rsplit("/", 1)[1])
        # Numeric ids, as the merged sample has them, are understood too.
        await fo_webhook(
            world, "fulfillment_orders/merged",
            {"merge_intents": [{"fulfillment_order_id": number}],
             "fulfillment_order_merges": {"fulfillment_order": {"id": fo_id}}},
        )  # fmt: skip
        await eventually(lambda: len(world.tap.of_type("wms.order.hold")) == 1)
