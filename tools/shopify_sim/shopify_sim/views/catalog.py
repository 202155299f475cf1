"""Locations, variants, inventory items and inventory levels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shopify_sim import search_query
from shopify_sim.clock import graphql_time
from shopify_sim.connections import by_id, connection
from shopify_sim.ids import gid, gid_number
from shopify_sim.state.models import (
    FulfillmentService,
    InventoryLevel,
    Location,
    Product,
    Variant,
)
from shopify_sim.state.repository import ShopState

Node = dict[str, Any]


def location_node(shop: ShopState, location: Location) -> Node:
    def levels(
        _info: Any,
        query: str | None = None,
        reverse: bool = False,
        includeInactive: bool = False,
        **page: Any,
    ) -> Node:
        matches = _level_matcher(shop, query)
        found = [level for level in shop.levels_at(location.id) if matches(level)]
        return connection(
            found, to_node=lambda lv: level_node(shop, lv), sort_key=by_id, reverse=reverse, **page
        )

    def level_for(_info: Any, inventoryItemId: str, **_: Any) -> Node | None:
        item = gid_number(inventoryItemId, "InventoryItem")
        level = shop.level(item, location.id) if item is not None else None
        return level_node(shop, level) if level else None

    service = shop.service_at(location.id)
    return {
        "__typename": "Location",
        "id": gid("Location", location.id),
        "legacyResourceId": location.id,
        "name": location.name,
        "isActive": location.is_active,
        "activatable": False,
        # Capture: a service's location cannot be deactivated (PERMANENTLY_BLOCKED_...).
        "deactivatable": service is None,
        "deletable": False,
        "deactivatedAt": None,
        "addressVerified": False,
        "fulfillsOnlineOrders": location.fulfills_online_orders,
        "isFulfillmentService": service is not None,
        "fulfillmentService": (lambda _info: fulfillment_service_node(shop, service))
        if service is not None
        else None,
        # Captures: a service's location answers shipsInventory false.
        "shipsInventory": service is None,
        "isPrimary": location.id == shop.primary_location().id,
        "hasActiveInventory": True,
        "hasUnfulfilledOrders": False,
        "createdAt": graphql_time(location.created_at),
        "updatedAt": graphql_time(location.updated_at),
        "address": {
            "address1": location.address1,
            "address2": None,
            "city": location.city,
            "province": location.province,
            "provinceCode": None,
            "country": None,
            "countryCode": location.country_code,
            "zip": location.zip,
            "phone": None,
            "formatted": [],
            "latitude": None,
            "longitude": None,
        },
        "inventoryLevels": levels,
        "inventoryLevel": level_for,
    }


def fulfillment_service_gid(service: FulfillmentService) -> str:
    """Shopify's FulfillmentService ids carry `?id=true` (every capture); deletedId does not."""
    return gid("FulfillmentService", service.id) + "?id=true"


def fulfillment_service_node(shop: ShopState, service: FulfillmentService) -> Node:
    location = shop.locations.get(service.location_id)
    return {
        "__typename": "FulfillmentService",
        "id": fulfillment_service_gid(service),
        "handle": service.handle,
        "serviceName": service.name,
        "callbackUrl": service.callback_url,
        "trackingSupport": service.tracking_support,
        "inventoryManagement": service.inventory_management,
        "requiresShippingMethod": service.requires_shipping_method,
        "fulfillmentOrdersOptIn": True,  # deprecated, "always true"
        "type": "THIRD_PARTY",
        "location": (lambda _info: location_node(shop, location))
        if location is not None and not location.deleted
        else None,
    }


def manual_service_node(shop: ShopState) -> Node:
    """The shop's own "Manual" service Shopify lists first in `shop.fulfillmentServices`
    (capture fulfillment-service-lifecycle), at the primary location."""
    primary = shop.primary_location()
    return {
        "__typename": "FulfillmentService",
        "id": "gid://shopify/FulfillmentService/manual",
        "handle": "manual",
        "serviceName": "Manual",
        "callbackUrl": None,
        "trackingSupport": False,
        "inventoryManagement": False,
        "requiresShippingMethod": True,
        "fulfillmentOrdersOptIn": True,
        "type": "MANUAL",
        "location": lambda _info: location_node(shop, primary),
    }


def variant_node(shop: ShopState, variant: Variant) -> Node:
    def inventory_quantity(_info: Any) -> int:
        return sum(
            lv.quantities["available"]
            for lv in shop.levels_by_item.get(variant.inventory_item_id, [])
        )

    def media(_info: Any, reverse: bool = False, **page: Any) -> Node:
        # A variant's own image, as a MediaImage (ProductVariant.image is deprecated for it).
        found = [node for node in [variant_media_node(variant)] if node is not None]
        return connection(
            found, to_node=lambda node: node, sort_key=lambda node: (node["id"],),
            reverse=reverse, **page,
        )  # fmt: skip

    product = shop.products.get(variant.product_id)
    return {
        "__typename": "ProductVariant",
        "id": gid("ProductVariant", variant.id),
        "legacyResourceId": variant.id,
        # A variant without a SKU answers "" (as the REST body's null SKU reads over GraphQL).
        "sku": variant.sku,
        "title": variant.title,
        "displayName": f"{variant.product_title} - {variant.title}",
        "price": variant.price,
        "barcode": variant.barcode,
        "compareAtPrice": None,
        "position": variant.position,
        "taxable": True,
        "availableForSale": True,
        "inventoryPolicy": "DENY",
        "inventoryQuantity": inventory_quantity,
        "selectedOptions": [{"name": "Title", "value": variant.title}],
        "createdAt": graphql_time(variant.created_at),
        "updatedAt": graphql_time(variant.updated_at),
        "image": lambda _info, **_: image_node(variant.image_url, variant.id),
        "media": media,
        "inventoryItem": lambda _info: inventory_item_node(shop, variant),
        "product": (lambda _info: product_node(shop, product)) if product is not None else None,
    }


def image_node(url: str | None, owner_id: int) -> Node | None:
    """An Image; the simulator gives an image the id of what carries it (variant/product)."""
    if url is None:
        return None
    return {
        "__typename": "Image",
        "id": gid("ProductImage", owner_id),
        "url": url,
        "src": url,
        "originalSrc": url,
        "transformedSrc": url,
        "altText": None,
        "width": 1024,
        "height": 1024,
    }


def media_image_node(product: Product) -> Node | None:
    return _media_image(
        product.image_url, product.image_id or product.id, product.created_at, product.updated_at
    )


def variant_media_node(variant: Variant) -> Node | None:
    return _media_image(variant.image_url, variant.id, variant.created_at, variant.updated_at)


def _media_image(
    url: str | None, owner_id: int, created_at: datetime, updated_at: datetime
) -> Node | None:
    image = image_node(url, owner_id)
    if image is None:
        return None
    return {
        "__typename": "MediaImage",
        "id": gid("MediaImage", owner_id),
        "alt": None,
        "mediaContentType": "IMAGE",
        "status": "READY",
        "fileStatus": "READY",
        "mimeType": "image/jpeg",
        "createdAt": graphql_time(created_at),
        "updatedAt": graphql_time(updated_at),
        "image": image,
        "preview": {"image": image, "status": "READY"},
        "mediaErrors": [],
        "mediaWarnings": [],
        "fileErrors": [],
    }


def product_node(shop: ShopState, product: Product) -> Node:
    def siblings() -> list[Variant]:
        return shop.variants_of(product.id)

    def variants(_info: Any, reverse: bool = False, sortKey: str = "POSITION", **page: Any) -> Node:
        # Already in position order (Shopify's default sort for Product.variants).
        return connection(
            siblings(),
            to_node=lambda v: variant_node(shop, v),
            sort_key=lambda v: (v.position, v.id),
            reverse=reverse,
            **page,
        )

    def media(
        _info: Any,
        reverse: bool = False,
        sortKey: str = "POSITION",
        query: str | None = None,
        **page: Any,
    ) -> Node:
        found = [node for node in [media_image_node(product)] if node is not None]
        return connection(
            found,
            to_node=lambda node: node,
            sort_key=lambda node: (node["id"],),
            reverse=reverse,
            **page,
        )

    only = siblings()
    return {
        "__typename": "Product",
        "id": gid("Product", product.id),
        "legacyResourceId": product.id,
        "title": product.title,
        "handle": product.handle,
        "status": product.status,
        "vendor": product.vendor,
        "productType": product.product_type,
        "tags": list(product.tags),
        "descriptionHtml": product.description_html,
        "createdAt": graphql_time(product.created_at),
        "updatedAt": graphql_time(product.updated_at),
        "publishedAt": graphql_time(product.created_at) if product.status == "ACTIVE" else None,
        "hasOnlyDefaultVariant": len(only) == 1 and only[0].title == DEFAULT_VARIANT_TITLE,
        "isGiftCard": False,
        "requiresSellingPlan": False,
        "templateSuffix": None,
        "tracksInventory": True,
        "totalInventory": lambda _info: sum(
            lv.quantities["available"]
            for v in siblings()
            for lv in shop.levels_by_item.get(v.inventory_item_id, [])
        ),
        "featuredMedia": lambda _info: media_image_node(product),
        "featuredImage": lambda _info: image_node(
            product.image_url, product.image_id or product.id
        ),
        "media": media,
        "variants": variants,
        "variantsCount": lambda _info: {"count": len(siblings()), "precision": "EXACT"},
    }


DEFAULT_VARIANT_TITLE = "Default Title"


def inventory_item_node(shop: ShopState, variant: Variant) -> Node:
    item_id = variant.inventory_item_id

    def levels(
        _info: Any,
        query: str | None = None,
        reverse: bool = False,
        includeInactive: bool = False,
        **page: Any,
    ) -> Node:
        matches = _level_matcher(shop, query)
        found = [lv for lv in shop.levels_by_item.get(item_id, []) if matches(lv)]
        return connection(
            found, to_node=lambda lv: level_node(shop, lv), sort_key=by_id, reverse=reverse, **page
        )

    def level_at(_info: Any, locationId: str, **_: Any) -> Node | None:
        location = gid_number(locationId, "Location")
        level = shop.level(item_id, location) if location is not None else None
        return level_node(shop, level) if level else None

    return {
        "__typename": "InventoryItem",
        "id": gid("InventoryItem", item_id),
        "legacyResourceId": item_id,
        "sku": variant.sku,
        "tracked": variant.tracked,
        "requiresShipping": variant.requires_shipping,
        "duplicateSkuCount": lambda _info: (
            sum(1 for v in shop.variants.values() if v.sku == variant.sku) - 1 if variant.sku else 0
        ),
        "harmonizedSystemCode": variant.harmonized_system_code,
        "countryCodeOfOrigin": variant.country_code_of_origin,
        "provinceCodeOfOrigin": None,
        "inventoryHistoryUrl": None,
        "unitCost": None,
        "createdAt": graphql_time(variant.created_at),
        "updatedAt": graphql_time(variant.updated_at),
        "measurement": {
            "id": gid("InventoryItemMeasurement", item_id),
            "weight": {"unit": variant.weight()[1], "value": variant.weight()[0]},
        },
        "variant": lambda _info: variant_node(shop, variant),
        "inventoryLevels": levels,
        "inventoryLevel": level_at,
        "locationsCount": lambda _info, **_: {
            "count": len(shop.levels_by_item.get(item_id, [])),
            "precision": "EXACT",
        },
    }


def level_node(shop: ShopState, level: InventoryLevel) -> Node:
    def quantities(_info: Any, names: list[str]) -> list[Node]:
        return [
            {
                "id": f"gid://shopify/InventoryQuantity/{level.id}?inventory_item_id="
                f"{level.inventory_item_id}&name={name}",
                "name": name,
                "quantity": level.quantities.get(name, 0),
                "updatedAt": graphql_time(level.quantity_updated_at.get(name)),
            }
            for name in names
        ]

    variant = shop.variants_by_item[level.inventory_item_id]
    return {
        "__typename": "InventoryLevel",
        "id": gid("InventoryLevel", level.id) + f"?inventory_item_id={level.inventory_item_id}",
        "isActive": True,
        "canDeactivate": True,
        "deactivationAlert": None,
        "createdAt": graphql_time(level.created_at),
        "updatedAt": graphql_time(level.updated_at),
        "quantities": quantities,
        "item": lambda _info: inventory_item_node(shop, variant),
        "location": lambda _info: location_node(shop, shop.locations[level.location_id]),
    }


def _level_matcher(shop: ShopState, query: str | None) -> search_query.Predicate:
    def updated_at(level: InventoryLevel, term: search_query.Term) -> bool:
        from shopify_sim.clock import parse_time

        return search_query.compare(level.updated_at, term.op, parse_time(term.value))

    def sku(level: InventoryLevel, term: search_query.Term) -> bool:
        return shop.variants_by_item[level.inventory_item_id].sku == term.value

    return search_query.matcher(search_query.parse(query), {"updated_at": updated_at, "sku": sku})
