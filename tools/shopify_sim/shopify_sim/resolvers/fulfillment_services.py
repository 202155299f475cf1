"""fulfillmentServiceCreate / Update / Delete and the reads of services and their assigned work.

The checks are in domain/fulfillment_services.py and domain/fulfillment_requests.py; this
applies them. A service belongs to the app that created it (RequestContext.app): only that app
may change or delete it, answer its requests, or list its assigned fulfillment orders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from shopify_sim.connections import by_id, connection
from shopify_sim.domain import fulfillment_requests as requests_rules
from shopify_sim.domain import fulfillment_services as rules
from shopify_sim.domain.fulfillment_changes import status_without_progress
from shopify_sim.domain.order_status import FINAL_FO_STATUSES
from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.ids import gid, gid_number
from shopify_sim.resolvers.context import RequestContext, context_of
from shopify_sim.resolvers.errors import BareError
from shopify_sim.state.models import FulfillmentService, Location
from shopify_sim.state.repository import ShopState
from shopify_sim.views.catalog import fulfillment_service_node, manual_service_node
from shopify_sim.views.orders import fulfillment_order_node

Node = dict[str, Any]
# Shopify's answer to assignedFulfillmentOrders from an app that registered no service (capture
# fulfillment-top-level-reads: a top-level error, no extensions, `data: null`).
NO_SERVICE = '["The api_client is not associated with any fulfillment service."]'


def _own_service(ctx: RequestContext, value: Any) -> FulfillmentService | None:
    """The caller's service an id argument names. Another app's service is "could not be found"
    too (simulator reading: Shopify scopes services to the app that registered them)."""
    number = gid_number(value, "FulfillmentService")
    service = ctx.shop.fulfillment_services.get(number) if number is not None else None
    return service if service is not None and service.owner == ctx.app else None


def _service_refusal(errors: list[UserError]) -> Node:
    return {"fulfillmentService": None, "userErrors": errors}


def fulfillment_service_create(
    _root: Any,
    info: GraphQLResolveInfo,
    name: str,
    callbackUrl: str | None = None,
    trackingSupport: bool = False,
    fulfillmentOrdersOptIn: bool = True,
    inventoryManagement: bool = False,
    requiresShippingMethod: bool = True,
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    errors = rules.name_errors(
        name, shop.fulfillment_services.values()
    ) + rules.callback_url_errors(callbackUrl, shop.settings.callback_url_hosts)
    if errors:
        return _service_refusal(errors)
    now = shop.now()
    primary = shop.primary_location()
    service = FulfillmentService(
        id=shop.new_id(),
        name=name,
        handle=rules.service_handle(name),
        location_id=shop.new_id(),
        owner=ctx.app,
        created_at=now,
        updated_at=now,
        callback_url=callbackUrl,
        tracking_support=bool(trackingSupport),
        inventory_management=bool(inventoryManagement),
        requires_shipping_method=requiresShippingMethod is not False,
    )
    # "named after the fulfillment service and inherit the shop's address"
    location = Location(
        id=service.location_id,
        name=name,
        created_at=now,
        updated_at=now,
        fulfills_online_orders=True,
        country_code=primary.country_code,
        city=primary.city,
        province=primary.province,
        address1=primary.address1,
        zip=primary.zip,
        fulfillment_service_id=service.id,
    )
    shop.add_fulfillment_service(service, location)
    return {"fulfillmentService": fulfillment_service_node(shop, service), "userErrors": []}


def fulfillment_service_update(_root: Any, info: GraphQLResolveInfo, id: str, **args: Any) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    service = _own_service(ctx, id)
    if service is None:
        return _service_refusal([user_error(["id"], rules.NOT_FOUND)])
    name = args.get("name")
    others = [s for s in shop.fulfillment_services.values() if s.id != service.id]
    errors = rules.name_errors(name, others) if name is not None else []
    # An explicit null clears the callback URL (optional since 2026-01); absent keeps it.
    callback_given = "callbackUrl" in args
    if callback_given:
        errors += rules.callback_url_errors(args["callbackUrl"], shop.settings.callback_url_hosts)
    if errors:
        return _service_refusal(errors)
    now = shop.now()
    location = shop.locations[service.location_id]
    if name is not None:
        # The location follows the new name; the handle does not (capture).
        service.name = location.name = name
        location.updated_at = now
    if callback_given:
        service.callback_url = args["callbackUrl"]
    if args.get("trackingSupport") is not None:
        service.tracking_support = bool(args["trackingSupport"])
    if args.get("inventoryManagement") is not None:
        service.inventory_management = bool(args["inventoryManagement"])
    # The argument defaults to true: omitting it resets a false value (capture
    # fulfillment-service-requires-shipping-method-default).
    service.requires_shipping_method = args.get("requiresShippingMethod", True) is not False
    service.updated_at = now
    return {"fulfillmentService": fulfillment_service_node(shop, service), "userErrors": []}


def _valid_destination(
    shop: ShopState, value: str | None, service: FulfillmentService
) -> int | None:
    """An active, merchant-managed location other than the service's own."""
    number = gid_number(value, "Location")
    location = shop.live_locations().get(number) if number is not None else None
    if location is None or not location.is_active or location.fulfillment_service_id is not None:
        return None
    return location.id if location.id != service.location_id else None


def _hand_back_work(shop: ShopState, location_id: int, destination: int | None) -> None:
    """The location stops being a service's: its open FOs become merchant-managed work
    (UNSUBMITTED, "the only valid request status" away from services), at `destination` when the
    inventory goes there. SIMULATOR RULE: Shopify documents no effect on fulfillment orders."""
    for fo in shop.fulfillment_orders.values():
        if fo.location_id != location_id or fo.status in FINAL_FO_STATUSES:
            continue
        fo.request_status = "UNSUBMITTED"
        if fo.status in ("IN_PROGRESS", "INCOMPLETE") and not fo.progress_reported:
            fo.status = status_without_progress(fo)
        if destination is not None:
            fo.location_id = destination
        fo.updated_at = shop.now()
        shop.touch(shop.orders[fo.order_id])


def _transfer_inventory(shop: ShopState, source: int, destination: int) -> None:
    for level in list(shop.levels_at(source)):
        target = shop.stock(level.inventory_item_id, destination)
        shop.change_quantities(target, {n: q for n, q in level.quantities.items() if q})
        shop.remove_level(level)


def fulfillment_service_delete(
    _root: Any,
    info: GraphQLResolveInfo,
    id: str,
    destinationLocationId: str | None = None,
    inventoryAction: str = "TRANSFER",
) -> Node:
    ctx = context_of(info)
    shop = ctx.shop
    service = _own_service(ctx, id)
    if service is None:
        return {"deletedId": None, "userErrors": [user_error(["id"], rules.NOT_FOUND)]}
    destination = _valid_destination(shop, destinationLocationId, service)
    errors = rules.delete_errors(
        inventoryAction, destinationLocationId is not None, destination is not None
    )
    if errors:
        return {"deletedId": None, "userErrors": errors}
    location = shop.locations[service.location_id]
    if inventoryAction == "KEEP":
        # "Keep the inventory in place and convert the Fulfillment Service's location to be
        # merchant managed."
        location.fulfillment_service_id = None
        _hand_back_work(shop, location.id, None)
    else:
        if inventoryAction == "TRANSFER" and destination is not None:
            _transfer_inventory(shop, location.id, destination)
        else:  # DELETE: "Deactivate and delete the inventory and location."
            for level in list(shop.levels_at(location.id)):
                shop.remove_level(level)
        _hand_back_work(shop, location.id, destination)
        location.deleted = True
        location.is_active = False
        location.fulfillment_service_id = None
    location.updated_at = shop.now()
    del shop.fulfillment_services[service.id]
    # deletedId comes back without the `?id=true` of the service's id (capture).
    return {"deletedId": gid("FulfillmentService", service.id), "userErrors": []}


# --- reads -------------------------------------------------------------------------------------


def fulfillment_service(_root: Any, info: GraphQLResolveInfo, id: str) -> Node | None:
    shop = context_of(info).shop
    number = gid_number(id, "FulfillmentService")
    service = shop.fulfillment_services.get(number) if number is not None else None
    return fulfillment_service_node(shop, service) if service is not None else None


def shop_fulfillment_services(shop: ShopState) -> list[Node]:
    """`Shop.fulfillmentServices`: Shopify's Manual service first, then every app's services."""
    services = sorted(shop.fulfillment_services.values(), key=lambda s: s.id)
    return [manual_service_node(shop)] + [fulfillment_service_node(shop, s) for s in services]


def assigned_fulfillment_orders(
    _root: Any,
    info: GraphQLResolveInfo,
    assignmentStatus: str | None = None,
    locationIds: list[str] | None = None,
    reverse: bool = False,
    sortKey: str = "ID",
    **page: Any,
) -> Node:
    """FOs at the locations of the caller's services, CLOSED ones excluded."""
    ctx = context_of(info)
    shop = ctx.shop
    owned = {s.location_id for s in shop.fulfillment_services.values() if s.owner == ctx.app}
    if not owned:
        raise BareError(NO_SERVICE)
    if locationIds is not None:
        owned &= {gid_number(value, "Location") for value in locationIds}
    found = [
        fo
        for fo in shop.fulfillment_orders.values()
        if fo.location_id in owned and requests_rules.is_assigned_match(fo, assignmentStatus)
    ]
    return connection(
        found,
        to_node=lambda fo: fulfillment_order_node(shop, fo),
        sort_key=(lambda fo: (fo.updated_at, fo.id)) if sortKey == "UPDATED_AT" else by_id,
        reverse=reverse,
        **page,
    )


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "fulfillmentServiceCreate": fulfillment_service_create,
    "fulfillmentServiceUpdate": fulfillment_service_update,
    "fulfillmentServiceDelete": fulfillment_service_delete,
}
QUERY_FIELDS: dict[str, Callable[..., Any]] = {
    "fulfillmentService": fulfillment_service,
    "assignedFulfillmentOrders": assigned_fulfillment_orders,
}
