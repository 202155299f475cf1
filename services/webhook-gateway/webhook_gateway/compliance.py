"""The gateway's handlers of the webhooks about shops and customers rather than orders.

The gateway publishes every webhook and also consumes these few, for its own tables:
- app/uninstalled: stop healing the shop's subscriptions (its token is revoked);
- customers/data_request: keep the request (ids only) until an operator exports the data;
- customers/redact, shop/redact: erase what the gateway holds: webhook bodies still in its
  outbox or dead letters, and the customer's data requests (or everything of the shop).
"""

from datetime import datetime

import structlog

from contracts import ShopifyWebhook
from messaging import Handler, MessageContext
from messaging.personal_data import MessageSelection, erase_personal_data_in_messages
from shopify_admin.compliance import customer_request
from webhook_gateway import shop_records

log = structlog.get_logger(__name__)


def _webhook(ctx: MessageContext) -> ShopifyWebhook:
    webhook = ctx.envelope.data
    assert isinstance(webhook, ShopifyWebhook)
    return webhook


async def on_app_uninstalled(ctx: MessageContext) -> None:
    webhook = _webhook(ctx)
    at: datetime = webhook.triggered_at or webhook.received_at
    await shop_records.record_uninstall(ctx.conn, ctx.envelope.shop, at)
    log.warning("shop.uninstalled", at=at.isoformat())


async def on_data_request(ctx: MessageContext) -> None:
    request = customer_request(_webhook(ctx).payload)
    # Shopify's request id when given; the delivery's id otherwise, so it is still kept once.
    request_id = request.data_request_id or _webhook(ctx).webhook_id
    await shop_records.record_data_request(
        ctx.conn, ctx.envelope.shop, request_id, request.customer_id, request.order_gids
    )
    log.warning("privacy.data_request_received", request_id=request_id)


async def on_customer_redact(ctx: MessageContext) -> None:
    shop = ctx.envelope.shop
    request = customer_request(_webhook(ctx).payload)
    await shop_records.forget_customer(ctx.conn, shop, request.customer_id, request.order_gids)
    selection = MessageSelection.about_orders(shop, request.order_gids, request.contacts)
    erased = await erase_personal_data_in_messages(ctx.conn, selection)
    log.info("privacy.customer_redacted", orders=len(request.order_gids), messages=erased)


async def on_shop_redact(ctx: MessageContext) -> None:
    shop = ctx.envelope.shop
    await shop_records.forget_shop(ctx.conn, shop)
    erased = await erase_personal_data_in_messages(
        ctx.conn, MessageSelection(shop, whole_shop=True)
    )
    log.info("privacy.shop_redacted", messages=erased)


def compliance_handlers() -> dict[str, Handler]:
    return {
        "shopify.webhook.app.uninstalled": on_app_uninstalled,
        "shopify.webhook.customers.data_request": on_data_request,
        "shopify.webhook.customers.redact": on_customer_redact,
        "shopify.webhook.shop.redact": on_shop_redact,
    }
