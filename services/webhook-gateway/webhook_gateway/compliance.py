"""The gateway's handlers of the webhooks about shops and customers rather than orders.

The gateway publishes every webhook and also consumes these few, for its own tables (app.py
routes them):
- app/uninstalled: stop healing the shop's subscriptions (its token is revoked);
- customers/data_request: keep the request (ids only) until an operator exports the data;
- customers/redact, shop/redact: erase what the gateway holds: webhook bodies still in its
  outbox or dead letters, and the customer's data requests (or everything of the shop).

Each needs only the message and its transaction: the gateway's handlers have no dependencies
(`MessageContext[None]`); what they record, the healer and the operator endpoints read back
from the tables.
"""

from datetime import datetime

import structlog

from contracts import ShopifyWebhook
from messaging import MessageContext
from messaging.personal_data import MessageSelection, erase_personal_data_in_messages
from shopify_admin.compliance import customer_request
from webhook_gateway import shop_records

log = structlog.get_logger(__name__)


async def on_app_uninstalled(webhook: ShopifyWebhook, ctx: MessageContext[None]) -> None:
    at: datetime = webhook.triggered_at or webhook.received_at
    await shop_records.record_uninstall(ctx.conn, ctx.shop, at)
    log.warning("shop.uninstalled", at=at.isoformat())


async def on_data_request(webhook: ShopifyWebhook, ctx: MessageContext[None]) -> None:
    request = customer_request(webhook.payload)
    # Shopify's request id when given; the delivery's id otherwise, so it is still kept once.
    request_id = request.data_request_id or webhook.webhook_id
    await shop_records.record_data_request(
        ctx.conn, ctx.shop, request_id, request.customer_id, request.order_gids
    )
    log.warning("privacy.data_request_received", request_id=request_id)


async def on_customer_redact(webhook: ShopifyWebhook, ctx: MessageContext[None]) -> None:
    request = customer_request(webhook.payload)
    await shop_records.forget_customer(ctx.conn, ctx.shop, request.customer_id, request.order_gids)
    selection = MessageSelection.about_orders(ctx.shop, request.order_gids, request.contacts)
    erased = await erase_personal_data_in_messages(ctx.conn, selection)
    log.info("privacy.customer_redacted", orders=len(request.order_gids), messages=erased)


async def on_shop_redact(_: ShopifyWebhook, ctx: MessageContext[None]) -> None:
    await shop_records.forget_shop(ctx.conn, ctx.shop)
    erased = await erase_personal_data_in_messages(
        ctx.conn, MessageSelection(ctx.shop, whole_shop=True)
    )
    log.info("privacy.shop_redacted", messages=erased)
