"""Redaction for a service whose only personal data is in messages it holds.

A service that consumes a Shopify order webhook (a customer's name and address inside) keeps
its body in `dead_letters` when it cannot handle it, and maybe in its outbox; nothing else of
the customer. Such a service adds these routes to its table. Services holding personal data in
their own tables (order-intake) erase those too.
"""

from typing import Any

from contracts import ShopifyWebhook
from messaging import MessageContext, Routes, on
from messaging.personal_data import MessageSelection, erase_personal_data_in_messages
from shopify_admin.compliance import customer_request

CUSTOMER_REDACT = "shopify.webhook.customers.redact"
SHOP_REDACT = "shopify.webhook.shop.redact"
REDACTION_TOPICS = (CUSTOMER_REDACT, SHOP_REDACT)


async def redact_customer_in_messages(webhook: ShopifyWebhook, ctx: MessageContext[Any]) -> None:
    request = customer_request(webhook.payload)
    await erase_personal_data_in_messages(
        ctx.conn,
        MessageSelection.about_orders(ctx.shop, request.order_gids, request.contacts),
    )


async def redact_shop_in_messages(_: ShopifyWebhook, ctx: MessageContext[Any]) -> None:
    await erase_personal_data_in_messages(ctx.conn, MessageSelection(ctx.shop, whole_shop=True))


def held_message_redaction() -> Routes[Any]:
    """The routes of a service whose only personal data is in the messages it holds."""
    return Routes(
        on(ShopifyWebhook, redact_customer_in_messages, CUSTOMER_REDACT),
        on(ShopifyWebhook, redact_shop_in_messages, SHOP_REDACT),
    )
