"""REST-shaped, snake_case webhook bodies (the shape of shared/shopify/webhooks/*.json)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shopify_sim.clock import rest_time
from shopify_sim.domain import order_status
from shopify_sim.ids import gid
from shopify_sim.state.models import LineItem, Order, Product, Variant
from shopify_sim.state.repository import ShopState
from shopify_sim.views.common import COUNTRY_NAMES, PROVINCE_NAMES
from shopify_sim.views.orders import order_totals

Body = dict[str, Any]


def _amount(value: Decimal | str | int) -> str:
    return f"{Decimal(str(value)):.2f}"


def _money_set(value: Decimal | str | int, currency: str) -> Body:
    part = {"amount": _amount(value), "currency_code": currency}
    return {"shop_money": part, "presentment_money": dict(part)}


def address_body(address: dict[str, Any] | None) -> Body | None:
    """An address as REST bodies carry it (orders/*, and fulfillments/* `destination`)."""
    if address is None:
        return None
    country = address.get("countryCode")
    province_code = address.get("provinceCode")
    first, last = address.get("firstName"), address.get("lastName")
    return {
        "first_name": first,
        "last_name": last,
        "name": " ".join(p for p in (first, last) if p) or None,
        "company": address.get("company"),
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "zip": address.get("zip"),
        "province": PROVINCE_NAMES.get((country or "", province_code or ""), province_code),
        "province_code": province_code,
        "country": COUNTRY_NAMES.get(country or "", country),
        "country_code": country,
        "phone": address.get("phone"),
        "latitude": None,
        "longitude": None,
    }


def line_item_body(shop: ShopState, order: Order, line: LineItem) -> Body:
    """A line as order bodies carry it; fulfillments/* bodies carry the same shape."""
    fos = shop.fulfillment_orders_of(order)
    fulfilled = order_status.fulfilled_quantity(line, fos)
    variant = shop.variants.get(line.variant_id) if line.variant_id is not None else None
    return {
        "id": line.id,
        "admin_graphql_api_id": gid("LineItem", line.id),
        "current_quantity": 0 if order.cancelled_at else line.live_quantity,
        "fulfillable_quantity": order_status.fulfillable_quantity(line, fos),
        "fulfillment_service": "manual",
        "fulfillment_status": (
            "fulfilled" if fulfilled >= line.quantity else ("partial" if fulfilled else None)
        ),
        "gift_card": False,
        "grams": variant.grams if variant else 0,
        "name": line.title if not line.variant_title else f"{line.title} - {line.variant_title}",
        "price": _amount(line.price),
        "price_set": _money_set(line.price, order.currency),
        "product_exists": variant is not None,
        "product_id": variant.product_id if variant else None,
        "properties": [{"name": p["name"], "value": p["value"]} for p in line.properties],
        "quantity": line.quantity,
        "requires_shipping": line.requires_shipping,
        "sku": line.sku,
        "taxable": line.taxable,
        "title": line.title,
        "total_discount": "0.00",
        "total_discount_set": _money_set(0, order.currency),
        "variant_id": line.variant_id,
        "variant_inventory_management": "shopify" if variant else None,
        "variant_title": line.variant_title,
        "vendor": None,
        "tax_lines": [],
        "duties": [],
        "discount_allocations": [],
    }


def order_body(shop: ShopState, order: Order) -> Body:
    totals = order_totals(order)
    currency = order.currency
    fos = shop.fulfillment_orders_of(order)
    display = order_status.display_fulfillment_status(order, fos)
    shipping_lines = []
    if order.shipping_line:
        shipping_lines.append(
            {
                "id": order.id,
                "title": order.shipping_line.get("title"),
                "code": order.shipping_line.get("code"),
                "source": order.shipping_line.get("source", "shopify"),
                "price": _amount(totals["shipping"]),
                "price_set": _money_set(totals["shipping"], currency),
                "discounted_price": _amount(totals["shipping"]),
                "carrier_identifier": None,
                "phone": None,
                "requested_fulfillment_service_id": None,
                "is_removed": False,
                "tax_lines": [],
                "discount_allocations": [],
            }
        )
    return {
        "id": order.id,
        "admin_graphql_api_id": gid("Order", order.id),
        "name": order.name,
        "number": order.number - 1000,
        "order_number": order.number,
        "email": order.email,
        "contact_email": order.email,
        "phone": order.phone,
        "created_at": rest_time(order.created_at),
        "processed_at": rest_time(order.processed_at),
        "updated_at": rest_time(order.updated_at),
        "cancelled_at": rest_time(order.cancelled_at),
        "cancel_reason": order.cancel_reason.lower() if order.cancel_reason else None,
        "closed_at": rest_time(order.closed_at),
        "confirmed": True,
        "currency": currency,
        "presentment_currency": currency,
        "financial_status": order.financial_status.lower() if order.financial_status else None,
        "fulfillment_status": order_status.rest_fulfillment_status(display),
        "source_name": order.source_name,
        "tags": ", ".join(order.tags),
        "note": order.note,
        "note_attributes": [
            {"name": a["key"], "value": a["value"]} for a in order.custom_attributes
        ],
        "po_number": order.po_number,
        "test": order.test,
        "taxes_included": False,
        "tax_exempt": False,
        "subtotal_price": _amount(totals["subtotal"]),
        "subtotal_price_set": _money_set(totals["subtotal"], currency),
        "total_price": _amount(totals["total"]),
        "total_price_set": _money_set(totals["total"], currency),
        "current_total_price": _amount(totals["current_total"]),
        "current_total_price_set": _money_set(totals["current_total"], currency),
        "total_outstanding": _amount(totals["outstanding"]),
        "total_tax": "0.00",
        "total_discounts": "0.00",
        "total_line_items_price": _amount(totals["subtotal"]),
        "total_shipping_price_set": _money_set(totals["shipping"], currency),
        "total_weight": sum(line.quantity * 100 for line in order.line_items),
        "payment_gateway_names": ["manual"] if totals["received"] else [],
        "discount_codes": [],
        "tax_lines": [],
        "billing_address": address_body(order.billing_address),
        "shipping_address": address_body(order.shipping_address),
        "customer": None,
        "line_items": [line_item_body(shop, order, line) for line in order.line_items],
        "shipping_lines": shipping_lines,
        "fulfillments": [
            {
                "id": f.id,
                "admin_graphql_api_id": gid("Fulfillment", f.id),
                "name": f.name,
                "status": "success" if f.status == "SUCCESS" else f.status.lower(),
                "tracking_company": f.tracking[0].company if f.tracking else None,
                "tracking_number": f.tracking[0].number if f.tracking else None,
                "tracking_numbers": [t.number for t in f.tracking if t.number],
                "tracking_urls": [t.url for t in f.tracking if t.url],
                "created_at": rest_time(f.created_at),
                "updated_at": rest_time(f.updated_at),
            }
            for f in shop.fulfillments_of(order)
        ],
        "refunds": [],
        "returns": [],
    }


def product_body(shop: ShopState, product: Product) -> Body:
    """products/create and products/update (shared/shopify/webhooks/products__update.json)."""
    variants = shop.variants_of(product.id)
    image = (
        {
            "id": product.image_id or product.id,
            "admin_graphql_api_id": gid("ProductImage", product.image_id or product.id),
            "src": product.image_url,
            "alt": None,
            "position": 1,
            "product_id": product.id,
            "width": 1024,
            "height": 1024,
            "variant_ids": [],
            "created_at": rest_time(product.created_at),
            "updated_at": rest_time(product.updated_at),
        }
        if product.image_url
        else None
    )
    return {
        "admin_graphql_api_id": gid("Product", product.id),
        "body_html": product.description_html,
        "created_at": rest_time(product.created_at),
        "handle": product.handle,
        "id": product.id,
        "product_type": product.product_type,
        "published_at": rest_time(product.created_at) if product.status == "ACTIVE" else None,
        "template_suffix": None,
        "title": product.title,
        "updated_at": rest_time(product.updated_at),
        "vendor": product.vendor,
        "status": product.status.lower(),
        "published_scope": "web",
        "tags": ", ".join(product.tags),
        "variants": [variant_body(shop, variant) for variant in variants],
        "options": [
            {
                "name": "Title",
                "id": product.id,
                "product_id": product.id,
                "position": 1,
                "values": [variant.title for variant in variants],
            }
        ],
        "images": [image] if image else [],
        "image": image,
        "media": [],
        "variant_gids": [
            {
                "admin_graphql_api_id": gid("ProductVariant", variant.id),
                "updated_at": variant.updated_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            }
            for variant in sorted(variants, key=lambda v: v.updated_at, reverse=True)
        ],
        "has_variants_that_requires_components": False,
        "category": None,
    }


def variant_body(shop: ShopState, variant: Variant) -> Body:
    return {
        "admin_graphql_api_id": gid("ProductVariant", variant.id),
        "barcode": variant.barcode,
        "compare_at_price": None,
        "created_at": rest_time(variant.created_at),
        "id": variant.id,
        "inventory_policy": "deny",
        "position": variant.position,
        "price": variant.price,
        "product_id": variant.product_id,
        "sku": variant.sku or None,
        "taxable": True,
        "title": variant.title,
        "updated_at": rest_time(variant.updated_at),
        "option1": variant.title,
        "option2": None,
        "option3": None,
        "image_id": None,
        "inventory_item_id": variant.inventory_item_id,
        "inventory_quantity": sum(
            level.quantities["available"]
            for level in shop.levels_by_item.get(variant.inventory_item_id, [])
        ),
        "old_inventory_quantity": sum(
            level.quantities["available"]
            for level in shop.levels_by_item.get(variant.inventory_item_id, [])
        ),
    }


def shop_body(shop: ShopState) -> Body:
    """app/uninstalled carries the shop resource."""
    return {
        "id": shop.shop_id,
        "name": shop.domain.split(".")[0],
        "email": f"owner@{shop.domain}",
        "domain": shop.domain,
        "myshopify_domain": shop.domain,
        "plan_name": shop.plan,
        "currency": "USD",
        "country_code": "CA",
        "primary_location_id": shop.primary_location().id,
    }


def compliance_body(
    shop: ShopState,
    topic: str,
    customer: dict[str, Any] | None = None,
    order_ids: list[int] | None = None,
) -> Body:
    """customers/data_request, customers/redact and shop/redact bodies."""
    body: Body = {"shop_id": shop.shop_id, "shop_domain": shop.domain}
    if topic == "shop/redact":
        return body
    body["customer"] = customer or {
        "id": shop.new_id(),
        "email": "customer@example.com",
        "phone": None,
    }
    ids = order_ids if order_ids is not None else sorted(shop.orders)[:3]
    if topic == "customers/redact":
        body["orders_to_redact"] = ids
    else:
        body["orders_requested"] = ids
        body["data_request"] = {"id": shop.new_id()}
    return body
