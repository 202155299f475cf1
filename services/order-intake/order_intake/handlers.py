"""Message handlers: webhooks become sync requests; WMS answers are recorded.

Webhook handlers never call Shopify: the webhook is a trigger, the GraphQL order is the truth.
They only note, in the consumer's transaction, that the order must be read again; the sync
worker reads many such orders with one query. Duplicated, reordered or late webhooks therefore
all collapse into "read this order", which is what makes them harmless.
"""

from typing import Any

import structlog

from contracts import ShopifyWebhook, WmsOrderAccepted, WmsOrderRejected
from messaging import Handler, MessageContext
from order_intake import store
from order_intake.installations import still_uninstalled
from shop_config import ShopsConfig

log = structlog.get_logger(__name__)

ORDER_WEBHOOK_TYPES = (
    "shopify.webhook.orders.create",
    "shopify.webhook.orders.paid",
    "shopify.webhook.orders.updated",
    "shopify.webhook.orders.cancelled",
)


def order_gid_of(payload: dict[str, Any]) -> str | None:
    """The order's GID from a REST-shaped order webhook body."""
    gid = payload.get("admin_graphql_api_id")
    if isinstance(gid, str) and gid.startswith("gid://shopify/Order/"):
        return gid
    order_id = payload.get("id")
    if isinstance(order_id, int) or (isinstance(order_id, str) and order_id.isdigit()):
        return f"gid://shopify/Order/{order_id}"
    return None


def order_webhook_handler(shops: ShopsConfig) -> Handler:
    async def on_order_webhook(ctx: MessageContext) -> None:
        webhook = ctx.envelope.data
        assert isinstance(webhook, ShopifyWebhook)
        shop = shops.get(ctx.envelope.shop)
        if shop is None:
            log.warning("webhook.unknown_shop_ignored", topic=webhook.topic)
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

    return on_order_webhook


async def on_wms_accepted(ctx: MessageContext) -> None:
    answer = ctx.envelope.data
    assert isinstance(answer, WmsOrderAccepted)
    await _record_answer(ctx, answer.wms_order_ref, "accepted", None)


async def on_wms_rejected(ctx: MessageContext) -> None:
    answer = ctx.envelope.data
    assert isinstance(answer, WmsOrderRejected)
    await _record_answer(ctx, answer.wms_order_ref, "rejected", answer.reason)


async def _record_answer(
    ctx: MessageContext, wms_order_ref: str, state: str, reason: str | None
) -> None:
    known = await store.record_wms_answer(ctx.conn, ctx.envelope.shop, wms_order_ref, state, reason)
    if not known:
        # Not ours (another integration on the same WMS, or a typo on its side): nothing to do.
        log.warning("wms.answer_for_unknown_order", wms_order_ref=wms_order_ref, state=state)
    elif state == "rejected":
        log.warning("wms.order_rejected", wms_order_ref=wms_order_ref, reason=reason)


def message_handlers(shops: ShopsConfig) -> dict[str, Handler]:
    on_webhook = order_webhook_handler(shops)
    return {
        **dict.fromkeys(ORDER_WEBHOOK_TYPES, on_webhook),
        "wms.order.accepted": on_wms_accepted,
        "wms.order.rejected": on_wms_rejected,
    }
