"""What of a Shopify order webhook's body the gateway hands to the bus.

The webhook is a trigger; the GraphQL order is the truth. Of a ~15 KB `orders/*` body, the
consumers read which order it is, its status, the cancellation fields and, for the units about
to leave the warehouse, each line's SKU and quantities. The rest is the customer, addresses,
prices and taxes: personal data that would otherwise sit in queues, retry tiers and dead letters
(where a redaction request cannot reach it), and bytes every hop would pay for. So only the
fields below travel, as Shopify sent them; a field absent from the body stays absent.

Other topics (`orders/edited`, whose body is the edit's delta and not the order, the
`fulfillment_orders/*` topics, `app/uninstalled`, the compliance topics) carry no customer and
are small: they travel as received. So do the catalog's: `products/*` bodies hold no personal
data (a product with many variants is the one big body, and it is bounded by Shopify's variant
limit), and `bulk_operations/finish` is a few fields; the catalog reads the truth with GraphQL.
"""

from typing import Any

import msgspec


class OrderLineOnTheBus(msgspec.Struct):
    id: Any = msgspec.UNSET
    admin_graphql_api_id: Any = msgspec.UNSET
    variant_id: Any = msgspec.UNSET
    sku: Any = msgspec.UNSET
    quantity: Any = msgspec.UNSET
    current_quantity: Any = msgspec.UNSET
    fulfillable_quantity: Any = msgspec.UNSET
    fulfillment_status: Any = msgspec.UNSET
    requires_shipping: Any = msgspec.UNSET
    gift_card: Any = msgspec.UNSET


class OrderOnTheBus(msgspec.Struct):
    id: Any = msgspec.UNSET
    admin_graphql_api_id: Any = msgspec.UNSET
    name: Any = msgspec.UNSET
    created_at: Any = msgspec.UNSET
    updated_at: Any = msgspec.UNSET
    cancelled_at: Any = msgspec.UNSET
    cancel_reason: Any = msgspec.UNSET
    financial_status: Any = msgspec.UNSET
    fulfillment_status: Any = msgspec.UNSET
    line_items: list[OrderLineOnTheBus] | msgspec.UnsetType | None = msgspec.UNSET


def trimmed_as_order(topic: str) -> bool:
    """Whether the topic's body is a whole order, of which only the fields above travel."""
    return topic.startswith("orders/") and topic != "orders/edited"
