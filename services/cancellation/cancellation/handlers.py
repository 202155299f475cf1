"""Message handlers: load, decide (domain.py), save and send, all in the consumer's transaction.

None of them calls Shopify: a warehouse cancellation is only recorded here, and the Shopify worker
(shopify_worker.py) does the Shopify side outside any long transaction. So they need nothing but
the message and the transaction: the service's handler dependencies are `None`. They are routed
in app.py.
"""

from datetime import UTC, datetime
from typing import TypeAlias

import structlog

from cancellation import domain, messages, store
from cancellation.domain import WmsOrder
from cancellation.shopify_payloads import SeenCancellation, cancellation_from_webhook
from contracts import (
    ShipmentSynced,
    ShopifyOrderCancelled,
    ShopifyWebhook,
    WmsOrderCancelled,
    WmsOrderCancelResult,
    WmsOrderReduced,
    WmsOrderRejected,
    WmsOrderSent,
    WmsShipmentConfirmed,
)
from messaging import MessageContext

log = structlog.get_logger(__name__)

Context: TypeAlias = MessageContext[None]


# --- Shopify -> WMS ----------------------------------------------------------------------------


async def on_cancelled_webhook(webhook: ShopifyWebhook, ctx: Context) -> None:
    # A body without an order id raises: kept as a dead letter with the reason.
    seen = cancellation_from_webhook(webhook.payload, webhook.received_at)
    await _shopify_cancelled(ctx, seen, "webhook")


async def on_order_cancelled(event: ShopifyOrderCancelled, ctx: Context) -> None:
    seen = SeenCancellation(
        order_gid=event.shopify_order_id,
        order_name=event.shopify_order_name,
        cancelled_at=event.cancelled_at,
        reason=event.reason,
    )
    await _shopify_cancelled(ctx, seen, "order-intake")


async def _shopify_cancelled(ctx: Context, seen: SeenCancellation, seen_via: str) -> None:
    """Once per order, however many ways it is heard of: every WMS order already sent is asked to
    cancel; those sent later are asked as their mapping arrives (on_wms_order_sent)."""
    shop, conn = ctx.shop, ctx.conn
    await store.lock_order(conn, shop, seen.order_gid)
    if not await store.record_order_cancellation(conn, shop, seen, seen_via):
        return
    log.info("cancellation.seen_in_shopify", order=seen.order_name, via=seen_via)
    for order in await store.wms_orders_of(conn, shop, seen.order_gid):
        await _cancel_at_warehouse(ctx, order, seen.reason)
    # The warehouse had cancelled some of it on its own and Shopify could not be told (or said
    # no): the order is cancelled in Shopify now, so the worker reads it back and settles them.
    await store.requeue_warehouse_cancellations(conn, shop, seen.order_gid)


async def on_wms_order_sent(sent: WmsOrderSent, ctx: Context) -> None:
    shop, conn = ctx.shop, ctx.conn
    await store.lock_order(conn, shop, sent.shopify_order_id)
    learned = await store.record_wms_order(conn, shop, sent)
    if learned is None:
        return  # a repeat of a send already known, or an older one
    if learned == "resent":
        # A rejected WMS order sent again: it may be in the warehouse now, with other lines.
        log.info("cancellation.wms_order_resent", wms_order_ref=sent.wms_order_ref)
    await store.wake_worker_if_pending(conn, shop, sent.wms_order_ref)
    cancelled = await store.order_cancellation(conn, shop, sent.shopify_order_id)
    if cancelled is None:
        return
    # The race: order-intake sent the create just before Shopify cancelled the order.
    order = await store.wms_order(conn, shop, sent.wms_order_ref)
    assert order is not None  # recorded just above
    log.info("cancellation.sent_after_cancel", wms_order_ref=sent.wms_order_ref)
    await _cancel_at_warehouse(ctx, order, cancelled.reason)


async def on_wms_order_reduced(reduced: WmsOrderReduced, ctx: Context) -> None:
    """order-intake had units taken out of a WMS order, or had it cancelled: from now on it
    counts with what it holds now (a Shopify cancellation asks nothing of one that is gone, and
    restocks and "shipped already" count only what it still holds). Kept even before its
    mapping: it is applied when the mapping arrives."""
    shop, conn = ctx.shop, ctx.conn
    await store.lock_order(conn, shop, reduced.shopify_order_id)
    if not await store.record_reduction(conn, shop, reduced):
        log.info("cancellation.reduction_repeat_ignored", wms_order_ref=reduced.wms_order_ref)
        return
    log.info(
        "cancellation.wms_order_reduced",
        wms_order_ref=reduced.wms_order_ref,
        cancelled=reduced.cancelled,
        units=sum(line.quantity for line in reduced.lines),
    )


async def _cancel_at_warehouse(ctx: Context, order: WmsOrder, reason: str | None) -> None:
    shop, conn = ctx.shop, ctx.conn
    step = domain.customer_cancel_step(
        order,
        asked_already=await store.cancel_request_exists(conn, shop, order.ref),
        cancelled_by_warehouse=await store.warehouse_cancellation_exists(conn, shop, order.ref),
    )
    if step == "ask_warehouse":
        await messages.ask_warehouse_to_cancel(
            conn, shop, order, reason, datetime.now(UTC), ctx.envelope.id
        )
    elif step == "shipped_already":
        why = f"shipped before the cancellation ({', '.join(order.shipment_ids) or 'all units'})"
        await store.insert_cancel_request(conn, shop, order, "shipped", why)
        log.warning("cancellation.cancelled_in_shopify_but_shipped", wms_order_ref=order.ref)


async def on_cancel_result(result: WmsOrderCancelResult, ctx: Context) -> None:
    shop, conn = ctx.shop, ctx.conn
    if not await store.answer_cancel_request(
        conn, shop, result.wms_order_ref, result.outcome, result.reason
    ):
        # A repeated answer, or one to a cancel we did not send: nothing changes.
        log.info("cancellation.answer_ignored", wms_order_ref=result.wms_order_ref)
        return
    if result.outcome == "refused":
        log.warning(
            "cancellation.cancelled_in_shopify_but_shipped",
            wms_order_ref=result.wms_order_ref,
            reason=result.reason,
        )
        return
    order = await store.wms_order(conn, shop, result.wms_order_ref)
    assert order is not None  # a cancel is only ever requested for a known WMS order
    await messages.announce_restock(
        conn,
        shop,
        order,
        restocked_in_shopify=domain.ASSUMED_MERCHANT_RESTOCK,
        causation_id=ctx.envelope.id,
    )


# --- what the warehouse did --------------------------------------------------------------------


async def on_shipment_confirmed(shipment: WmsShipmentConfirmed, ctx: Context) -> None:
    await store.record_shipment(
        ctx.conn,
        ctx.shop,
        shipment.shipment_id,
        shipment.wms_order_ref,
        [(line.sku, line.quantity) for line in shipment.lines],
        completes_order=False,  # counted against the WMS order's lines instead
    )


async def on_shipment_synced(synced: ShipmentSynced, ctx: Context) -> None:
    await store.record_shipment(
        ctx.conn,
        ctx.shop,
        synced.shipment_id,
        synced.wms_order_ref,
        [(line.sku, line.quantity) for line in synced.lines],
        completes_order=synced.fulfillment_order_complete,
    )


async def on_wms_rejected(rejected: WmsOrderRejected, ctx: Context) -> None:
    await store.record_rejection(
        ctx.conn,
        ctx.shop,
        rejected.wms_order_ref,
        rejected.reason,
        ctx.envelope.occurred_at,
    )


# --- WMS -> Shopify ----------------------------------------------------------------------------


async def on_warehouse_cancelled(cancelled: WmsOrderCancelled, ctx: Context) -> None:
    if await store.record_warehouse_cancellation(ctx.conn, ctx.shop, cancelled):
        log.info(
            "cancellation.cancelled_by_warehouse",
            wms_order_ref=cancelled.wms_order_ref,
            reason=cancelled.reason,
            restock=cancelled.restock,
        )
