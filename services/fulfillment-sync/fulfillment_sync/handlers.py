"""Message handlers: shipments are recorded, WMS orders learned; Shopify is never called here.

A handler runs inside the consumer's transaction, and a Shopify call can take seconds (the
shop's bucket, retries): holding the transaction that long would stall the queue. So a handler
only records the shipment, in the same transaction as the inbox entry, and wakes the worker
(worker.py), which makes the fulfillment. A repeat of the same shipment (same message, or the
same shipment_id in a new message) finds its row and does nothing.
"""

from collections.abc import Collection
from dataclasses import replace

import structlog

from contracts import WmsOrderSent, WmsShipmentConfirmed
from fulfillment_sync import store
from fulfillment_sync.settings import FulfillmentSyncSettings
from fulfillment_sync.store import NewShipment
from messaging import Handler, MessageContext

log = structlog.get_logger(__name__)


def shipment_handler(served_shops: Collection[str], settings: FulfillmentSyncSettings) -> Handler:
    """`served_shops`: configured shops with an access token (the only ones we can fulfil)."""
    wait_s = settings.awaiting_order_minutes * 60

    async def on_shipment_confirmed(ctx: MessageContext) -> None:
        shipment = ctx.envelope.data
        assert isinstance(shipment, WmsShipmentConfirmed)
        shop = ctx.envelope.shop
        await store.lock_wms_order(ctx.conn, shop, shipment.wms_order_ref)
        # Shipped before we heard that the order was sent (events on different exchanges overtake
        # each other): wait for orders.wms_order.sent, for a bounded time.
        new = NewShipment(shop, shipment, ctx.envelope.id, state="awaiting_order", wait_s=wait_s)
        if shop not in served_shops:
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

    return on_shipment_confirmed


async def on_wms_order_sent(ctx: MessageContext) -> None:
    sent = ctx.envelope.data
    assert isinstance(sent, WmsOrderSent)
    shop = ctx.envelope.shop
    await store.lock_wms_order(ctx.conn, shop, sent.wms_order_ref)
    if not await store.record_wms_order(ctx.conn, shop, sent):
        return  # a repeat: the mapping of a WMS reference never changes
    released = await store.release_awaiting(ctx.conn, shop, sent)
    if released:
        log.info("shipments.order_now_known", wms_order_ref=sent.wms_order_ref, shipments=released)
        await store.wake_worker(ctx.conn)


def message_handlers(
    served_shops: Collection[str], settings: FulfillmentSyncSettings
) -> dict[str, Handler]:
    return {
        "wms.shipment.confirmed": shipment_handler(served_shops, settings),
        "orders.wms_order.sent": on_wms_order_sent,
    }
