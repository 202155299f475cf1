"""productCreate / productUpdate / productDelete and productVariantsBulkCreate / Update / Delete,
with the products/create, products/update and products/delete webhooks.

A simulator choice: products/update is raised by these mutations (any product or variant
change), not by inventory quantity changes, which Shopify also announces with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.domain.variant_inputs import apply_input, input_errors, variant_title
from shopify_sim.events import ShopEvent
from shopify_sim.ids import gid, gid_number
from shopify_sim.resolvers import queries
from shopify_sim.resolvers.context import RequestContext, context_of
from shopify_sim.state.models import Product, Variant
from shopify_sim.state.repository import ShopState, handle_of
from shopify_sim.views.catalog import DEFAULT_VARIANT_TITLE, product_node, variant_node
from shopify_sim.webhook_payloads import product_body

Node = dict[str, Any]
PRODUCT_STATUSES = ("ACTIVE", "ARCHIVED", "DRAFT", "UNLISTED")
PRODUCT_MISSING = "Product does not exist"


def _emit(context: RequestContext, topic: str, body: dict[str, Any]) -> None:
    shop = context.shop
    context.events.append(ShopEvent(shop.domain, topic, body, shop.now()))


def _changed(context: RequestContext, product: Product) -> None:
    product.updated_at = context.shop.now()
    _emit(context, "products/update", product_body(context.shop, product))


def _product(shop: ShopState, value: Any) -> Product | None:
    number = gid_number(value, "Product")
    return shop.products.get(number) if number is not None else None


def _image_of(media: list[dict[str, Any]] | None) -> str | None:
    for item in media or []:
        if item.get("mediaContentType", "IMAGE") == "IMAGE" and item.get("originalSource"):
            return str(item["originalSource"])
    return None


def _apply_product_fields(shop: ShopState, product: Product, data: dict[str, Any]) -> None:
    if data.get("title") is not None:
        shop.rename_product(product, data["title"])
    if data.get("handle"):
        shop.set_handle(product, handle_of(data["handle"]))
    for key, attribute in (
        ("status", "status"),
        ("vendor", "vendor"),
        ("productType", "product_type"),
        ("descriptionHtml", "description_html"),
    ):
        if data.get(key) is not None:
            setattr(product, attribute, data[key])
    if data.get("tags") is not None:
        product.tags = [str(tag) for tag in data["tags"]]


def _product_errors(data: dict[str, Any], *, creating: bool) -> list[UserError]:
    title = data.get("title")
    if (creating and not title) or (title is not None and not title.strip()):
        return [user_error(["title"], "Title can't be blank")]
    if len(title or "") > 255:
        return [user_error(["title"], "Title is too long (maximum is 255 characters)")]
    return []


def product_create(
    _root: Any,
    info: GraphQLResolveInfo,
    product: dict[str, Any] | None = None,
    input: dict[str, Any] | None = None,
    media: list[dict[str, Any]] | None = None,
) -> Node:
    context = context_of(info)
    shop = context.shop
    data = product or input or {}
    shop_node = lambda _info: queries.shop(None, _info)  # noqa: E731
    errors = _product_errors(data, creating=True)
    if errors:
        return {"product": None, "shop": shop_node, "userErrors": errors}
    created = shop.add_product(data["title"], handle=data.get("handle"))
    _apply_product_fields(shop, created, {k: v for k, v in data.items() if k != "handle"})
    created.image_url = _image_of(media)
    if created.image_url:
        created.image_id = shop.new_id()
    # Every product has at least one variant: the standalone "Default Title" one, no SKU.
    shop.add_variant(
        product_title=created.title,
        title=DEFAULT_VARIANT_TITLE,
        sku="",
        price="0.00",
        product_id=created.id,
    )
    _emit(context, "products/create", product_body(shop, created))
    return {"product": product_node(shop, created), "shop": shop_node, "userErrors": []}


def product_update(
    _root: Any,
    info: GraphQLResolveInfo,
    product: dict[str, Any] | None = None,
    input: dict[str, Any] | None = None,
    media: list[dict[str, Any]] | None = None,
    identifier: dict[str, Any] | None = None,
) -> Node:
    context = context_of(info)
    shop = context.shop
    data = product or input or {}
    target = _product(shop, data.get("id") or (identifier or {}).get("id"))
    if target is None:
        return {"product": None, "userErrors": [user_error(["id"], PRODUCT_MISSING)]}
    errors = _product_errors(data, creating=False)
    if data.get("status") is not None and data["status"] not in PRODUCT_STATUSES:
        errors.append(user_error(["status"], "Status is not included in the list"))
    if errors:
        return {"product": None, "userErrors": errors}
    _apply_product_fields(shop, target, data)
    image = _image_of(media)
    if image:
        target.image_url, target.image_id = image, shop.new_id()
    _changed(context, target)
    return {"product": product_node(shop, target), "userErrors": []}


def product_delete(
    _root: Any, info: GraphQLResolveInfo, input: dict[str, Any], synchronous: bool = True
) -> Node:
    context = context_of(info)
    shop = context.shop
    shop_node = lambda _info: queries.shop(None, _info)  # noqa: E731
    target = _product(shop, input.get("id"))
    if target is None:
        return {
            "deletedProductId": None,
            "productDeleteOperation": None,
            "shop": shop_node,
            "userErrors": [user_error(["id"], PRODUCT_MISSING)],
        }
    shop.remove_product(target)
    _emit(context, "products/delete", {"id": target.id})
    return {
        "deletedProductId": gid("Product", target.id),
        "productDeleteOperation": None,
        "shop": shop_node,
        "userErrors": [],
    }


def _missing_product(code_field: str = "productId") -> Node:
    return {
        "product": None,
        "productVariants": None,
        "userErrors": [user_error([code_field], PRODUCT_MISSING, "PRODUCT_DOES_NOT_EXIST")],
    }


def _set_stock(shop: ShopState, variant: Variant, quantities: list[dict[str, Any]] | None) -> None:
    for entry in quantities or []:
        location = gid_number(entry.get("locationId"), "Location")
        if location is not None and location in shop.live_locations():
            shop.stock(variant.inventory_item_id, location, int(entry.get("availableQuantity", 0)))


def product_variants_bulk_create(
    _root: Any,
    info: GraphQLResolveInfo,
    variants: list[dict[str, Any]],
    productId: str,
    media: list[dict[str, Any]] | None = None,
    strategy: str = "DEFAULT",
) -> Node:
    context = context_of(info)
    shop = context.shop
    target = _product(shop, productId)
    if target is None:
        return _missing_product()
    existing = shop.variants_of(target.id)
    standalone = len(existing) == 1 and existing[0].title == DEFAULT_VARIANT_TITLE
    removing_standalone = standalone and strategy != "PRESERVE_STANDALONE_VARIANT"
    taken = {v.title for v in existing if not (removing_standalone and v is existing[0])}
    errors: list[UserError] = []
    for index, data in enumerate(variants):
        errors += input_errors(index, data)
        title = variant_title(data)
        if title is None:
            errors.append(
                user_error(
                    ["variants", str(index), "optionValues"],
                    "You need to add option values for Title",
                    "NEED_TO_ADD_OPTION_VALUES",
                )
            )
        elif title in taken:
            errors.append(
                user_error(
                    ["variants", str(index)],
                    f"The variant '{title}' already exists.",
                    "VARIANT_ALREADY_EXISTS",
                )
            )
        else:
            taken.add(title)
    if errors:
        return {
            "product": product_node(shop, target),
            "productVariants": None,
            "userErrors": errors,
        }
    if removing_standalone:
        shop.remove_variant(existing[0])
    created = []
    for data in variants:
        variant = shop.add_variant(
            product_title=target.title,
            title=variant_title(data) or DEFAULT_VARIANT_TITLE,
            sku="",
            price="0.00",
            product_id=target.id,
        )
        sku = apply_input(variant, data)
        if sku is not None:
            shop.set_sku(variant, sku)
        _set_stock(shop, variant, data.get("inventoryQuantities"))
        created.append(variant)
    _changed(context, target)
    return {
        "product": product_node(shop, target),
        "productVariants": [variant_node(shop, v) for v in created],
        "userErrors": [],
    }


def product_variants_bulk_update(
    _root: Any,
    info: GraphQLResolveInfo,
    variants: list[dict[str, Any]],
    productId: str,
    media: list[dict[str, Any]] | None = None,
    allowPartialUpdates: bool = False,
) -> Node:
    context = context_of(info)
    shop = context.shop
    target = _product(shop, productId)
    if target is None:
        return _missing_product()
    errors: list[UserError] = []
    accepted: list[tuple[Variant, dict[str, Any]]] = []
    for index, data in enumerate(variants):
        base = ["variants", str(index)]
        number = gid_number(data.get("id"), "ProductVariant")
        variant = shop.variants.get(number) if number is not None else None
        if data.get("id") is None:
            found = [
                user_error(
                    base, "Product variant is missing ID attribute", "PRODUCT_VARIANT_ID_MISSING"
                )
            ]
        elif variant is None:
            found = [
                user_error(
                    [*base, "id"],
                    "Product variant does not exist",
                    "PRODUCT_VARIANT_DOES_NOT_EXIST",
                )
            ]
        elif variant.product_id != target.id:
            found = [
                user_error(
                    [*base, "id"],
                    "Product variant does not belong to the product",
                    "MUST_BE_FOR_THIS_PRODUCT",
                )
            ]
        else:
            found = input_errors(index, data)
            if data.get("inventoryQuantities"):
                found.append(
                    user_error(
                        [*base, "inventoryQuantities"],
                        "Inventory quantities can only be provided during create. To update "
                        "inventory for existing variants, use inventoryAdjustQuantities.",
                        "NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE",
                    )
                )
        errors += found
        if not found and variant is not None:
            accepted.append((variant, data))
    if errors and not allowPartialUpdates:
        return {
            "product": product_node(shop, target),
            "productVariants": None,
            "userErrors": errors,
        }
    now = shop.now()
    for variant, data in accepted:
        sku = apply_input(variant, data)
        if sku is not None and sku != variant.sku:
            shop.set_sku(variant, sku)
        variant.updated_at = now
    if accepted:
        _changed(context, target)
    return {
        "product": product_node(shop, target),
        "productVariants": [variant_node(shop, v) for v, _ in accepted],
        "userErrors": errors,
    }


def product_variants_bulk_delete(
    _root: Any, info: GraphQLResolveInfo, variantsIds: list[str], productId: str
) -> Node:
    context = context_of(info)
    shop = context.shop
    target = _product(shop, productId)
    if target is None:
        return {
            "product": None,
            "userErrors": [user_error(["productId"], PRODUCT_MISSING, "PRODUCT_DOES_NOT_EXIST")],
        }
    siblings = {v.id: v for v in shop.variants_of(target.id)}
    numbers = [gid_number(value, "ProductVariant") for value in variantsIds]
    if any(number not in siblings for number in numbers):
        return {
            "product": None,
            "userErrors": [
                user_error(
                    ["variantsIds"],
                    "At least one variant does not belong to the product",
                    "AT_LEAST_ONE_VARIANT_DOES_NOT_BELONG_TO_THE_PRODUCT",
                )
            ],
        }
    doomed = {number for number in numbers if number is not None}
    if doomed >= set(siblings):
        # Simulator wording: a product keeps at least one variant.
        return {
            "product": None,
            "userErrors": [
                user_error(
                    ["variantsIds"],
                    "Cannot delete the last variant of a product",
                    "CANNOT_DELETE_LAST_VARIANT",
                )
            ],
        }
    for number in doomed:
        shop.remove_variant(siblings[number])
    _changed(context, target)
    return {"product": product_node(shop, target), "userErrors": []}


def products(
    _root: Any,
    info: GraphQLResolveInfo,
    query: str | None = None,
    sortKey: str = "ID",
    reverse: bool = False,
    savedSearchId: str | None = None,
    **page: Any,
) -> Node:
    from shopify_sim import search_query
    from shopify_sim.clock import parse_time
    from shopify_sim.connections import by_id, connection

    shop = context_of(info).shop
    fields: dict[str, Callable[[Product, search_query.Term], bool]] = {
        "updated_at": lambda p, t: search_query.compare(p.updated_at, t.op, parse_time(t.value)),
        "status": lambda p, t: p.status.lower() == t.value.lower(),
        "handle": lambda p, t: p.handle == t.value,
        "title": lambda p, t: p.title == t.value,
        "id": lambda p, t: search_query.compare(p.id, t.op, int(t.value)),
    }
    matches = search_query.matcher(search_query.parse(query), fields)
    found = [p for p in shop.products.values() if matches(p)]
    sort: Callable[[Product], tuple[Any, ...]] = (
        (lambda p: (p.updated_at, p.id)) if sortKey == "UPDATED_AT" else by_id
    )
    return connection(
        found, to_node=lambda p: product_node(shop, p), sort_key=sort, reverse=reverse, **page
    )


def product(_root: Any, info: GraphQLResolveInfo, id: str | None = None, **_: Any) -> Node | None:
    shop = context_of(info).shop
    found = _product(shop, id)
    return product_node(shop, found) if found is not None else None


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "productCreate": product_create,
    "productUpdate": product_update,
    "productDelete": product_delete,
    "productVariantsBulkCreate": product_variants_bulk_create,
    "productVariantsBulkUpdate": product_variants_bulk_update,
    "productVariantsBulkDelete": product_variants_bulk_delete,
}
QUERY_FIELDS: dict[str, Callable[..., Any]] = {"products": products, "product": product}
