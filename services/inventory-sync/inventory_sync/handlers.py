"""Message handlers: record what each message says, in the consumer's transaction.

None of them calls Shopify. A snapshot part is stored (`assembly.py` sees when the snapshot is
complete). An adjustment newer than what was applied for its SKU becomes the SKU's
truth and, in a realtime feed, marks it for the next push. Order events keep the count of units
in flight (see `domain`). A restock is applied once per `restock_id`.
"""

import structlog

from contracts import (
    OrderRestocked,
    ShopifyOrderCancelled,
    ShopifyWebhook,
    WmsInventoryAdjusted,
    WmsInventorySnapshot,
    WmsOrderAccepted,
    WmsOrderCancelled,
    WmsOrderCancelResult,
    WmsOrderRejected,
    WmsOrderSent,
)
from inventory_sync import domain, inflight, snapshots, stock
from inventory_sync.feeds import Feeds
from messaging import Handler, MessageContext

log = structlog.get_logger(__name__)


def message_handlers(feeds: Feeds) -> dict[str, Handler]:
    async def on_snapshot_part(ctx: MessageContext) -> None:
        part = ctx.envelope.data
        assert isinstance(part, WmsInventorySnapshot)
        shop = ctx.envelope.shop
        feed = feeds.get(shop, part.facility)
        outcome = await snapshots.record_part(ctx.conn, shop, part, facility_known=feed is not None)
        if outcome != "stored":
            log.info(
                f"snapshot.part_{outcome}",
                snapshot_id=part.snapshot_id,
                facility=part.facility,
                part=part.part,
            )

    async def on_adjusted(ctx: MessageContext) -> None:
        adjusted = ctx.envelope.data
        assert isinstance(adjusted, WmsInventoryAdjusted)
        feed = feeds.get(ctx.envelope.shop, adjusted.facility)
        if feed is None:
            log.warning("adjustment.facility_not_fed", facility=adjusted.facility)
            return
        if not await stock.apply_adjustment(ctx.conn, feed.shop, adjusted):
            log.info("adjustment.late_ignored", sku=adjusted.sku, as_of=adjusted.as_of.isoformat())
            return
        if feed.realtime:
            await stock.mark_dirty(ctx.conn, feed.shop, feed.facility, [adjusted.sku])

    async def on_order_sent(ctx: MessageContext) -> None:
        sent = ctx.envelope.data
        assert isinstance(sent, WmsOrderSent)
        await inflight.record_sent(ctx.conn, ctx.envelope.shop, sent)

    async def on_accepted(ctx: MessageContext) -> None:
        answer = ctx.envelope.data
        assert isinstance(answer, WmsOrderAccepted)
        await _answer(ctx, answer.wms_order_ref, "accepted")

    async def on_rejected(ctx: MessageContext) -> None:
        answer = ctx.envelope.data
        assert isinstance(answer, WmsOrderRejected)
        facility, skus = await _answer(ctx, answer.wms_order_ref, "rejected")
        # The units were never counted by the warehouse and are no longer demand: its own
        # stock did not change, so no adjustment will come; decide the SKUs again now.
        feed = feeds.get(ctx.envelope.shop, facility) if facility else None
        if feed is not None and feed.realtime:
            await stock.mark_dirty(ctx.conn, feed.shop, feed.facility, skus)

    async def on_wms_cancelled(ctx: MessageContext) -> None:
        cancelled = ctx.envelope.data
        assert isinstance(cancelled, WmsOrderCancelled)
        await _answer(ctx, cancelled.wms_order_ref, "cancelled")

    async def on_cancel_result(ctx: MessageContext) -> None:
        result = ctx.envelope.data
        assert isinstance(result, WmsOrderCancelResult)
        if result.outcome == "cancelled":
            await _answer(ctx, result.wms_order_ref, "cancelled")

    async def on_restocked(ctx: MessageContext) -> None:
        restock = ctx.envelope.data
        assert isinstance(restock, OrderRestocked)
        shop = ctx.envelope.shop
        if not await inflight.first_restock(ctx.conn, shop, restock.restock_id):
            log.info("restock.duplicate_ignored", restock_id=restock.restock_id)
            return
        at = ctx.envelope.occurred_at
        await inflight.record_answer(ctx.conn, shop, restock.wms_order_ref, "cancelled", at)
        await inflight.cancel_placed(ctx.conn, shop, restock.shopify_order_id, at)
        location_id = domain.gid_number(restock.location_id, "Location")
        if restock.restocked_in_shopify and location_id is not None:
            units: dict[str, int] = {}
            for line in restock.lines:
                units[line.sku] = units.get(line.sku, 0) + line.quantity
            await stock.add_to_tracked(ctx.conn, shop, location_id, units)
        log.info(
            "restock.applied",
            restock_id=restock.restock_id,
            restocked_in_shopify=restock.restocked_in_shopify,
        )

    async def on_order_placed(ctx: MessageContext) -> None:
        webhook = ctx.envelope.data
        assert isinstance(webhook, ShopifyWebhook)
        shop = ctx.envelope.shop
        order_gid = webhook.payload.get("admin_graphql_api_id")
        if not any(f.shop == shop for f in feeds) or not isinstance(order_gid, str):
            return
        units = domain.placed_units(webhook.payload)
        await inflight.record_placed(ctx.conn, shop, order_gid, units, webhook.received_at)

    async def on_order_cancelled(ctx: MessageContext) -> None:
        cancelled = ctx.envelope.data
        assert isinstance(cancelled, ShopifyOrderCancelled)
        await inflight.cancel_placed(
            ctx.conn, ctx.envelope.shop, cancelled.shopify_order_id, cancelled.cancelled_at
        )

    async def _answer(ctx: MessageContext, ref: str, answer: str) -> tuple[str | None, list[str]]:
        return await inflight.record_answer(
            ctx.conn, ctx.envelope.shop, ref, answer, ctx.envelope.occurred_at
        )

    return {
        "wms.inventory.snapshot": on_snapshot_part,
        "wms.inventory.adjusted": on_adjusted,
        "orders.wms_order.sent": on_order_sent,
        "wms.order.accepted": on_accepted,
        "wms.order.rejected": on_rejected,
        "wms.order.cancelled": on_wms_cancelled,
        "wms.order.cancel_result": on_cancel_result,
        "cancellations.order.restocked": on_restocked,
        "shopify.webhook.orders.create": on_order_placed,
        "orders.order.cancelled": on_order_cancelled,
    }
