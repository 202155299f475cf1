"""Cancelled by the warehouse -> cancelled in Shopify (or left to an operator), restocked once."""

import pytest

from contracts import OrderRestocked, order_correlation_id
from testkit.probe import eventually

from .conftest import DOMAIN, CancelWorld, WorldFactory


def shopify_level(w: CancelWorld, sku: str, location: str) -> dict[str, int]:
    item = w.shop.variants_by_sku[sku].inventory_item_id
    level = w.shop.level(item, int(w.location_gid(location).rsplit("/", 1)[1]))
    assert level is not None
    return dict(level.quantities)


@pytest.mark.parametrize(("refund", "notify"), [(True, False), (False, True)])
async def test_out_of_stock_at_the_warehouse_cancels_the_shopify_order_and_restocks_once(
    world: WorldFactory, refund: bool, notify: bool
) -> None:
    async with world(refund=refund, notify=notify) as w:
        order = await w.create_order([("SKU-00001", 2, "Shop location")])
        await w.send_to_wms(order)
        committed = shopify_level(w, "SKU-00001", "Shop location")
        [cancelled] = [
            e
            for e in await w.wms.cancel_now(order["name"], "out_of_stock", DOMAIN)
            if e.type == "wms.order.cancelled"
        ]
        # The warehouse's event repeated: redelivered, and sent again under a new id.
        await w.publish("wms.events", cancelled)
        await w.wms_event("wms.order.cancelled", cancelled.data.model_dump(mode="json"))

        assert await w.wait_warehouse(order["name"], "cancelled") == (
            "cancelled in Shopify by shipbridge"
        )
        sim_order = w.sim_order(order["id"])
        assert sim_order.cancel_reason == "INVENTORY"
        assert sim_order.cancellation is not None
        assert sim_order.cancellation.staff_note == (
            f"shipbridge: the warehouse cancelled {order['name']} at WH1: out_of_stock"
        )
        assert (sim_order.cancellation.restock, sim_order.cancellation.refunded) == (True, refund)
        assert sim_order.cancellation.notify_customer is notify
        assert sim_order.financial_status == ("REFUNDED" if refund else "PAID")
        # Shopify put the committed units back itself.
        after = shopify_level(w, "SKU-00001", "Shop location")
        assert (after["available"], after["committed"]) == (
            committed["available"] + 2,
            committed["committed"] - 2,
        )

        # Shopify's own news of the cancellation comes back (webhook and order-intake): the
        # warehouse is not asked to cancel what it cancelled, nothing is restocked twice.
        await w.webhook_cancelled(order["id"])
        await w.intake_saw_cancelled(order["id"])
        await w.settled()
        assert w.tap.of_type("wms.order.cancel") == []
        [restocked] = w.tap.of_type("cancellations.order.restocked")
        restock = restocked.data_as(OrderRestocked)
        assert restock.restocked_in_shopify is True
        assert [(x.sku, x.quantity) for x in restock.lines] == [("SKU-00001", 2)]
        assert restocked.correlation_id == order_correlation_id(DOMAIN, order["id"])
        stats = await w.sim.stats(DOMAIN)
        assert stats["requests_by_operation"]["OrderCancel"] == 1
        status = await w.status()
        [sent] = status["sent_to_shopify"]
        assert (sent["wms_order_ref"], sent["outcome"], sent["reason"]) == (
            order["name"],
            "cancelled",
            "out_of_stock",
        )
        assert sent["job_id"].startswith("gid://shopify/Job/")
        assert status["counts"]["warehouse_cancellations"] == {"cancelled": 1}


async def test_goods_the_warehouse_does_not_put_back_are_not_restocked_anywhere(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await w.create_order([("SKU-00003", 2, "Shop location")])
        [sent] = await w.send_to_wms(order)
        before = shopify_level(w, "SKU-00003", "Shop location")
        # Damaged beyond sale: the warehouse cancels without restocking (the simulator always
        # restocks, so the event is the warehouse's words as SPEC has them).
        await w.wms_event(
            "wms.order.cancelled",
            {
                "wms_order_ref": sent.wms_order_ref,
                "reason": "damaged",
                "restock": False,
                "note": "forklift",
            },
        )

        await w.wait_warehouse(sent.wms_order_ref, "cancelled")
        sim_order = w.sim_order(order["id"])
        assert sim_order.cancel_reason == "INVENTORY"
        assert sim_order.cancellation is not None and sim_order.cancellation.restock is False
        assert sim_order.cancellation.staff_note == (
            f"shipbridge: the warehouse cancelled {order['name']} at WH1: damaged (forklift)"
        )
        assert shopify_level(w, "SKU-00003", "Shop location")["available"] == before["available"]
        await w.settled()
        assert w.restocks() == []


async def test_a_multi_location_order_is_not_cancelled_until_nothing_else_is_left(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await w.create_order(
            [("SKU-00002", 1, "Shop location"), ("SKU-00003", 1, "Warehouse East")]
        )
        first, second = (s.wms_order_ref for s in await w.send_to_wms(order))
        await w.wms.cancel_now(first, "damaged", DOMAIN)

        detail = await w.wait_warehouse(first, "needs_operator")
        assert detail is not None and "fulfillment orders still open elsewhere" in detail
        assert f"at {w.location_gid('Warehouse East')} (WH2)" in detail
        assert w.sim_order(order["id"]).cancelled_at is None
        status = await w.status()
        [for_operator] = status["needs_attention"]["warehouse_cancellations"]
        assert (for_operator["wms_order_ref"], for_operator["state"]) == (first, "needs_operator")
        await w.settled()
        assert w.restocks() == []

        # The other warehouse cancels its part too: nothing of the order is left to fulfil.
        await w.wms.cancel_now(second, "out_of_stock", DOMAIN)
        await w.wait_warehouse(second, "cancelled")
        first_state = await w.warehouse_state(first)
        assert first_state is not None and first_state[0] == "cancelled"
        assert w.sim_order(order["id"]).cancel_reason == "INVENTORY"  # the earlier was damaged
        await w.settled()
        assert sorted(r.wms_order_ref for r in w.restocks()) == [first, second]
        assert {r.facility for r in w.restocks()} == {"WH1", "WH2"}
        assert (await w.status())["counts"]["needs_attention"] == 0


async def test_an_order_left_for_the_operator_is_settled_when_the_merchant_cancels_it(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await w.create_order(
            [("SKU-00004", 3, "Shop location"), ("SKU-00005", 1, "Pop-up")]
        )
        [sent] = await w.send_to_wms(order)
        await w.wms.cancel_now(sent.wms_order_ref, "address", DOMAIN)
        detail = await w.wait_warehouse(sent.wms_order_ref, "needs_operator")
        assert detail is not None and "(not a WMS location)" in detail

        await w.merchant_cancels(order["id"])
        await w.intake_saw_cancelled(order["id"])
        assert await w.wait_warehouse(sent.wms_order_ref, "already_cancelled") == (
            "the order was already cancelled in Shopify (not by shipbridge)"
        )
        await w.settled()
        assert w.tap.of_type("wms.order.cancel") == []
        [restock] = w.restocks()
        assert [(x.sku, x.quantity) for x in restock.lines] == [("SKU-00004", 3)]
        assert (await w.sim.stats(DOMAIN))["requests_by_operation"].get("OrderCancel") is None


async def test_a_shopify_refusal_is_shown_with_its_reason(world: WorldFactory) -> None:
    async with world() as w:
        order = await w.create_order(
            [("SKU-00006", 1, "Shop location"), ("SKU-00007", 1, "Pop-up")]
        )
        [sent] = await w.send_to_wms(order)
        # The merchant fulfilled the Pop-up part by hand: Shopify will not cancel the order now.
        popup = next(
            fo
            for fo in w.shop.fulfillment_orders_of(w.sim_order(order["id"]))
            if f"gid://shopify/FulfillmentOrder/{fo.id}" != sent.fulfillment_order_id
        )
        await w.merchant_fulfills(f"gid://shopify/FulfillmentOrder/{popup.id}")
        await w.wms.cancel_now(sent.wms_order_ref, "out_of_stock", DOMAIN)

        detail = await w.wait_warehouse(sent.wms_order_ref, "refused_by_shopify")
        assert detail == "Cannot cancel an order that has outstanding fulfillments (INVALID)"
        status = await w.status()
        [shown] = status["needs_attention"]["warehouse_cancellations"]
        assert (shown["state"], shown["detail"]) == ("refused_by_shopify", detail)
        [sent_to_shopify] = status["sent_to_shopify"]
        assert sent_to_shopify["outcome"] == "refused_by_shopify"
        await w.settled()
        assert w.restocks() == []

        # The operator sorts it out in Shopify, then asks for another try: refused again, shown.
        code, body = await w.post(
            "/cancellations/retry", {"shop": DOMAIN, "wms_order_ref": sent.wms_order_ref}
        )
        assert (code, body["state"]) == (200, "pending")
        await w.wait_warehouse(sent.wms_order_ref, "refused_by_shopify")
        assert (await w.sim.stats(DOMAIN))["requests_by_operation"]["OrderCancel"] == 2


async def test_a_warehouse_cancellation_heard_before_its_mapping_waits_for_it(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await w.create_order([("SKU-00008", 1, "Shop location")])
        [sent] = await w.send_to_wms(order, announce=False)
        await w.wms.cancel_now(sent.wms_order_ref, "other", DOMAIN)

        async def waiting() -> bool:
            counts = (await w.status())["counts"]
            return counts["warehouse_cancellations_awaiting_mapping"] == 1

        await eventually(waiting)
        assert w.sim_order(order["id"]).cancelled_at is None
        [open_one] = (await w.status())["open"]["waiting_for_shopify"]
        assert (open_one["wms_order_ref"], open_one["order_name"]) == (sent.wms_order_ref, None)

        await w.announce(sent)
        await w.wait_warehouse(sent.wms_order_ref, "cancelled")
        assert w.sim_order(order["id"]).cancel_reason == "OTHER"


async def test_throttling_errors_and_lost_answers_cancel_the_order_once(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await w.create_order([("SKU-00009", 2, "Shop location")])
        [sent] = await w.send_to_wms(order)
        # Slow answers leave the time to lose the cancel's answer once the order has been read:
        # our cancel runs in Shopify and we never hear so, nor any answer after it.
        await w.sim.admin("POST", "/faults", {"latency_seconds": 0.5})
        await w.wms.cancel_now(sent.wms_order_ref, "out_of_stock", DOMAIN)
        await eventually(lambda: requests(w, "OrderCancellationState") >= 1)
        await w.sim.admin("POST", "/faults", {"lost_answer_fraction": 1.0})
        await eventually(lambda: w.sim_order(order["id"]).cancelled_at is not None)

        async def failed_once() -> bool:
            row = await w.runtime.pool.fetchrow(
                "SELECT state, attempts FROM warehouse_cancellations WHERE wms_order_ref = $1",
                sent.wms_order_ref,
            )
            return row is not None and row["attempts"] >= 1 and row["state"] == "pending"

        await eventually(failed_once)
        # Then Shopify throttles and fails for a while, and recovers.
        await w.sim.admin(
            "POST",
            "/faults",
            {
                "latency_seconds": 0,
                "lost_answer_fraction": 0,
                "server_error_fraction": 0.5,
                "throttle_seconds": 1.0,
            },
        )
        await w.wait_warehouse(sent.wms_order_ref, "cancelled")
        await w.sim.admin("DELETE", "/faults")
        await w.settled()
        # Shopify refused every repeat (already cancelled): one cancellation, restocked once.
        cancellation = w.sim_order(order["id"]).cancellation
        assert cancellation is not None and cancellation.staff_note is not None
        assert cancellation.staff_note.startswith("shipbridge:")
        [restock] = w.restocks()
        assert restock.restocked_in_shopify is True
        assert [(x.sku, x.quantity) for x in restock.lines] == [("SKU-00009", 2)]
        faults = (await w.sim.stats(DOMAIN))["injected_faults"]
        assert faults["lost_answer"] >= 2
        assert faults.get("throttled", 0) + faults.get("server_error", 0) >= 1


async def test_a_restart_between_shopifys_answer_and_our_commit_cancels_once(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await w.create_order([("SKU-00010", 1, "Shop location")])
        [sent] = await w.send_to_wms(order)
        # Shopify holds every answer: the service is stopped while our cancel's answer is held.
        await w.sim.admin("POST", "/faults", {"answer_delay_seconds": 1.0})
        await w.wms.cancel_now(sent.wms_order_ref, "out_of_stock", DOMAIN)
        await eventually(lambda: w.sim_order(order["id"]).cancelled_at is not None)
        await w.restart()
        await w.sim.admin("DELETE", "/faults")

        # The new process takes the row over once the dead one's lease lapses, reads the order
        # back, and finds its own cancel there.
        assert await w.wait_warehouse(sent.wms_order_ref, "cancelled") == (
            "cancelled in Shopify by shipbridge"
        )
        await w.settled()
        assert requests(w, "OrderCancel") == 1
        [restock] = w.restocks()
        assert restock.restocked_in_shopify is True


def requests(w: CancelWorld, operation: str) -> int:
    runtime = w.sim.simulator.gateway.shop_runtime(w.shop)
    return runtime.stats.requests_by_operation.get(operation, 0)
