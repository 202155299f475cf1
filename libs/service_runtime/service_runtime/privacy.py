"""Redaction for a service whose only personal data is in messages it holds.

A service that consumes a Shopify order webhook (a customer's name and address inside) keeps
its body in `dead_letters` when it cannot handle it, and maybe in its outbox; nothing else of
the customer. Such a service subscribes to the two redaction webhooks with these handlers.
Services holding personal data in their own tables (order-intake) erase those too.
"""

from contracts import ShopifyWebhook
from messaging import Handler, MessageContext
from messaging.personal_data import MessageSelection, erase_personal_data_in_messages
from shopify_admin.compliance import customer_request

REDACTION_TOPICS = ("shopify.webhook.customers.redact", "shopify.webhook.shop.redact")


async def _redact_customer(ctx: MessageContext) -> None:
    webhook = ctx.envelope.data
    assert isinstance(webhook, ShopifyWebhook)
    shop = ctx.envelope.shop
    request = customer_request(webhook.payload)
    await erase_personal_data_in_messages(
        ctx.conn,
        MessageSelection.about_orders(shop, request.order_gids, request.contacts),
    )


async def _redact_shop(ctx: MessageContext) -> None:
    await erase_personal_data_in_messages(
        ctx.conn, MessageSelection(ctx.envelope.shop, whole_shop=True)
    )


def held_message_redaction() -> dict[str, Handler]:
    return dict(zip(REDACTION_TOPICS, (_redact_customer, _redact_shop), strict=True))
