"""WMS orders order-intake changed after sending them (reduced, cancelled, re-sent under the same
ref, several for one FO): shipments count against what each holds now, and "nothing left to
ship" is said once it is true, whatever order the news arrives in."""

import json
from datetime import UTC, datetime, timedelta

from contracts import (
    INTERNAL_EVENTS,
    Envelope,
    FulfillmentOrderLineRef,
    WmsOrderReduced,
    WmsOrderSent,
)
from testkit.probe import eventually

from .conftest import DOMAIN, Fulfil, World, shipment_id_of, synced_data


def reduced(
    sent: WmsOrderSent, holds: dict[str, int], *, at: datetime | None = None
) -> WmsOrderReduced:
    """order-intake's `orders.wms_order.reduced`: `holds` units per line_ref (none: cancelled)."""
    return WmsOrderReduced(
        wms_order_ref=sent.wms_order_ref,
        shopify_order_id=sent.shopify_order_id,
        fulfillment_order_id=sent.fulfillment_order_id,
        cancelled=not holds,
        lines=[
            line.model_copy(update={"quantity": holds[line.line_ref]})
            for line in sent.lines
            if holds.get(line.line_ref)
        ],
        confirmed_at=at or datetime.now(UTC),
    )


async def reduction_recorded(w: World, sent: WmsOrderSent, confirmed_at: datetime) -> None:
    async def recorded() -> bool:
        row = await w.db_fetchrow(
            "SELECT confirmed_at FROM fulfillment_sync.wms_order_reductions "
            "WHERE shop = $1 AND wms_order_ref = $2",
            DOMAIN,
            sent.wms_order_ref,
        )
        return row is not None and row["confirmed_at"] == confirmed_at

    await eventually(recorded)


def complete_flags(w: World, shipment: Envelope) -> list[bool]:
    return [
        synced_data(e).fulfillment_order_complete for e in w.synced_for(shipment_id_of(shipment))
    ]


async def test_a_reduced_order_completes_when_what_it_still_holds_has_shipped(
    fulfil: Fulfil,
) -> None:
    async with fulfil() as w:
        sent = await w.order(("SKU-00001", 3))
        [line] = sent.lines
        await w.announce(sent)
        cut = reduced(sent, {line.line_ref: 1})
        await w.announce_reduced(cut)
        await reduction_recorded(w, sent, cut.confirmed_at)

        too_many = await w.ship(sent, {line.line_ref: 2})
        row = await w.wait_state(shipment_id_of(too_many), "failed")
        assert row["reason_code"] == "over_fulfilment"
        assert "only 1 of WMS order" in row["reason"]
        shipment = await w.ship(sent, {line.line_ref: 1})
        [synced] = await w.wait_synced(shipment)
        assert synced_data(synced).fulfillment_order_complete is True
        [fulfillment] = w.fulfillments(sent)
        assert sum(fulfillment.fulfillment_order_line_quantities.values()) == 1


async def test_a_reduction_after_the_last_shipment_says_complete_once(fulfil: Fulfil) -> None:
    async with fulfil() as w:
        sent = await w.order(("SKU-00002", 3))
        [line] = sent.lines
        await w.announce(sent)
        shipment = await w.ship(sent, {line.line_ref: 1})
        await w.wait_synced(shipment)
        assert complete_flags(w, shipment) == [False]

        # The other two units left the FO in Shopify; the WMS confirmed taking them out.
        cut = reduced(sent, {line.line_ref: 1})
        envelope = await w.announce_reduced(cut)
        await eventually(lambda: len(w.synced_for(shipment_id_of(shipment))) == 2)
        # Repeats say nothing more: the same message, the same news under a new id, and an
        # older reduction arriving late.
        await w.publish(INTERNAL_EVENTS, envelope)
        await w.announce_reduced(cut)
        await w.announce_reduced(
            reduced(sent, {line.line_ref: 2}, at=cut.confirmed_at - timedelta(seconds=1))
        )
        await w.settle(1.0)
        assert sorted(complete_flags(w, shipment)) == [False, True]
        assert len(w.fulfillments(sent)) == 1
        last = w.synced_for(shipment_id_of(shipment))[-1]
        assert last.causation_id == envelope.id


async def test_a_reduction_heard_before_the_send_applies_once_the_send_is_known(
    fulfil: Fulfil,
) -> None:
    async with fulfil() as w:
        sent = await w.order(("SKU-00003", 2), ("SKU-00004", 1))
        first, _ = sent.lines
        cut = reduced(sent, {first.line_ref: 2})  # every SKU-00004 taken out
        await w.announce_reduced(cut)
        await reduction_recorded(w, sent, cut.confirmed_at)
        shipment = await w.ship(sent, {first.line_ref: 2})
        await w.wait_state(shipment_id_of(shipment), "awaiting_order")
        await w.announce(sent)
        await w.announce(sent)  # repeated: harmless

        [synced] = await w.wait_synced(shipment)
        assert synced_data(synced).fulfillment_order_complete is True
        await w.settle()
        assert complete_flags(w, shipment) == [True]


async def test_an_order_intake_cancelled_after_a_partial_shipment_is_complete(
    fulfil: Fulfil,
) -> None:
    async with fulfil() as w:
        sent = await w.order(("SKU-00005", 3))
        [line] = sent.lines
        await w.announce(sent)
        shipment = await w.ship(sent, {line.line_ref: 1})
        await w.wait_synced(shipment)
        await w.announce_reduced(reduced(sent, {}))
        await eventually(lambda: complete_flags(w, shipment) == [False, True])


async def test_a_rejected_order_sent_again_under_its_ref_with_other_lines_is_fulfilled(
    fulfil: Fulfil,
) -> None:
    async with fulfil() as w:
        resent = await w.order(("SKU-00006", 2))
        first = resent.model_copy(
            update={
                "sent_at": resent.sent_at - timedelta(minutes=10),
                "lines": [
                    FulfillmentOrderLineRef(
                        line_ref="gid://shopify/FulfillmentOrderLineItem/999999",
                        sku="SKU-OLD-1",
                        quantity=2,
                    )
                ],
            }
        )
        await w.announce(first)
        # The re-sent order shipped before fulfillment-sync heard it was re-sent: against the
        # first send's lines it cannot be a fulfillment.
        shipment = await w.ship(resent)
        row = await w.wait_state(shipment_id_of(shipment), "failed")
        assert row["reason_code"] == "unknown_line"

        await w.announce(resent)
        [synced] = await w.wait_synced(shipment)
        assert synced_data(synced).fulfillment_order_complete is True
        await w.announce(first)  # the first send, late: changes nothing
        await w.settle()
        stored = await w.db_fetchrow(
            "SELECT sent FROM fulfillment_sync.wms_orders WHERE shop = $1 AND wms_order_ref = $2",
            DOMAIN,
            resent.wms_order_ref,
        )
        assert json.loads(stored["sent"])["lines"][0]["sku"] == "SKU-00006"
        assert len(w.fulfillments(resent)) == 1 and len(w.synced()) == 1


async def test_two_wms_orders_of_one_fo_each_count_their_own_units(fulfil: Fulfil) -> None:
    async with fulfil() as w:
        sent = await w.order(("SKU-00007", 3))
        [line] = sent.lines
        # Two units went out first; the third was added to the same FO line later and went out
        # as another WMS order of the same FO.
        main = sent.model_copy(update={"lines": [line.model_copy(update={"quantity": 2})]})
        extra = sent.model_copy(
            update={
                "wms_order_ref": f"{sent.wms_order_ref}-2",
                "lines": [line.model_copy(update={"quantity": 1})],
                "sent_at": sent.sent_at + timedelta(seconds=5),
            }
        )
        await w.announce(main)
        await w.announce(extra)
        first = await w.ship(main)
        [done_main] = await w.wait_synced(first)
        second = await w.ship(extra)
        [done_extra] = await w.wait_synced(second)
        assert synced_data(done_main).fulfillment_order_complete is True
        assert synced_data(done_extra).fulfillment_order_complete is True
        assert len(w.fulfillments(sent)) == 2
        assert w.fo_status(sent) == "CLOSED"
