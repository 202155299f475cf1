"""Which webhook subscriptions a shop should have, and what is missing: pure decisions.

Shopify deletes an API-created subscription whose deliveries keep failing (for example while
the gateway was unreachable), and says so only by email. So the gateway lists each shop's
subscriptions and re-creates the missing ones. The compliance topics are not among them: they
are declared in the app's configuration, not through the Admin API, and cannot be listed or
created with it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from contracts import SUBSCRIBED_TOPICS
from shopify_admin.mutations import webhook_topic

COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
API_TOPICS: tuple[str, ...] = tuple(t for t in SUBSCRIBED_TOPICS if t not in COMPLIANCE_TOPICS)
"""The topics the gateway keeps subscribed through the Admin API (SPEC section 2)."""


@dataclass(frozen=True)
class Subscription:
    """One subscription as the Admin API lists it (`topic` is the GraphQL enum, ORDERS_CREATE)."""

    id: str
    topic: str
    uri: str | None

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> "Subscription":
        return cls(str(node.get("id")), str(node.get("topic")), node.get("uri"))


@dataclass(frozen=True)
class SubscriptionCheck:
    present: tuple[str, ...]
    """Topics subscribed to the gateway's callback URL."""
    missing: tuple[str, ...]
    """Topics with no subscription to the gateway: to re-create."""
    elsewhere: tuple[str, ...]
    """Topics subscribed to some other address (another deployment, an old URL): reported,
    left alone, since the gateway cannot know whether they are stale."""

    @property
    def healthy(self) -> bool:
        return not self.missing


def check(subscriptions: Iterable[Subscription], callback_url: str) -> SubscriptionCheck:
    to_us = {s.topic for s in subscriptions if s.uri == callback_url}
    others = {s.topic for s in subscriptions if s.uri != callback_url}
    present = tuple(t for t in API_TOPICS if webhook_topic(t) in to_us)
    missing = tuple(t for t in API_TOPICS if webhook_topic(t) not in to_us)
    elsewhere = tuple(t for t in API_TOPICS if webhook_topic(t) in others)
    return SubscriptionCheck(present, missing, elsewhere)
