"""The simulator's state: every shop's catalog, inventory, orders and subscriptions."""

from shopify_sim.state.models import (
    Fulfillment,
    FulfillmentHold,
    FulfillmentLineItem,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    FulfillmentService,
    InventoryLevel,
    LineItem,
    Location,
    MerchantRequest,
    Order,
    ServiceResponse,
    ShopSettings,
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
    "FulfillmentService",
    "InventoryLevel",
    "LineItem",
    "Location",
    "MerchantRequest",
    "Order",
    "ServiceResponse",
    "ShopSettings",
    "ShopState",
    "Store",
    "TrackingInfo",
    "Variant",
    "WebhookSubscription",
]
