"""Message handlers: shipments are recorded, WMS orders learned; Shopify is never called here.

A handler runs inside the consumer's transaction, and a Shopify call can take seconds (the
shop's bucket, retries): holding the transaction that long would stall the queue. So a handler
only records the shipment, in the same transaction as the inbox entry, and wakes the worker
(worker.py), which makes the fulfillment. A repeat of the same shipment (same message, or the
same shipment_id in a new message) finds its row and does nothing.

What a WMS order holds can change after it was sent: order-intake re-sends a rejected one under
the same ref (the later send replaces the earlier), and has units taken out of one
(`orders.wms_order.reduced`, kept apart as it can come before the send). Shipments are counted
against what it holds when the worker claims them.
"""

from dataclasses import dataclass, replace

import structlog

from contracts import WmsOrderReduced, WmsOrderSent, WmsShipmentConfirmed
from fulfillment_sync import store
from fulfillment_sync.events import synced_event
from fulfillment_sync.settings import FulfillmentSyncSettings
from fulfillment_sync.store import NewShipment
from messaging import MessageContext, add_to_outbox

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class FulfillmentDeps:
    """What the handlers get as `ctx.deps` (built by app.wire)."""

    served_shops: frozenset[str]
    """Configured shops with an access token: the only ones whose shipments can be fulfilled."""
    settings: FulfillmentSyncSettings


Context = MessageContext[FulfillmentDeps]


async def on_shipment_confirmed(shipment: WmsShipmentConfirmed, ctx: Context) -> None:
    shop = ctx.shop
    await store.lock_wms_order(ctx.conn, shop, shipment.wms_order_ref)
    # Shipped before we heard that the order was sent (events on different exchanges overtake
    # each other): wait for orders.wms_order.sent, for a bounded time.
    wait_s = ctx.deps.settings.awaiting_order_minutes * 60
    new = NewShipment(shop, shipment, ctx.envelope.id, state="awaiting_order", wait_s=wait_s)
    if shop not in ctx.deps.served_shops:
        new = replace(
            new,
            state="failed",
            wait_s=None,
            reason_code="unknown_shop",
            reason=f"shop {shop} is not configured here, or has no access token",
        )
    elif fo := await store.fulfillment_order_of(ctx.conn, shop, shipment.wms_order_ref):
        new = replace(new, state="pending", wait_s=None, fulfillment_order_id=fo)
    if not await store.record_shipment(ctx.conn, new):
        log.info("shipment.repeat_ignored", shipment_id=shipment.shipment_id)
        return
    log.info("shipment.received", shipment_id=shipment.shipment_id, state=new.state)


async def on_wms_order_sent(sent: WmsOrderSent, ctx: Context) -> None:
    shop = ctx.shop
    await store.lock_wms_order(ctx.conn, shop, sent.wms_order_ref)
    learned = await store.record_wms_order(ctx.conn, shop, sent)
    if learned is None:
        return  # a repeat of a send already known, or an older one
    if learned == "resent":
        log.info("wms_order.resent", wms_order_ref=sent.wms_order_ref)
    released = await store.release_awaiting(ctx.conn, shop, sent, resent=learned == "resent")
    if released:
        log.info("shipments.order_now_known", wms_order_ref=sent.wms_order_ref, shipments=released)
        await store.SHIPMENTS.wake(ctx.conn)


async def on_wms_order_reduced(reduced: WmsOrderReduced, ctx: Context) -> None:
    """order-intake had units taken out of a WMS order (or had it cancelled): its shipments
    count against what it holds now, from the next claim on. If what it holds now has all
    shipped, nothing more will: say so once, with its last synced shipment."""
    shop, conn = ctx.shop, ctx.conn
    await store.lock_wms_order(conn, shop, reduced.wms_order_ref)
    if not await store.record_reduction(conn, shop, reduced):
        log.info("wms_order.reduction_repeat_ignored", wms_order_ref=reduced.wms_order_ref)
        return
    log.info(
        "wms_order.reduced",
        wms_order_ref=reduced.wms_order_ref,
        cancelled=reduced.cancelled,
        units=sum(line.quantity for line in reduced.lines),
    )
    done = await store.completion(conn, shop, reduced.wms_order_ref)
    # Unknown send: its shipments will be planned against this reduction once it is known.
    # Shipments still to sync: the last of them says whether the order is complete.
    if done is None or not done.newly or done.unsynced_shipments:
        return
    if done.last_synced is None:
        # Cancelled (or reduced to nothing) before anything shipped: no shipment to announce;
        # order-intake knows it cancelled it.
        return
    last = done.last_synced
    await store.mark_completed(conn, [(shop, reduced.wms_order_ref)])
    await add_to_outbox(
        conn,
        synced_event(
            shop,
            last.order,
            shipment_id=last.shipment_id,
            fulfillment_id=last.fulfillment_id,
            lines=last.lines,
            complete=True,
            causation_id=ctx.envelope.id,
        ),
    )
    log.info(
        "wms_order.complete_after_reduction",
        wms_order_ref=reduced.wms_order_ref,
        shipment_id=last.shipment_id,
    )
