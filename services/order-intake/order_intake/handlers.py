"""Message handlers: webhooks become sync requests; WMS answers are recorded.

Webhook handlers never call Shopify: the webhook is a trigger, the GraphQL order is the truth.
They only note, in the consumer's transaction, that the order must be read again; the sync
worker reads many such orders with one query. Duplicated, reordered or late webhooks therefore
all collapse into "read this order", which is what makes them harmless.

`fulfillment_orders/*` webhooks name FOs, not the order: the FO ids in the body are looked up
among the FOs of orders already read (every FO of an order is kept at each read, sent or not).
An FO never seen belongs to an order this service has not read yet; that order's own webhooks
and the polling download bring it in, so such a webhook is only logged.

The WMS's answers to our reduces and cancels update what its orders hold, then ask for the
order to be decided again: the new work that waited for the answer goes out then.

Which message types reach which handler is app.py's ROUTES; the shops file comes as `ctx.deps`.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import structlog

from contracts import (
    FulfillmentOrderLineRef,
    FulfillmentOrderNotification,
    ShopifyWebhook,
    WmsOrderAccepted,
    WmsOrderCancelResult,
    WmsOrderReduced,
    WmsOrderReduceResult,
    WmsOrderRejected,
)
from messaging import MessageContext
from order_intake import request_store, requests, store
from order_intake.deps import IntakeDeps
from order_intake.installations import still_uninstalled
from shop_config import ShopConfig

log = structlog.get_logger(__name__)


def order_gid_of(payload: dict[str, Any]) -> str | None:
    """The order's GID from a REST-shaped order webhook body (`orders/edited`: its
    `order_edit.order_id`)."""
    edit = payload.get("order_edit")
    if isinstance(edit, dict):
        return _gid("Order", edit.get("order_id"))
    gid = payload.get("admin_graphql_api_id")
    if isinstance(gid, str) and gid.startswith("gid://shopify/Order/"):
        return gid
    order_id = payload.get("id")
    if isinstance(order_id, int) or (isinstance(order_id, str) and order_id.isdigit()):
        return f"gid://shopify/Order/{order_id}"
    return None


def _gid(kind: str, value: Any) -> str | None:
    """A GID from a GID or a numeric id (Shopify's webhook bodies use both)."""
    if isinstance(value, str) and value.startswith(f"gid://shopify/{kind}/"):
        return value
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return f"gid://shopify/{kind}/{value}"
    return None


# Where the fulfillment_orders/* bodies name FOs (WH samples in shared/shopify/webhooks).
_FO_OBJECT_KEYS = (
    "fulfillment_order",
    "original_fulfillment_order",
    "moved_fulfillment_order",
    "remaining_fulfillment_order",
    "replacement_fulfillment_order",
    "submitted_fulfillment_order",
)


def fulfillment_order_ids_of(payload: dict[str, Any]) -> list[str]:
    """Every FO GID a fulfillment_orders/* body names: original, moved, remaining, split,
    replacement and merged FOs, as GIDs or numeric ids; sorted, without repeats."""

    def named(node: Any) -> Iterator[Any]:
        if isinstance(node, dict):
            for key in _FO_OBJECT_KEYS:
                inner = node.get(key)
                if isinstance(inner, dict):
                    yield inner.get("id")
            for intent in node.get("merge_intents") or ():
                if isinstance(intent, dict):
                    yield intent.get("fulfillment_order_id")
            merges = node.get("fulfillment_order_merges")
            # An object in the sample, a list in the GraphQL payload: both are read.
            for merge in merges if isinstance(merges, list) else [merges]:
                yield from named(merge)

    ids = {gid for value in named(payload) if (gid := _gid("FulfillmentOrder", value))}
    return sorted(ids)


def _shop_of(webhook: ShopifyWebhook, ctx: MessageContext[IntakeDeps]) -> ShopConfig | None:
    """The shop a webhook is about; None (logged) for a shop not configured here, whose webhook
    is dropped."""
    shop = ctx.deps.shops.get(ctx.shop)
    if shop is None:
        log.warning("webhook.unknown_shop_ignored", topic=webhook.topic)
    return shop


# Topics about requests to a fulfillment service: Shopify waits for the service's answer, so an
# FO not seen yet is looked for among the service's assigned FOs rather than left to polling.
_REQUEST_TOPICS = frozenset(
    {
        "fulfillment_orders/fulfillment_request_submitted",
        "fulfillment_orders/cancellation_request_submitted",
    }
)


async def on_fulfillment_order_webhook(
    webhook: ShopifyWebhook, ctx: MessageContext[IntakeDeps]
) -> None:
    shop = _shop_of(webhook, ctx)
    if shop is None:
        return
    requests_topic = webhook.topic in _REQUEST_TOPICS and shop.service_facilities
    if shop.order_download.mode == "polling" and not requests_topic:
        return  # the shop asked for polling only: its download will find the change
    fo_ids = fulfillment_order_ids_of(webhook.payload)
    if not fo_ids:
        raise ValueError(f"{webhook.topic} webhook names no fulfillment order")
    order_gids = await store.orders_of_fulfillment_orders(ctx.conn, shop.domain, fo_ids)
    if not order_gids and requests_topic:
        for facility in shop.service_facilities:
            await request_store.request_scan(ctx.conn, shop.domain, facility, webhook.topic)
        return
    if not order_gids:
        log.info("webhook.fulfillment_orders_not_known", topic=webhook.topic, ids=fo_ids)
        return
    for order_gid in order_gids:
        await store.request_sync(ctx.conn, shop.domain, order_gid, f"webhook {webhook.topic}")


async def on_order_webhook(webhook: ShopifyWebhook, ctx: MessageContext[IntakeDeps]) -> None:
    shop = _shop_of(webhook, ctx)
    if shop is None:
        return
    order_gid = order_gid_of(webhook.payload)
    reason = f"webhook {webhook.topic}"
    takes_webhooks = shop.order_download.mode != "polling"
    # The common case, in one statement: the sync is requested unless the shop is uninstalled.
    if (
        takes_webhooks
        and order_gid is not None
        and await store.request_sync(ctx.conn, shop.domain, order_gid, reason)
    ):
        return
    if await still_uninstalled(ctx.conn, shop.domain, webhook.triggered_at):
        log.info("webhook.uninstalled_shop_ignored", topic=webhook.topic)
        return
    if not takes_webhooks:
        return  # the shop asked for polling only: its download will find the order
    if order_gid is None:
        # Retrying cannot fix the body: fail so it is kept as a dead letter with the reason.
        raise ValueError(f"{webhook.topic} webhook without an order id")
    await store.request_sync(ctx.conn, shop.domain, order_gid, reason)  # reinstated just now


async def on_fulfillment_order_notification(
    notification: FulfillmentOrderNotification, ctx: MessageContext[IntakeDeps]
) -> None:
    """Shopify asks a fulfillment service to look at its requests: read them (a scan)."""
    shop = ctx.deps.shops.get(ctx.shop)
    if shop is None or not shop.is_service_facility(notification.facility):
        log.warning("notification.not_a_service_facility", facility=notification.facility)
        return
    await request_store.request_scan(
        ctx.conn, shop.domain, notification.facility, f"notification {notification.kind}"
    )


async def on_wms_accepted(answer: WmsOrderAccepted, ctx: MessageContext[IntakeDeps]) -> None:
    await _record_answer(ctx, answer.wms_order_ref, "accepted", None)


async def on_wms_rejected(answer: WmsOrderRejected, ctx: MessageContext[IntakeDeps]) -> None:
    await _record_answer(ctx, answer.wms_order_ref, "rejected", answer.reason)


async def _record_answer(
    ctx: MessageContext[IntakeDeps], wms_order_ref: str, state: str, reason: str | None
) -> None:
    answered = await store.record_wms_answer(ctx.conn, ctx.shop, wms_order_ref, state, reason)
    if answered is None:
        # Not ours (another integration on the same WMS, or a typo on its side): nothing to do.
        log.warning("wms.answer_for_unknown_order", wms_order_ref=wms_order_ref, state=state)
        return
    if state == "rejected":
        log.warning("wms.order_rejected", wms_order_ref=wms_order_ref, reason=reason)
    shop = ctx.deps.shops.get(ctx.shop)
    if shop is not None and shop.is_service_facility(answered.facility) and answered.first_answer:
        # The fulfillment request is answered as the WMS answered, without reading the order
        # again: the FO was SUBMITTED when it was sent, and if the merchant has withdrawn it
        # since, Shopify refuses the answer and the worker reads the order (request_answers).
        owed = requests.answer_to_wms(answered.fulfillment_order_id, wms_order_ref, reason)
        await request_store.owe_answers(
            ctx.conn, shop.domain, [(answered.order_gid, answered.order_name, owed)]
        )


async def on_reduce_result(result: WmsOrderReduceResult, ctx: MessageContext[IntakeDeps]) -> None:
    outcome = "done" if result.outcome == "reduced" else "refused"
    await _change_answered(ctx, result.wms_order_ref, "reduce", outcome, result.reason)


async def on_cancel_result(result: WmsOrderCancelResult, ctx: MessageContext[IntakeDeps]) -> None:
    outcome = "done" if result.outcome == "cancelled" else "refused"
    await _change_answered(ctx, result.wms_order_ref, "cancel", outcome, result.reason)


async def _change_answered(
    ctx: MessageContext[IntakeDeps],
    wms_order_ref: str,
    kind: str,
    outcome: str,
    reason: str | None,
) -> None:
    shop = ctx.shop
    answered = await store.answer_change(ctx.conn, shop, wms_order_ref, kind, outcome, reason)
    if answered is None:
        # Repeated, late, or an answer to a cancel the cancellation service sent: not ours.
        log.info("wms.change_answer_ignored", wms_order_ref=wms_order_ref, kind=kind)
        return
    if outcome == "refused":
        # Nothing new goes out for the order (its units may still be at the warehouse): the
        # refusal is on /status until an operator re-syncs the order. At a fulfillment service
        # the merchant's cancellation request is then rejected: the order is decided again.
        log.warning("wms.change_refused", wms_order_ref=wms_order_ref, kind=kind, reason=reason)
        config = ctx.deps.shops.get(shop)
        if config is not None and config.is_service_facility(answered.facility):
            await store.request_sync(ctx.conn, shop, answered.order_gid, f"wms {kind} refused")
        return
    log.info("wms.change_confirmed", wms_order_ref=wms_order_ref, kind=kind)
    reduced = WmsOrderReduced(
        wms_order_ref=wms_order_ref,
        shopify_order_id=answered.order_gid,
        fulfillment_order_id=answered.fulfillment_order_id,
        cancelled=kind == "cancel",
        lines=[FulfillmentOrderLineRef.model_validate(line) for line in answered.lines],
        confirmed_at=datetime.now(UTC),
    )
    await ctx.emit("orders.wms_order.reduced", reduced)
    # Units that waited for this answer (split off, moved, merged in) can go out now.
    await store.request_sync(ctx.conn, shop, answered.order_gid, f"wms {kind} confirmed")
