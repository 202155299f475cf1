"""Webhook subscriptions."""

from __future__ import annotations

from typing import Any

from shopify_sim.clock import graphql_time
from shopify_sim.ids import gid
from shopify_sim.state.models import WebhookSubscription

API_VERSION = "2026-07"


def subscription_node(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "__typename": "WebhookSubscription",
        "id": gid("WebhookSubscription", subscription.id),
        "legacyResourceId": subscription.id,
        "topic": subscription.topic,
        "uri": subscription.uri,
        "format": subscription.format,
        "filter": subscription.filter,
        "includeFields": list(subscription.include_fields),
        "metafieldNamespaces": [],
        "metafields": [],
        "name": subscription.name,
        "apiVersion": {"handle": API_VERSION, "displayName": API_VERSION, "supported": True},
        "createdAt": graphql_time(subscription.created_at),
        "updatedAt": graphql_time(subscription.updated_at),
    }
