"""Message handlers: record what each message says, in the consumer's transaction.

None of them calls Shopify. A snapshot part is stored (`assembly.py` sees when the snapshot is
complete). An adjustment newer than what was applied for its SKU becomes the SKU's
truth and, in a realtime feed, marks it for the next push. Order events keep the count of units
in flight (see `domain`). A restock is applied once per `restock_id`. A fulfillment service's
registration is recorded once per change (registrations.py); a feed that can push now where it
could not gets a full sync.

A feed of a fulfillment service facility whose registration is not known yet still records what
the warehouse says (snapshot parts, adjustments, dirty SKUs): the first push once it is known is
then right.

Each handler takes its payload typed and reads the configured feeds from `ctx.deps`; `app.py`
routes the message types to them.
"""

import structlog

from contracts import (
    FulfillmentServiceRegistered,
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
from inventory_sync import domain, inflight, registrations, snapshots, stock
from inventory_sync.deps import InventoryDeps
from inventory_sync.feeds import registration_effect
from messaging import MessageContext

log = structlog.get_logger(__name__)


Context = MessageContext[InventoryDeps]


async def on_snapshot_part(part: WmsInventorySnapshot, ctx: Context) -> None:
    feed = ctx.deps.feeds.state(ctx.shop, part.facility)
    outcome = await snapshots.record_part(ctx.conn, ctx.shop, part, facility_known=feed is not None)
    if outcome != "stored":
        log.info(
            f"snapshot.part_{outcome}",
            snapshot_id=part.snapshot_id,
            facility=part.facility,
            part=part.part,
        )


async def on_adjusted(adjusted: WmsInventoryAdjusted, ctx: Context) -> None:
    feed = ctx.deps.feeds.state(ctx.shop, adjusted.facility)
    if feed is None:
        log.warning("adjustment.facility_not_fed", facility=adjusted.facility)
        return
    if not await stock.apply_adjustment(ctx.conn, feed.shop, adjusted):
        log.info("adjustment.late_ignored", sku=adjusted.sku, as_of=adjusted.as_of.isoformat())
        return
    if feed.realtime:
        await stock.mark_dirty(ctx.conn, feed.shop, feed.facility, [adjusted.sku])


async def on_order_sent(sent: WmsOrderSent, ctx: Context) -> None:
    await inflight.record_sent(ctx.conn, ctx.shop, sent)


async def on_accepted(answer: WmsOrderAccepted, ctx: Context) -> None:
    await _answer(ctx, answer.wms_order_ref, "accepted")


async def on_rejected(answer: WmsOrderRejected, ctx: Context) -> None:
    facility, skus = await _answer(ctx, answer.wms_order_ref, "rejected")
    # The units were never counted by the warehouse and are no longer demand: its own
    # stock did not change, so no adjustment will come; decide the SKUs again now.
    feed = ctx.deps.feeds.state(ctx.shop, facility) if facility else None
    if feed is not None and feed.realtime:
        await stock.mark_dirty(ctx.conn, feed.shop, feed.facility, skus)


async def on_wms_cancelled(cancelled: WmsOrderCancelled, ctx: Context) -> None:
    await _answer(ctx, cancelled.wms_order_ref, "cancelled")


async def on_cancel_result(result: WmsOrderCancelResult, ctx: Context) -> None:
    if result.outcome == "cancelled":
        await _answer(ctx, result.wms_order_ref, "cancelled")


async def on_restocked(restock: OrderRestocked, ctx: Context) -> None:
    shop = ctx.shop
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


async def on_order_placed(webhook: ShopifyWebhook, ctx: Context) -> None:
    shop = ctx.shop
    order_gid = webhook.payload.get("admin_graphql_api_id")
    if shop not in ctx.deps.feeds.shops() or not isinstance(order_gid, str):
        return
    units = domain.placed_units(webhook.payload)
    await inflight.record_placed(ctx.conn, shop, order_gid, units, webhook.received_at)


async def on_order_cancelled(cancelled: ShopifyOrderCancelled, ctx: Context) -> None:
    await inflight.cancel_placed(
        ctx.conn, ctx.shop, cancelled.shopify_order_id, cancelled.cancelled_at
    )


async def on_fulfillment_service_registered(
    registered: FulfillmentServiceRegistered, ctx: Context
) -> None:
    shop, facility = ctx.shop, registered.facility
    changed = await registrations.record(ctx.conn, shop, registered, ctx.envelope.occurred_at)
    if changed is None:
        return  # the same registration checked again, or an older check arriving late
    previous, current = changed
    log.info(
        "fulfillment_service.registered",
        facility=facility,
        location_id=registered.location_id,
        inventory_management=registered.inventory_management,
        known_before=previous is not None,
    )
    feed = ctx.deps.feeds.state(shop, facility)
    if feed is None or feed.connected_as != "fulfillment_service":
        return  # no feed here reads it (kept: a later shops file may give the facility one)
    effect = registration_effect(previous, current)
    if effect.moved_from is not None:
        dropped = await registrations.drop_pushes_for(ctx.conn, shop, facility, effect.moved_from)
        log.warning(
            "fulfillment_service.location_moved",
            facility=facility,
            old_location_id=domain.location_gid(effect.moved_from),
            targets_dropped=dropped,
        )
    if effect.full_sync and await registrations.sync_after_registration(ctx.conn, shop, facility):
        log.info("fulfillment_service.full_sync_queued", facility=facility)


async def _answer(ctx: Context, ref: str, answer: str) -> tuple[str | None, list[str]]:
    return await inflight.record_answer(ctx.conn, ctx.shop, ref, answer, ctx.envelope.occurred_at)
