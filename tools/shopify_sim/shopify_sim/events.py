"""Things that happened in a shop and may become webhooks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ShopEvent:
    """One topic's body for one merchant action.

    `event_id` is shared by all topics one action raises (Shopify's
    X-Shopify-Event-Id); the body is frozen at the moment of the action so a
    late delivery still carries the state it announced.

    `notification_uri`: not a webhook topic but a POST to a fulfillment service's
    `<callbackUrl>/fulfillment_order_notification`, delivered (signed, retried, under the
    delivery controls) by the same dispatcher to that address only.
    """

    shop_domain: str
    topic: str
    body: dict[str, Any]
    triggered_at: datetime
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    notification_uri: str | None = None
