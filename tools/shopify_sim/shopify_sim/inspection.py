"""Shop state as JSON for tests and operators (the control plane's read side)."""

from __future__ import annotations

from typing import Any

from shopify_sim.clock import rest_time
from shopify_sim.domain import order_status
from shopify_sim.ids import gid
from shopify_sim.state.repository import ShopState

Json = dict[str, Any]


def orders_json(shop: ShopState) -> list[Json]:
    rows = []
    for order in shop.orders.values():
        fos = shop.fulfillment_orders_of(order)
        rows.append(
            {
                "id": gid("Order", order.id),
                "name": order.name,
                "created_at": rest_time(order.created_at),
                "updated_at": rest_time(order.updated_at),
                "financial_status": order.financial_status,
                "fulfillment_status": order_status.display_fulfillment_status(order, fos),
                "cancelled_at": rest_time(order.cancelled_at),
                "cancel_reason": order.cancel_reason,
                "closed_at": rest_time(order.closed_at),
                "risk_level": order.risk_level,
                "tags": order.tags,
                "fulfillment_order_ids": [
                    gid("FulfillmentOrder", i) for i in order.fulfillment_order_ids
                ],
                "line_items": [
                    {
                        "id": gid("LineItem", li.id),
                        "sku": li.sku,
                        "quantity": li.quantity,
                        "location_id": gid("Location", li.location_id),
                    }
                    for li in order.line_items
                ],
            }
        )
    return rows


def fulfillment_orders_json(shop: ShopState) -> list[Json]:
    rows = []
    for fo in shop.fulfillment_orders.values():
        order = shop.orders[fo.order_id]
        skus = {li.id: li.sku for li in order.line_items}
        rows.append(
            {
                "id": gid("FulfillmentOrder", fo.id),
                "order_id": gid("Order", fo.order_id),
                "order_name": order.name,
                "status": fo.status,
                "request_status": fo.request_status,
                "location_id": gid("Location", fo.location_id),
                "holds": [
                    {"id": gid("FulfillmentHold", h.id), "reason": h.reason, "handle": h.handle}
                    for h in fo.holds
                ],
                "line_items": [
                    {
                        "id": gid("FulfillmentOrderLineItem", li.id),
                        "line_item_id": gid("LineItem", li.line_item_id),
                        "sku": skus.get(li.line_item_id),
                        "total_quantity": li.total_quantity,
                        "remaining_quantity": li.remaining_quantity,
                    }
                    for li in fo.line_items
                ],
                # What the merchant sent the location's fulfillment service, and its answers.
                "merchant_requests": [
                    {
                        "id": gid("FulfillmentOrderMerchantRequest", r.id),
                        "kind": r.kind,
                        "message": r.message,
                        "request_options": r.request_options,
                        "sent_at": rest_time(r.sent_at),
                    }
                    for r in fo.merchant_requests
                ],
                "service_responses": [
                    {"kind": r.kind, "message": r.message, "at": rest_time(r.at), **r.details}
                    for r in fo.service_responses
                ],
            }
        )
    return rows


def fulfillment_services_json(shop: ShopState) -> list[Json]:
    return [
        {
            "id": gid("FulfillmentService", service.id),
            "name": service.name,
            "handle": service.handle,
            "owner": service.owner,
            "location_id": gid("Location", service.location_id),
            "callback_url": service.callback_url,
            "tracking_support": service.tracking_support,
            "inventory_management": service.inventory_management,
            "requires_shipping_method": service.requires_shipping_method,
        }
        for service in shop.fulfillment_services.values()
    ]


def settings_json(shop: ShopState) -> Json:
    settings = shop.settings
    return {
        "auto_request_fulfillment": settings.auto_request_fulfillment,
        "cancellation_accepted_status": settings.cancellation_accepted_status,
        "callback_url_hosts": settings.callback_url_hosts,
    }


def fulfillments_json(shop: ShopState) -> list[Json]:
    rows = []
    for fulfillment in shop.fulfillments.values():
        order = shop.orders[fulfillment.order_id]
        skus = {li.id: li.sku for li in order.line_items}
        rows.append(
            {
                "id": gid("Fulfillment", fulfillment.id),
                "order_id": gid("Order", fulfillment.order_id),
                "name": fulfillment.name,
                "status": fulfillment.status,
                "notify_customer": fulfillment.notify_customer,
                "tracking": [
                    {"company": t.company, "number": t.number, "url": t.url}
                    for t in fulfillment.tracking
                ],
                "line_items": [
                    {
                        "line_item_id": gid("LineItem", li.line_item_id),
                        "sku": skus.get(li.line_item_id),
                        "quantity": li.quantity,
                    }
                    for li in fulfillment.line_items
                ],
            }
        )
    return rows


def inventory_json(
    shop: ShopState, sku: str | None = None, location_id: int | None = None
) -> list[Json]:
    rows = []
    for level in shop.levels.values():
        variant = shop.variants_by_item[level.inventory_item_id]
        if sku is not None and variant.sku != sku:
            continue
        if location_id is not None and level.location_id != location_id:
            continue
        rows.append(
            {
                "sku": variant.sku,
                "inventory_item_id": gid("InventoryItem", level.inventory_item_id),
                "variant_id": gid("ProductVariant", variant.id),
                "location_id": gid("Location", level.location_id),
                "location_name": shop.locations[level.location_id].name,
                "quantities": dict(level.quantities),
            }
        )
    return rows


def shop_json(shop: ShopState) -> Json:
    return {
        "domain": shop.domain,
        "plan": shop.plan,
        "protected_customer_data": shop.protected_customer_data,
        "locations": [
            {
                "id": gid("Location", loc.id),
                "name": loc.name,
                "fulfillment_service": loc.fulfillment_service_id is not None,
            }
            for loc in shop.live_locations().values()
        ],
        "settings": settings_json(shop),
        "variants": len(shop.variants),
        "inventory_levels": len(shop.levels),
        "orders": len(shop.orders),
        "subscriptions": [
            {"id": gid("WebhookSubscription", s.id), "topic": s.topic, "uri": s.uri}
            for s in shop.subscriptions.values()
        ],
    }
