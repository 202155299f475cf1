"""The simulator's state: every shop's catalog, inventory, orders and subscriptions."""

from shopify_sim.state.models import (
    Fulfillment,
    FulfillmentHold,
    FulfillmentLineItem,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    InventoryLevel,
    LineItem,
    Location,
    Order,
    TrackingInfo,
    Variant,
    WebhookSubscription,
)
from shopify_sim.state.repository import ShopState, Store

__all__ = [
    "Fulfillment",
    "FulfillmentHold",
    "FulfillmentLineItem",
    "FulfillmentOrder",
    "FulfillmentOrderLineItem",
    "InventoryLevel",
    "LineItem",
    "Location",
    "Order",
    "ShopState",
    "Store",
    "TrackingInfo",
    "Variant",
    "WebhookSubscription",
]
