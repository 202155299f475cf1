"""`node(id:)` / `nodes(ids:)`: any supported record by its GID."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shopify_sim.ids import parse_gid
from shopify_sim.state.repository import ShopState
from shopify_sim.views.bulk import bulk_operation_node
from shopify_sim.views.catalog import (
    inventory_item_node,
    level_node,
    location_node,
    product_node,
    variant_node,
)
from shopify_sim.views.orders import (
    fulfillment_node,
    fulfillment_order_node,
    merchant_request_node,
    order_node,
)
from shopify_sim.views.webhooks import subscription_node

Node = dict[str, Any]


def _order(shop: ShopState, number: int) -> Node | None:
    order = shop.orders.get(number)
    return order_node(shop, order) if order else None


def _fulfillment_order(shop: ShopState, number: int) -> Node | None:
    fo = shop.fulfillment_orders.get(number)
    return fulfillment_order_node(shop, fo) if fo else None


def _fulfillment(shop: ShopState, number: int) -> Node | None:
    found = shop.fulfillments.get(number)
    return fulfillment_node(shop, found) if found else None


def _location(shop: ShopState, number: int) -> Node | None:
    location = shop.locations.get(number)
    # A fulfillment service's location is gone once the service is deleted (capture).
    return location_node(shop, location) if location and not location.deleted else None


def _merchant_request(shop: ShopState, number: int) -> Node | None:
    for fo in shop.fulfillment_orders.values():
        for request in fo.merchant_requests:
            if request.id == number:
                return merchant_request_node(shop, fo, request)
    return None


def _variant(shop: ShopState, number: int) -> Node | None:
    variant = shop.variants.get(number)
    return variant_node(shop, variant) if variant else None


def _product(shop: ShopState, number: int) -> Node | None:
    product = shop.products.get(number)
    return product_node(shop, product) if product else None


def _bulk_operation(shop: ShopState, number: int) -> Node | None:
    operation = shop.bulk_operations.get(number)
    return bulk_operation_node(operation) if operation else None


def _inventory_item(shop: ShopState, number: int) -> Node | None:
    variant = shop.variants_by_item.get(number)
    return inventory_item_node(shop, variant) if variant else None


def _inventory_level(shop: ShopState, number: int) -> Node | None:
    level = next((lv for lv in shop.levels.values() if lv.id == number), None)
    return level_node(shop, level) if level else None


def _subscription(shop: ShopState, number: int) -> Node | None:
    subscription = shop.subscriptions.get(number)
    return subscription_node(subscription) if subscription else None


NODE_LOADERS: dict[str, Callable[[ShopState, int], Node | None]] = {
    "Order": _order,
    "FulfillmentOrder": _fulfillment_order,
    "FulfillmentOrderMerchantRequest": _merchant_request,
    "Fulfillment": _fulfillment,
    "Location": _location,
    "ProductVariant": _variant,
    "Product": _product,
    "BulkOperation": _bulk_operation,
    "InventoryItem": _inventory_item,
    "InventoryLevel": _inventory_level,
    "WebhookSubscription": _subscription,
}


def node_by_gid(shop: ShopState, value: str) -> Node | None:
    parsed = parse_gid(value)
    if parsed is None:
        return None
    loader = NODE_LOADERS.get(parsed[0])
    return loader(shop, parsed[1]) if loader else None


def node_of_type(shop: ShopState, value: str, kind: str) -> Node | None:
    """A record by its GID, only if the GID names `kind` (the typed root fields: `order(id:)`)."""
    parsed = parse_gid(value)
    if parsed is None or parsed[0] != kind:
        return None
    return NODE_LOADERS[kind](shop, parsed[1])
