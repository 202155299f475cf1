"""Top-level errors whose shape differs from the usual `extensions.code`."""

from __future__ import annotations

from graphql import GraphQLError


class BareError(GraphQLError):
    """An error Shopify reports with a message, locations and path but no `extensions`
    (capture: assignedFulfillmentOrders for an app without a fulfillment service)."""
