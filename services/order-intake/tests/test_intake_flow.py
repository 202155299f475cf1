"""order-intake end to end: webhooks in, wms.order.create out, on real infrastructure."""

from typing import Any

import pytest

from contracts import (
    ShopifyOrderCancelled,
    WmsOrderCreate,
    WmsOrderHold,
    WmsOrderSent,
    order_correlation_id,
)
from shopify_sim.testing import SHIPPING_ADDRESS
from testkit.probe import eventually

from .conftest import DOMAIN, IntakeFactory, IntakeWorld, ShopWorld


def fo_line_refs(world: IntakeWorld, order_gid: str) -> dict[str, str]:
    """SKU -> FulfillmentOrderLineItem GID, from the simulator's own state."""
    order = world.sim_order(order_gid)
    skus = {line.id: line.sku for line in order.line_items}
    return {
        skus[fo_line.line_item_id] or "": f"gid://shopify/FulfillmentOrderLineItem/{fo_line.id}"
        for fo in world.shop.fulfillment_orders_of(order)
        for fo_line in fo.line_items
    }


async def test_a_created_order_reaches_the_wms_once_with_its_lines_address_and_facility(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        created = await world.create_order(
            [("SKU-00001", 2, "Shop location"), ("SKU-00002", 1, "Shop location")]
        )
        webhook = await world.webhook("orders/create", created["id"])

        [create] = await world.wait_creates(created["name"], 1)
        refs = fo_line_refs(world, created["id"])
        assert create["wms_order_ref"] == created["name"]
        assert create["shopify_order_id"] == created["id"]
        assert create["facility"] == "WH1"
        assert create["on_hold"] is False
        assert create["shipping_method"] == {"code": "standard", "title": "Standard"}
        assert create["ship_to"] == {
            "name": "Sam Buyer",
            "company": None,
            "address1": "1 Main St",
            "address2": None,
            "city": "Toronto",
            "province_code": "ON",
            "postal_code": "M5H 2M9",
            "country_code": "CA",
            "phone": None,
            "email": None,
        }
        assert sorted(
            (line["sku"], line["quantity"], line["line_ref"]) for line in create["lines"]
        ) == [
            ("SKU-00001", 2, refs["SKU-00001"]),
            ("SKU-00002", 1, refs["SKU-00002"]),
        ]
        assert "price" not in str(create)
        [message] = world.tap.of_type("wms.order.create")
        assert message.correlation_id == webhook.correlation_id
        assert message.correlation_id == order_correlation_id(DOMAIN, created["id"])

        # The WMS answers: a rejection is recorded and shown with its reason.
        await world.wms_event(
            "wms.order.rejected", {"wms_order_ref": created["name"], "reason": "unknown SKU"}
        )

        async def rejection_shown() -> bool:
            return (await world.status())["counts"]["rejected_by_wms"] == 1

        await eventually(rejection_shown)
        status = await world.status()
        assert status["counts"]["sent"] == 0
        [rejected] = status["recent_rejections"]["by_wms"]
        assert (rejected["wms_order_ref"], rejected["wms_reason"]) == (
            created["name"],
            "unknown SKU",
        )


async def test_duplicated_and_reordered_webhooks_make_exactly_one_wms_order(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        created = await world.create_order([("SKU-00003", 1, "Shop location")])
        # An update before its create, the create twice (two deliveries), and one delivery
        # redelivered by the broker (same envelope id).
        await world.webhook("orders/updated", created["id"])
        first = await world.webhook("orders/create", created["id"])
        await world.webhook("orders/create", created["id"])
        await world.webhook("orders/create", created["id"], envelope=first)
        await world.webhook("orders/paid", created["id"])

        await world.wait_creates(created["name"], 1)
        await world.settled()
        assert len(world.creates_for(created["name"])) == 1
        assert len(world.commands) == 1


async def test_webhooks_for_many_orders_are_read_from_shopify_in_batches(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        orders = [await world.create_order([("SKU-00004", 1, "Shop location")]) for _ in range(40)]
        for order in orders:
            await world.webhook("orders/create", order["id"])

        await eventually(lambda: len(world.tap.of_type("wms.order.create")) == 40, timeout_s=20)
        await world.settled()
        creates = world.tap.payloads("wms.order.create", WmsOrderCreate)
        assert {c.wms_order_ref for c in creates} == {o["name"] for o in orders}
        worker = (await world.status())["sync_worker"]
        print(
            f"batching: {worker['orders_read']} orders in {worker['reads']} nodes() reads, "
            f"largest {worker['largest_read']}"
        )
        assert worker["orders_read"] == 40
        assert worker["largest_read"] > 1
        assert worker["reads"] <= 20


async def test_an_order_on_two_locations_becomes_two_numbered_wms_orders(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        created = await world.create_order(
            [("SKU-00001", 1, "Shop location"), ("SKU-00002", 3, "Warehouse East")]
        )
        await world.webhook("orders/create", created["id"])

        creates = await world.wait_creates(created["name"], 2)
        by_ref = {c["wms_order_ref"]: c for c in creates}
        name = created["name"]
        assert set(by_ref) == {f"{name}-1", f"{name}-2"}
        fo_numbers = [
            int(by_ref[f"{name}-{i}"]["fulfillment_order_id"].rsplit("/", 1)[1]) for i in (1, 2)
        ]
        assert fo_numbers == sorted(fo_numbers)
        assert {c["facility"]: [line["sku"] for line in c["lines"]] for c in creates} == {
            "WH1": ["SKU-00001"],
            "WH2": ["SKU-00002"],
        }
        # The other services learn the mapping back to Shopify, without personal data.
        await world.settled()
        sent_events = world.tap.payloads("orders.wms_order.sent", WmsOrderSent)
        sent = {m.wms_order_ref: m for m in sent_events}
        assert set(sent) == set(by_ref)
        for ref, create in by_ref.items():
            assert sent[ref].fulfillment_order_id == create["fulfillment_order_id"]
            assert sent[ref].facility == create["facility"]
            assert [(x.line_ref, x.sku, x.quantity) for x in sent[ref].lines] == [
                (x["line_ref"], x["sku"], x["quantity"]) for x in create["lines"]
            ]
        assert sent[f"{name}-2"].location_id == world.location_gid("Warehouse East")


async def test_fulfillment_orders_at_unmapped_locations_are_left_alone(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        elsewhere = await world.create_order([("SKU-00005", 1, "Pop-up")])
        mixed = await world.create_order(
            [("SKU-00005", 1, "Pop-up"), ("SKU-00006", 1, "Warehouse East")]
        )
        await world.webhook("orders/create", elsewhere["id"])
        await world.webhook("orders/create", mixed["id"])

        [create] = await world.wait_creates(mixed["name"], 1)
        assert (create["wms_order_ref"], create["facility"]) == (mixed["name"], "WH2")
        assert await world.wait_state(elsewhere["id"], "no_wms_work") == (
            "no open fulfillment order at a mapped location"
        )
        await world.settled()
        assert world.creates_for(elsewhere["name"]) == []


async def test_rejected_orders_are_sent_after_the_merchant_fixes_them_and_an_operator_resyncs(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        no_address = await world.create_order(
            [("SKU-00007", 1, "Shop location")], shippingAddress=None
        )
        no_sku = await world.create_order(
            [("SKU-00007", 1, "Shop location"), ("", 1, "Shop location")]
        )
        await world.webhook("orders/create", no_address["id"])
        await world.webhook("orders/create", no_sku["id"])

        assert await world.wait_state(no_address["id"], "rejected_by_checks") == (
            "order has no shipping address"
        )
        reason = await world.wait_state(no_sku["id"], "rejected_by_checks")
        assert reason is not None and reason.endswith("(Blue mug) has no SKU")
        status = await world.status()
        assert status["counts"]["rejected_by_checks"] == 2
        assert {r["order_name"]: r["reason"] for r in status["recent_rejections"]["by_checks"]} == {
            no_address["name"]: "order has no shipping address",
            no_sku["name"]: reason,
        }
        await world.settled()
        assert world.commands == []

        # The merchant fixes both orders in Shopify; the operator re-syncs them by name.
        world.sim_order(no_address["id"]).shipping_address = dict(SHIPPING_ADDRESS)
        world.touch(no_address["id"])
        custom = next(li for li in world.sim_order(no_sku["id"]).line_items if li.sku is None)
        custom.sku = "MUG-BLUE"
        world.touch(no_sku["id"])
        for order in (no_address, no_sku):
            status_code, body = await world.post(
                "/orders/resync", {"shop": DOMAIN, "name": order["name"]}
            )
            assert status_code == 200, body
            assert (body["state"], body["created"]) == ("sent", [order["name"]])

        [fixed] = await world.wait_creates(no_sku["name"], 1)
        assert sorted(line["sku"] for line in fixed["lines"]) == ["MUG-BLUE", "SKU-00007"]
        await world.wait_creates(no_address["name"], 1)
        status_code, body = await world.post("/orders/resync", {"shop": DOMAIN, "name": "#9999"})
        assert (status_code, body) == (404, {"error": f"no order named #9999 in {DOMAIN}"})


async def test_a_high_risk_order_is_held_until_the_risk_is_cleared(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        created = await world.create_order([("SKU-00008", 1, "Shop location")])
        number = created["id"].rsplit("/", 1)[1]
        await world.sim.admin("POST", f"/shops/{DOMAIN}/orders/{number}/risk", {"level": "HIGH"})
        await world.webhook("orders/create", created["id"])
        assert await world.wait_state(created["id"], "held_risk") == "high fraud risk"
        await world.settled()
        assert world.commands == []
        assert (await world.status())["counts"]["held_risk"] == 1

        await world.sim.admin("POST", f"/shops/{DOMAIN}/orders/{number}/risk", {"level": "LOW"})
        await world.webhook("orders/updated", created["id"])
        [create] = await world.wait_creates(created["name"], 1)
        assert create["on_hold"] is False
        assert await world.wait_state(created["id"], "sent") is None


async def test_an_order_cancelled_before_its_create_webhook_is_never_sent(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        created = await world.create_order([("SKU-00009", 1, "Shop location")])
        cancel = await world.sim.run_as_storefront(
            DOMAIN,
            "mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, restock: true) "
            "{ orderCancelUserErrors { message } } }",
            {"id": created["id"]},
        )
        assert cancel["data"]["orderCancel"]["orderCancelUserErrors"] == []
        await world.webhook("orders/cancelled", created["id"])
        await world.webhook("orders/create", created["id"])

        assert (await world.wait_state(created["id"], "cancelled") or "").startswith(
            "cancelled in Shopify"
        )
        await world.settled()
        await world.webhook("orders/updated", created["id"])
        await world.settled()
        # Nothing for the WMS; the cancellation service hears of it once, however often seen.
        assert world.commands == []
        [cancelled] = world.tap.messages
        assert cancelled.type == "orders.order.cancelled"
        assert cancelled.data_as(ShopifyOrderCancelled).model_dump() == {
            "shopify_order_id": created["id"],
            "shopify_order_name": created["name"],
            "cancelled_at": world.sim_order(created["id"]).cancelled_at.replace(microsecond=0),
            "reason": "CUSTOMER",
        }


async def test_an_order_whose_webhook_was_lost_is_found_by_the_polling_download(
    intake: IntakeFactory,
) -> None:
    lost: dict[str, Any] = {}

    async def create_without_webhook(world: ShopWorld) -> None:
        lost.update(await world.create_order([("SKU-00010", 2, "Warehouse East")]))

    async with intake(mode="both", before_start=create_without_webhook) as world:
        [create] = await world.wait_creates(lost["name"], 1)
        assert (create["facility"], create["wms_order_ref"]) == ("WH2", lost["name"])

        async def poll_recorded() -> bool:
            return (await world.status())["polling"].get(DOMAIN, {}).get("last_result") == "ok"

        await eventually(poll_recorded)
        poll = (await world.status())["polling"][DOMAIN]
        assert poll["orders_seen"] >= 1
        assert poll["watermark"] is not None

        # A later order, downloaded by the operator for a window, and the lost one not again.
        later = await world.create_order([("SKU-00010", 1, "Shop location")])
        status_code, body = await world.post(
            "/orders/download", {"shop": DOMAIN, "since": "2020-01-01T00:00:00Z"}
        )
        assert status_code == 200, body
        assert body["orders_seen"] == 2
        assert body["wms_orders_created"] == 1
        await world.wait_creates(later["name"], 1)
        await world.settled()
        assert len(world.creates_for(lost["name"])) == 1


HOLD = """
mutation($id: ID!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: {reason: OTHER, reasonNotes: "address check",
                                                  handle: "merchant"}) {
    fulfillmentHold { id }
    userErrors { message }
  }
}"""
RELEASE = """
mutation($id: ID!, $holdIds: [ID!]!) {
  fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds) { userErrors { message } }
}"""


async def test_holding_and_releasing_in_shopify_holds_and_releases_the_wms_order(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        created = await world.create_order([("SKU-00001", 1, "Shop location")])
        await world.webhook("orders/create", created["id"])
        [create] = await world.wait_creates(created["name"], 1)
        fo_id = create["fulfillment_order_id"]

        held = await world.sim.run_as_storefront(DOMAIN, HOLD, {"id": fo_id})
        hold_id = held["data"]["fulfillmentOrderHold"]["fulfillmentHold"]["id"]
        await world.webhook("orders/updated", created["id"])
        await eventually(lambda: len(world.tap.of_type("wms.order.hold")) == 1)
        [hold] = world.tap.of_type("wms.order.hold")
        assert hold.data_as(WmsOrderHold).model_dump() == {
            "wms_order_ref": created["name"],
            "reason": "other: address check",
        }

        await world.sim.run_as_storefront(DOMAIN, RELEASE, {"id": fo_id, "holdIds": [hold_id]})
        await world.webhook("orders/updated", created["id"])
        await eventually(lambda: len(world.tap.of_type("wms.order.release")) == 1)
        await world.webhook("orders/updated", created["id"])  # nothing changed: nothing sent
        await world.settled()
        assert [m.type for m in world.commands] == [
            "wms.order.create",
            "wms.order.hold",
            "wms.order.release",
        ]


async def test_shopify_failures_leave_the_order_pending_then_failed_and_visible(
    intake: IntakeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDER_INTAKE_SHOPIFY_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("ORDER_INTAKE_SYNC_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("ORDER_INTAKE_SYNC_IDLE_POLL_S", "0.1")
    async with intake() as world:
        created = await world.create_order([("SKU-00002", 1, "Shop location")])
        await world.sim.admin("POST", "/faults", {"server_error_fraction": 1.0})
        await world.webhook("orders/create", created["id"])

        async def failed_for_good() -> bool:
            return (await world.status())["counts"]["failed_syncs"] == 1

        await eventually(failed_for_good)
        [failed] = (await world.status())["failed_syncs"]
        assert failed["order_gid"] == created["id"]
        assert failed["attempts"] == 3
        assert failed["last_error"].startswith("reading from Shopify failed")
        assert world.tap.messages == []

        # Shopify is back; the next webhook about the order revives it.
        await world.sim.admin("DELETE", "/faults")
        await world.webhook("orders/updated", created["id"])
        await world.wait_creates(created["name"], 1)
        assert (await world.status())["counts"]["failed_syncs"] == 0


async def test_an_order_that_fails_to_apply_fails_alone_and_the_rest_of_its_batch_is_sent(
    intake: IntakeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDER_INTAKE_SYNC_MAX_ATTEMPTS", "1")
    async with intake() as world:
        orders = [await world.create_order([("SKU-00003", 1, "Shop location")]) for _ in range(5)]
        broken = orders[2]
        # A WMS order already holding the broken order's reference for another order: creating
        # it again must fail loudly (a reference is never reused) and take nothing else along.
        await world.runtime.pool.execute(
            "INSERT INTO wms_orders (shop, wms_order_ref, order_gid, fulfillment_order_id, "
            "facility, on_hold, sent_payload) VALUES ($1, $2, 'gid://shopify/Order/1', "
            "'gid://shopify/FulfillmentOrder/1', 'WH1', false, '{}')",
            DOMAIN,
            broken["name"],
        )
        for order in orders:
            await world.webhook("orders/create", order["id"])

        for order in orders:
            if order is not broken:
                await world.wait_creates(order["name"], 1)

        async def failed() -> bool:
            return (await world.status())["counts"]["failed_syncs"] == 1

        await eventually(failed)
        [failure] = (await world.status())["failed_syncs"]
        assert failure["order_gid"] == broken["id"]
        assert failure["last_error"].startswith("applying the order failed")
        await world.settled()
        assert len(world.tap.of_type("wms.order.create")) == 4
        assert len(world.tap.of_type("orders.wms_order.sent")) == 4
