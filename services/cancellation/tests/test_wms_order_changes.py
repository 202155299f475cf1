"""WMS orders order-intake changed after sending them: reduced, cancelled, or re-sent after a
rejection. cancellation counts each with what it holds now, whatever order the news arrives in."""

from datetime import UTC, datetime, timedelta
from typing import Any

from contracts import (
    INTERNAL_EVENTS,
    WMS_COMMANDS,
    WMS_EVENTS,
    Envelope,
    FulfillmentOrderLineRef,
    WmsOrderCancel,
    WmsOrderReduced,
    WmsOrderSent,
    new_envelope,
)
from testkit.probe import eventually
from wms_sim import OrderStatus

from .conftest import DOMAIN, CancelWorld, WorldFactory


def reduced(
    sent: WmsOrderSent, holds: dict[str, int], *, at: datetime | None = None
) -> WmsOrderReduced:
    """order-intake's `orders.wms_order.reduced`: `holds` units per SKU left (none: cancelled)."""
    return WmsOrderReduced(
        wms_order_ref=sent.wms_order_ref,
        shopify_order_id=sent.shopify_order_id,
        fulfillment_order_id=sent.fulfillment_order_id,
        cancelled=not holds,
        lines=[
            line.model_copy(update={"quantity": holds[line.sku]})
            for line in sent.lines
            if holds.get(line.sku)
        ],
        confirmed_at=at or datetime.now(UTC),
    )


async def announce_reduced(w: CancelWorld, event: WmsOrderReduced) -> Envelope:
    envelope = w._about(event.shopify_order_id, "orders.wms_order.reduced", event)
    await w.publish(INTERNAL_EVENTS, envelope)
    return envelope


async def reductions_recorded(w: CancelWorld, count: int) -> None:
    async def recorded() -> bool:
        found = await w.runtime.pool.fetchval("SELECT count(*) FROM wms_order_reductions")
        return bool(found == count)

    await eventually(recorded)


async def cancelled_in_shopify(w: CancelWorld, order: dict[str, Any]) -> None:
    await w.merchant_cancels(order["id"])
    await w.webhook_cancelled(order["id"])

    async def recorded() -> bool:
        return (await w.status())["counts"]["shopify_cancellations"] == 1

    await eventually(recorded)


async def test_a_wms_order_intake_cancelled_is_not_cancelled_again_nor_alerted_nor_restocked(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await w.create_order(
            [("SKU-00001", 2, "Shop location"), ("SKU-00002", 1, "Warehouse East")]
        )
        moved, kept = await w.send_to_wms(order)
        # The FO at WH1 moved away in Shopify: order-intake had the warehouse cancel it, and
        # the WMS's answer (to a cancel cancellation never asked) travels on the shared topic.
        cancel = new_envelope(
            "wms.order.cancel",
            {
                "wms_order_ref": moved.wms_order_ref,
                "reason": "fulfillment order moved",
                "requested_at": datetime.now(UTC).isoformat(),
            },
            shop=DOMAIN,
        )
        await w.publish(WMS_COMMANDS, cancel)
        await eventually(
            lambda: w.wms.order(moved.wms_order_ref, DOMAIN).status is OrderStatus.CANCELLED
        )
        await announce_reduced(w, reduced(moved, {}))
        await reductions_recorded(w, 1)

        await cancelled_in_shopify(w, order)
        await w.wait_request(kept.wms_order_ref, "cancelled")
        await w.settled()

        ours = [c for c in w.tap.of_type("wms.order.cancel") if c.id != cancel.id]
        assert [c.data_as(WmsOrderCancel).wms_order_ref for c in ours] == [kept.wms_order_ref]
        assert await w.request_state(moved.wms_order_ref) is None
        [restock] = w.restocks()
        assert (restock.wms_order_ref, [(x.sku, x.quantity) for x in restock.lines]) == (
            kept.wms_order_ref,
            [("SKU-00002", 1)],
        )
        status = await w.status()
        assert status["counts"]["needs_attention"] == 0
        assert status["needs_attention"]["cancelled_in_shopify_but_shipped"] == []


async def test_a_reduction_heard_before_the_send_and_repeated_restocks_only_what_is_held(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await w.create_order(
            [("SKU-00003", 3, "Shop location"), ("SKU-00004", 2, "Shop location")]
        )
        [sent] = await w.send_to_wms(order, announce=False)
        # order-intake's news overtake each other: the reduction (one SKU-00003 and every
        # SKU-00004 taken out) is heard before the send, twice, then an older one late.
        earlier = reduced(sent, {"SKU-00003": 2, "SKU-00004": 2}, at=datetime.now(UTC))
        latest = reduced(sent, {"SKU-00003": 2}, at=earlier.confirmed_at + timedelta(seconds=1))
        envelope = await announce_reduced(w, latest)
        await w.publish(INTERNAL_EVENTS, envelope)  # the same message redelivered
        await announce_reduced(w, latest)  # the same news under a new id
        await reductions_recorded(w, 1)
        await announce_reduced(w, earlier)
        await w.announce(sent)
        await w.announce(sent)  # the send repeated: harmless

        await cancelled_in_shopify(w, order)
        await w.wait_request(sent.wms_order_ref, "cancelled")
        await w.settled()

        assert len(w.cancels_for(sent.wms_order_ref)) == 1
        [restock] = w.restocks()
        assert [(x.sku, x.quantity) for x in restock.lines] == [("SKU-00003", 2)]
        held = await w.runtime.pool.fetchval(
            "SELECT lines FROM wms_order_reductions WHERE wms_order_ref = $1", sent.wms_order_ref
        )
        assert [(x["sku"], x["quantity"]) for x in held] == [("SKU-00003", 2)]


async def test_a_rejected_order_sent_again_under_its_ref_is_cancelled_with_its_new_lines(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await w.create_order([("SKU-00007", 2, "Shop location")])
        # What the warehouse holds now: the re-send (accepted).
        [resent] = await w.send_to_wms(order, announce=False)
        first_at = resent.sent_at - timedelta(minutes=10)
        first = resent.model_copy(
            update={
                "sent_at": first_at,
                "lines": [
                    FulfillmentOrderLineRef(
                        line_ref=resent.lines[0].line_ref, sku="SKU-OLD-1", quantity=2
                    )
                ],
            }
        )
        await w.announce(first)

        def rejection() -> Envelope:
            return new_envelope(
                "wms.order.rejected",
                {"wms_order_ref": resent.wms_order_ref, "reason": "unknown SKU at WH1: SKU-OLD-1"},
                shop=DOMAIN,
                occurred_at=first_at + timedelta(seconds=1),
            )

        await w.publish(WMS_EVENTS, rejection())

        async def rejected() -> bool:
            found = await w.runtime.pool.fetchval("SELECT count(*) FROM rejected_wms_orders")
            return bool(found)

        await eventually(rejected)
        # An operator re-synced: order-intake sent it again under the same ref, other SKU.
        await w.announce(resent)
        # Late and repeated: the first send and its rejection (under a new message id).
        await w.announce(first)
        await w.publish(WMS_EVENTS, rejection())

        async def resent_recorded() -> bool:
            lines = await w.runtime.pool.fetchval(
                "SELECT lines FROM wms_orders WHERE wms_order_ref = $1", resent.wms_order_ref
            )
            return lines is not None and lines[0]["sku"] == "SKU-00007"

        await eventually(resent_recorded)
        await cancelled_in_shopify(w, order)
        await w.wait_request(resent.wms_order_ref, "cancelled")
        await w.settled()

        assert w.wms.order(resent.wms_order_ref, DOMAIN).status is OrderStatus.CANCELLED
        [restock] = w.restocks()
        assert [(x.sku, x.quantity) for x in restock.lines] == [("SKU-00007", 2)]
