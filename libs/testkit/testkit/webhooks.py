"""A Shopify webhook as the gateway puts it on the bus, built in a test."""

import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from contracts import Envelope, ShopifyWebhook, new_envelope, webhook_message_type
from contracts.internal import SubscribedTopic


def webhook_envelope(
    topic: SubscribedTopic,
    payload: dict[str, Any],
    *,
    shop: str,
    webhook_id: str | None = None,
    triggered_at: datetime | None = None,
    received_at: datetime | None = None,
    correlation_id: UUID | None = None,
) -> Envelope:
    """`shopify.webhook.<topic>` carrying `payload` (the body as received); a new delivery id
    and now as its arrival unless given."""
    return new_envelope(
        webhook_message_type(topic),
        ShopifyWebhook(
            webhook_id=webhook_id or str(uuid.uuid4()),
            topic=topic,
            triggered_at=triggered_at,
            received_at=received_at or datetime.now(UTC),
            payload=payload,
        ),
        shop=shop,
        correlation_id=correlation_id,
    )
