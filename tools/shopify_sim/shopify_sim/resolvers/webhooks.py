"""webhookSubscriptionCreate / webhookSubscriptionDelete (2026-07 argument shapes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from graphql import GraphQLResolveInfo

from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.ids import gid, gid_number
from shopify_sim.resolvers.context import context_of
from shopify_sim.state.models import WebhookSubscription
from shopify_sim.state.repository import ShopState
from shopify_sim.views.webhooks import subscription_node

Node = dict[str, Any]


def _uri_errors(shop: ShopState, topic: str, uri: str | None) -> list[UserError]:
    field = ["webhookSubscription", "callbackUrl"]
    if not uri:
        return [user_error(field, "Address can't be blank")]
    parsed = urlparse(uri)
    if parsed.scheme not in ("http", "https", "pubsub", "arn") or not (
        parsed.netloc or parsed.path
    ):
        return [user_error(field, "Address is invalid")]
    if any(sub.topic == topic and sub.uri == uri for sub in shop.subscriptions.values()):
        return [user_error(field, "Address for this topic has already been taken")]
    return []


def webhook_subscription_create(
    _root: Any, info: GraphQLResolveInfo, topic: str, webhookSubscription: dict[str, Any]
) -> Node:
    shop = context_of(info).shop
    uri = webhookSubscription.get("uri")
    errors = _uri_errors(shop, topic, uri)
    if errors or uri is None:
        return {"webhookSubscription": None, "userErrors": errors}
    now = shop.now()
    subscription = WebhookSubscription(
        id=shop.new_id(),
        topic=topic,
        uri=uri,
        created_at=now,
        updated_at=now,
        format=webhookSubscription.get("format") or "JSON",
        filter=webhookSubscription.get("filter"),
        include_fields=list(webhookSubscription.get("includeFields") or []),
        name=webhookSubscription.get("name"),
    )
    shop.subscriptions[subscription.id] = subscription
    return {"webhookSubscription": subscription_node(subscription), "userErrors": []}


def webhook_subscription_delete(_root: Any, info: GraphQLResolveInfo, id: str) -> Node:
    shop = context_of(info).shop
    number = gid_number(id, "WebhookSubscription")
    if number is None or shop.subscriptions.pop(number, None) is None:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [user_error(["id"], "Webhook subscription does not exist")],
        }
    return {"deletedWebhookSubscriptionId": gid("WebhookSubscription", number), "userErrors": []}


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "webhookSubscriptionCreate": webhook_subscription_create,
    "webhookSubscriptionDelete": webhook_subscription_delete,
}
