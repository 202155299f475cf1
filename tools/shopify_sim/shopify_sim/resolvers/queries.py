"""QueryRoot fields: reads over the shop state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from shopify_sim import search_query
from shopify_sim.clock import graphql_time, parse_time
from shopify_sim.connections import SortKey, by_id, connection
from shopify_sim.domain import order_status
from shopify_sim.ids import gid
from shopify_sim.resolvers.context import context_of
from shopify_sim.resolvers.fulfillment_services import shop_fulfillment_services
from shopify_sim.state.models import FulfillmentOrder, Location, Order, Variant
from shopify_sim.state.repository import ShopState
from shopify_sim.views.catalog import inventory_item_node, location_node, variant_node
from shopify_sim.views.nodes import node_by_gid, node_of_type
from shopify_sim.views.orders import fulfillment_order_node, order_node
from shopify_sim.views.webhooks import subscription_node

Node = dict[str, Any]
Info = GraphQLResolveInfo


def _time_term(read: Callable[[Any], Any]) -> Callable[[Any, search_query.Term], bool]:
    return lambda item, term: search_query.compare(read(item), term.op, parse_time(term.value))


def _order_fields(shop: ShopState) -> dict[str, Callable[[Order, search_query.Term], bool]]:
    def status(order: Order, term: search_query.Term) -> bool:
        value = term.value.lower()
        if value == "cancelled":
            return order.cancelled_at is not None
        if value == "closed":
            return order.closed_at is not None
        if value == "open":
            return order.closed_at is None
        return True

    def fulfillment_status(order: Order, term: search_query.Term) -> bool:
        display = order_status.display_fulfillment_status(order, shop.fulfillment_orders_of(order))
        wanted = {
            "unshipped": "UNFULFILLED",
            "unfulfilled": "UNFULFILLED",
            "shipped": "FULFILLED",
            "fulfilled": "FULFILLED",
            "partial": "PARTIALLY_FULFILLED",
        }
        return display == wanted.get(term.value.lower(), term.value.upper())

    return {
        "updated_at": _time_term(lambda o: o.updated_at),
        "created_at": _time_term(lambda o: o.created_at),
        "processed_at": _time_term(lambda o: o.processed_at),
        "name": lambda o, t: o.name == t.value or o.name == f"#{t.value}",
        "status": status,
        "financial_status": lambda o, t: (o.financial_status or "").lower() == t.value.lower(),
        "fulfillment_status": fulfillment_status,
        "tag": lambda o, t: t.value in o.tags,
        "id": lambda o, t: search_query.compare(o.id, t.op, int(t.value)),
    }


ORDER_SORT_KEYS: dict[str, Callable[[Order], SortKey]] = {
    "UPDATED_AT": lambda o: (o.updated_at, o.id),
    "CREATED_AT": lambda o: (o.created_at, o.id),
    "PROCESSED_AT": lambda o: (o.processed_at, o.id),
    "ORDER_NUMBER": lambda o: (o.number, o.id),
    "ID": by_id,
}


def orders(
    _root: Any,
    info: Info,
    query: str | None = None,
    sortKey: str = "ID",
    reverse: bool = False,
    savedSearchId: str | None = None,
    **page: Any,
) -> Node:
    shop = context_of(info).shop
    matches = search_query.matcher(search_query.parse(query), _order_fields(shop))
    found = [order for order in shop.orders.values() if matches(order)]
    return connection(
        found,
        to_node=lambda o: order_node(shop, o),
        sort_key=ORDER_SORT_KEYS.get(sortKey, by_id),
        reverse=reverse,
        **page,
    )


def order(_root: Any, info: Info, id: str) -> Node | None:
    return node_of_type(context_of(info).shop, id, "Order")


def node(_root: Any, info: Info, id: str) -> Node | None:
    return node_by_gid(context_of(info).shop, id)


def nodes(_root: Any, info: Info, ids: list[str]) -> list[Node | None]:
    shop = context_of(info).shop
    return [node_by_gid(shop, value) for value in ids]


def fulfillment_order(_root: Any, info: Info, id: str) -> Node | None:
    return node_of_type(context_of(info).shop, id, "FulfillmentOrder")


def fulfillment_orders(
    _root: Any,
    info: Info,
    includeClosed: bool = False,
    query: str | None = None,
    sortKey: str = "ID",
    reverse: bool = False,
    **page: Any,
) -> Node:
    shop = context_of(info).shop

    def visible(fo: FulfillmentOrder) -> bool:
        return includeClosed or fo.status not in order_status.FINAL_FO_STATUSES

    fields: dict[str, Callable[[FulfillmentOrder, search_query.Term], bool]] = {
        "status": lambda fo, t: fo.status.lower() == t.value.lower(),
        "assigned_location_id": lambda fo, t: fo.location_id == int(t.value),
        "updated_at": _time_term(lambda fo: fo.updated_at),
    }
    matches = search_query.matcher(search_query.parse(query), fields)
    found = [fo for fo in shop.fulfillment_orders.values() if visible(fo) and matches(fo)]
    sort = (lambda fo: (fo.updated_at, fo.id)) if sortKey == "UPDATED_AT" else by_id
    return connection(
        found,
        to_node=lambda fo: fulfillment_order_node(shop, fo),
        sort_key=sort,
        reverse=reverse,
        **page,
    )


def locations(
    _root: Any,
    info: Info,
    query: str | None = None,
    sortKey: str = "NAME",
    reverse: bool = False,
    includeLegacy: bool = False,
    includeInactive: bool = False,
    **page: Any,
) -> Node:
    shop = context_of(info).shop
    fields: dict[str, Callable[[Location, search_query.Term], bool]] = {
        "name": lambda loc, t: loc.name == t.value,
    }
    matches = search_query.matcher(search_query.parse(query), fields)
    # Fulfillment services' locations are "legacy locations", listed only with includeLegacy
    # (capture fulfillment-service-delete-transfer: a shop's service location is not listed).
    found = [
        loc
        for loc in shop.live_locations().values()
        if matches(loc)
        and (includeInactive or loc.is_active)
        and (includeLegacy or loc.fulfillment_service_id is None)
    ]
    sort: Callable[[Location], SortKey] = (
        (lambda loc: (loc.name.lower(), loc.id)) if sortKey == "NAME" else by_id
    )
    return connection(
        found, to_node=lambda loc: location_node(shop, loc), sort_key=sort, reverse=reverse, **page
    )


def location(_root: Any, info: Info, id: str | None = None) -> Node | None:
    shop = context_of(info).shop
    if id is None:
        return location_node(shop, shop.primary_location())
    return node_of_type(shop, id, "Location")


def _variant_fields() -> dict[str, Callable[[Variant, search_query.Term], bool]]:
    return {
        "sku": lambda v, t: v.sku == t.value,
        "updated_at": _time_term(lambda v: v.updated_at),
        "product_id": lambda v, t: v.product_id == int(t.value),
        "id": lambda v, t: search_query.compare(v.id, t.op, int(t.value)),
    }


def _variants_matching(shop: ShopState, query: str | None) -> list[Variant]:
    terms = search_query.parse(query)
    skus = [t.value for t in terms if t.field == "sku" and t.op == "="]
    # An exact SKU is an index lookup; scanning 5,000 variants per call would not be.
    candidates = (
        [v for v in shop.variants.values() if v.sku == skus[0]]
        if len(skus) == 1
        else shop.variants.values()
    )
    matches = search_query.matcher(terms, _variant_fields())
    return [v for v in candidates if matches(v)]


def product_variants(
    _root: Any,
    info: Info,
    query: str | None = None,
    sortKey: str = "ID",
    reverse: bool = False,
    savedSearchId: str | None = None,
    **page: Any,
) -> Node:
    shop = context_of(info).shop
    found = _variants_matching(shop, query)
    sort: Callable[[Variant], SortKey] = (lambda v: (v.sku, v.id)) if sortKey == "SKU" else by_id
    return connection(
        found, to_node=lambda v: variant_node(shop, v), sort_key=sort, reverse=reverse, **page
    )


def product_variant(_root: Any, info: Info, id: str) -> Node | None:
    return node_of_type(context_of(info).shop, id, "ProductVariant")


def inventory_items(
    _root: Any, info: Info, query: str | None = None, reverse: bool = False, **page: Any
) -> Node:
    shop = context_of(info).shop
    found = _variants_matching(shop, query)
    return connection(
        found,
        to_node=lambda v: inventory_item_node(shop, v),
        sort_key=lambda v: (v.inventory_item_id,),
        reverse=reverse,
        **page,
    )


def inventory_item(_root: Any, info: Info, id: str) -> Node | None:
    return node_of_type(context_of(info).shop, id, "InventoryItem")


def inventory_level(_root: Any, info: Info, id: str) -> Node | None:
    return node_of_type(context_of(info).shop, id, "InventoryLevel")


def webhook_subscriptions(
    _root: Any,
    info: Info,
    topics: list[str] | None = None,
    uri: str | None = None,
    callbackUrl: str | None = None,
    reverse: bool = False,
    sortKey: str = "ID",
    query: str | None = None,
    format: str | None = None,
    **page: Any,
) -> Node:
    shop = context_of(info).shop
    wanted_uri = uri or callbackUrl
    found = [
        sub
        for sub in shop.subscriptions.values()
        if (not topics or sub.topic in topics) and (wanted_uri is None or sub.uri == wanted_uri)
    ]
    return connection(found, to_node=subscription_node, sort_key=by_id, reverse=reverse, **page)


def webhook_subscription(_root: Any, info: Info, id: str) -> Node | None:
    return node_of_type(context_of(info).shop, id, "WebhookSubscription")


def shop(_root: Any, info: Info) -> Node:
    state = context_of(info).shop
    name = state.domain.split(".")[0]
    return {
        "__typename": "Shop",
        "id": gid("Shop", state.shop_id),
        "name": name,
        "myshopifyDomain": state.domain,
        "email": f"owner@{state.domain}",
        "contactEmail": f"owner@{state.domain}",
        "currencyCode": "USD",
        "ianaTimezone": "Etc/UTC",
        "timezoneAbbreviation": "UTC",
        "timezoneOffset": "+0000",
        "timezoneOffsetMinutes": 0,
        "createdAt": graphql_time(state.primary_location().created_at),
        "updatedAt": graphql_time(state.primary_location().updated_at),
        "plan": {
            "displayName": state.plan,
            "partnerDevelopment": False,
            "shopifyPlus": state.plan == "plus",
            "publicDisplayName": state.plan,
        },
        "primaryDomain": {
            "id": gid("Domain", state.shop_id),
            "host": state.domain,
            "url": f"https://{state.domain}",
            "sslEnabled": True,
        },
        "url": f"https://{state.domain}",
        "fulfillmentServices": lambda _info: shop_fulfillment_services(state),
    }


QUERY_FIELDS: dict[str, Callable[..., Any]] = {
    "order": order,
    "orders": orders,
    "node": node,
    "nodes": nodes,
    "fulfillmentOrder": fulfillment_order,
    "fulfillmentOrders": fulfillment_orders,
    "locations": locations,
    "location": location,
    "productVariants": product_variants,
    "productVariant": product_variant,
    "inventoryItems": inventory_items,
    "inventoryItem": inventory_item,
    "inventoryLevel": inventory_level,
    "webhookSubscriptions": webhook_subscriptions,
    "webhookSubscription": webhook_subscription,
    "shop": shop,
}

__all__ = ["QUERY_FIELDS"]
