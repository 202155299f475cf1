"""The control plane under /_sim/: shops, seeding, orders, faults, delivery control, state.

Fulfillment-service conveniences (the merchant's side of the protocol):
- POST /_sim/shops/<domain>/settings {"auto_request_fulfillment": bool,
  "cancellation_accepted_status": "CLOSED"|"CANCELLED", "callback_url_hosts": [host]|null};
  GET answers the settings. The same object may be given as "settings" to POST /_sim/shops.
- POST /_sim/shops/<domain>/locations/<location>/stock {"available": n, "skus": [...]}: stock
  every variant (or the SKUs listed) at a location (GID, number or name) with `available` units.
- POST /_sim/shops/<domain>/order_stream {..., "location": name or GID}: every line ships from it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from shopify_sim import inspection
from shopify_sim.events import ShopEvent
from shopify_sim.ids import gid_number
from shopify_sim.order_stream import OrderStream
from shopify_sim.resolvers.context import RequestContext
from shopify_sim.resolvers.fulfillment_requests import auto_request_fulfillment
from shopify_sim.seed import SeedPlan, seed_shop
from shopify_sim.simulator import Simulator
from shopify_sim.state.models import CANCELLATION_ACCEPTED_STATUSES, Location
from shopify_sim.state.repository import ShopState, UnknownShop
from shopify_sim.webhook_payloads import compliance_body, shop_body

SIMULATOR_KEY = web.AppKey("simulator", Simulator)
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
RISK_LEVELS = ("HIGH", "MEDIUM", "LOW", "NONE", "PENDING")

routes = web.RouteTableDef()


def _sim(request: web.Request) -> Simulator:
    return request.app[SIMULATOR_KEY]


def _shop(request: web.Request) -> ShopState:
    try:
        return _sim(request).store.shop(request.match_info["domain"])
    except UnknownShop:
        raise web.HTTPNotFound(text=f"unknown shop {request.match_info['domain']}") from None


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


@routes.post("/_sim/shops")
async def create_shop(request: web.Request) -> web.Response:
    body = await _json_body(request)
    sim = _sim(request)
    try:
        shop = sim.store.create_shop(
            body["domain"],
            body["access_token"],
            body["client_secret"],
            body.get("plan", "standard"),
            location_names=tuple(body.get("locations", ("Shop location",))),
            protected_customer_data=_flag(body, "protected_customer_data", default=True),
        )
        sim.gateway.set_plan(shop, shop.plan)
        _apply_settings(shop, body.get("settings") or {})
    except KeyError as exc:
        raise web.HTTPBadRequest(text=f"missing {exc}") from None
    except ValueError as exc:
        raise web.HTTPConflict(text=str(exc)) from None
    return web.json_response(inspection.shop_json(shop), status=201)


def _flag(body: dict[str, Any], name: str, *, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise web.HTTPBadRequest(text=f"{name} must be true or false")
    return value


def _apply_settings(shop: ShopState, changes: dict[str, Any]) -> None:
    """Validate everything first, then apply: a 400 changes nothing."""
    if not isinstance(changes, dict):
        raise web.HTTPBadRequest(text="settings must be a JSON object")
    known = {"auto_request_fulfillment", "cancellation_accepted_status", "callback_url_hosts"}
    unknown = set(changes) - known
    if unknown:
        raise web.HTTPBadRequest(text=f"unknown settings {sorted(unknown)}; known: {sorted(known)}")
    auto = _flag(
        changes, "auto_request_fulfillment", default=shop.settings.auto_request_fulfillment
    )
    status = changes.get("cancellation_accepted_status", shop.settings.cancellation_accepted_status)
    if status not in CANCELLATION_ACCEPTED_STATUSES:
        raise web.HTTPBadRequest(
            text=f"cancellation_accepted_status must be one of {CANCELLATION_ACCEPTED_STATUSES}"
        )
    hosts = changes.get("callback_url_hosts", shop.settings.callback_url_hosts)
    if hosts is not None and (
        not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts)
    ):
        raise web.HTTPBadRequest(text="callback_url_hosts must be a list of host names or null")
    shop.settings.auto_request_fulfillment = auto
    shop.settings.cancellation_accepted_status = status
    shop.settings.callback_url_hosts = hosts


@routes.get("/_sim/shops/{domain}/settings")
async def get_settings(request: web.Request) -> web.Response:
    return web.json_response(inspection.settings_json(_shop(request)))


@routes.post("/_sim/shops/{domain}/settings")
async def set_settings(request: web.Request) -> web.Response:
    """The merchant's automation and the simulator's choices where Shopify's docs are silent."""
    shop = _shop(request)
    _apply_settings(shop, await _json_body(request))
    return web.json_response(inspection.settings_json(shop))


def _location_or_404(shop: ShopState, value: str) -> Location:
    number = gid_number(value, "Location")
    if number is None and value.isdigit():
        number = int(value)
    live = shop.live_locations()
    location = live.get(number) if number is not None else None
    if location is None:
        location = next((loc for loc in live.values() if loc.name == value), None)
    if location is None:
        raise web.HTTPNotFound(text=f"unknown location {value}")
    return location


@routes.post("/_sim/shops/{domain}/locations/{location:.+}/stock")
async def stock_location(request: web.Request) -> web.Response:
    """Stock every variant (or `skus`) at a location with `available` units (default 100), as a
    merchant does in the admin: how items get to a fulfillment service's location."""
    body = await _json_body(request)
    shop = _shop(request)
    location = _location_or_404(shop, request.match_info["location"])
    available = body.get("available", 100)
    if not isinstance(available, int) or isinstance(available, bool):
        raise web.HTTPBadRequest(text="available must be an integer")
    skus = body.get("skus")
    if skus is None:
        variants = list(shop.variants.values())
    else:
        missing = [sku for sku in skus if sku not in shop.variants_by_sku]
        if missing:
            raise web.HTTPBadRequest(text=f"unknown SKUs {missing}")
        variants = [shop.variants_by_sku[sku] for sku in skus]
    for variant in variants:
        level = shop.stock(variant.inventory_item_id, location.id)
        delta = available - level.quantities["available"]
        shop.change_quantities(level, {"available": delta, "on_hand": delta})
    return web.json_response(
        {"location_id": f"gid://shopify/Location/{location.id}", "stocked": len(variants)}
    )


@routes.post("/_sim/shops/{domain}/protected_customer_data")
async def set_protected_customer_data(request: web.Request) -> web.Response:
    """{"allowed": false}: Shopify withholds the customer's name, email, phone and addresses
    from the app from now on (protected_data.py); true gives them back."""
    body = await _json_body(request)
    if "allowed" not in body:
        raise web.HTTPBadRequest(text="missing 'allowed'")
    shop = _shop(request)
    shop.protected_customer_data = _flag(body, "allowed", default=True)
    return web.json_response({"protected_customer_data": shop.protected_customer_data})


@routes.get("/_sim/shops/{domain}")
async def get_shop(request: web.Request) -> web.Response:
    return web.json_response(inspection.shop_json(_shop(request)))


@routes.post("/_sim/shops/{domain}/plan")
async def set_plan(request: web.Request) -> web.Response:
    body = await _json_body(request)
    shop = _shop(request)
    try:
        _sim(request).gateway.set_plan(shop, body["plan"])
    except (KeyError, ValueError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response(_sim(request).gateway.shop_runtime(shop).bucket.status())


@routes.post("/_sim/shops/{domain}/seed")
async def seed(request: web.Request) -> web.Response:
    try:
        counts = seed_shop(_shop(request), SeedPlan.from_json(await _json_body(request)))
    except (ValueError, TypeError) as exc:  # a malformed or conflicting named catalog
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response(counts)


@routes.post("/_sim/shops/{domain}/graphql")
async def unmetered_graphql(request: web.Request) -> web.Response:
    """GraphQL as another app: no bucket, no faults (order generators, test setup)."""
    body = await _json_body(request)
    result = _sim(request).gateway.run_unmetered(
        _shop(request), body["query"], body.get("variables")
    )
    return web.json_response(result)


def _order_or_404(shop: ShopState, order_id: str) -> Any:
    number = gid_number(order_id, "Order")
    if number is None and order_id.isdigit():
        number = int(order_id)
    order = shop.orders.get(number) if number is not None else None
    if order is None:
        order = next((o for o in shop.orders.values() if o.name == order_id), None)
    if order is None:
        raise web.HTTPNotFound(text=f"unknown order {order_id}")
    return order


@routes.post("/_sim/shops/{domain}/orders/{order_id}/risk")
async def set_risk(request: web.Request) -> web.Response:
    body = await _json_body(request)
    level = str(body.get("level", "HIGH")).upper()
    if level not in RISK_LEVELS:
        raise web.HTTPBadRequest(text=f"risk level must be one of {RISK_LEVELS}")
    shop = _shop(request)
    order = _order_or_404(shop, request.match_info["order_id"])
    order.risk_level = level
    shop.touch(order)
    _emit(request, shop, order, "orders/updated")
    return web.json_response({"id": order.id, "risk_level": level})


@routes.post("/_sim/shops/{domain}/orders/{order_id}/paid")
async def mark_paid(request: web.Request) -> web.Response:
    shop = _shop(request)
    order = _order_or_404(shop, request.match_info["order_id"])
    order.financial_status = "PAID"
    shop.touch(order)
    context = RequestContext(shop)
    context.emit_order(order, "orders/paid", "orders/updated")
    # A paid order is what the merchant's "submit fulfillment request" automation waits for.
    auto_request_fulfillment(context, order)
    _sim(request).dispatcher.publish(context.events)
    return web.json_response({"id": order.id, "financial_status": "PAID"})


def _emit(request: web.Request, shop: ShopState, order: Any, *topics: str) -> None:
    context = RequestContext(shop)
    context.emit_order(order, *topics)
    _sim(request).dispatcher.publish(context.events)


@routes.post("/_sim/shops/{domain}/trigger/{topic:.+}")
async def trigger(request: web.Request) -> web.Response:
    """app/uninstalled and the compliance topics, as an admin action would raise them."""
    body = await _json_body(request)
    shop = _shop(request)
    topic = request.match_info["topic"]
    sim = _sim(request)
    if topic == "app/uninstalled":
        sim.dispatcher.publish([ShopEvent(shop.domain, topic, shop_body(shop), shop.now())])
    elif topic in COMPLIANCE_TOPICS:
        event = ShopEvent(
            shop.domain,
            topic,
            compliance_body(shop, topic, body.get("customer"), body.get("order_ids")),
            shop.now(),
        )
        uris = [body["uri"]] if body.get("uri") else [s.uri for s in shop.subscriptions.values()]
        sim.dispatcher.publish_to(event, uris)
    else:
        raise web.HTTPBadRequest(text=f"cannot trigger {topic}")
    return web.json_response({"topic": topic})


@routes.post("/_sim/shops/{domain}/order_stream")
async def start_order_stream(request: web.Request) -> web.Response:
    body = await _json_body(request)
    shop = _shop(request)
    sim = _sim(request)
    stream = OrderStream(
        shop=shop,
        rate_per_second=float(body.get("rate", 5)),
        duration_seconds=float(body.get("duration", 60)),
        run_graphql=sim.gateway.run_unmetered,
        seed=body.get("seed"),
        high_risk_fraction=float(body.get("high_risk_fraction", 0.0)),
        location=_location_gid(shop, body.get("location")),
    )
    sim.streams[shop.domain] = stream
    task = asyncio.get_running_loop().create_task(stream.run())
    sim.stream_tasks.add(task)
    task.add_done_callback(sim.stream_tasks.discard)
    return web.json_response(stream.status(), status=202)


def _location_gid(shop: ShopState, value: Any) -> str | None:
    if value is None:
        return None
    return f"gid://shopify/Location/{_location_or_404(shop, str(value)).id}"


@routes.get("/_sim/shops/{domain}/order_stream")
async def order_stream_status(request: web.Request) -> web.Response:
    stream = _sim(request).streams.get(_shop(request).domain)
    if stream is None:
        raise web.HTTPNotFound(text="no order stream started")
    return web.json_response(stream.status())


# --- state inspection -------------------------------------------------------------------------
@routes.get("/_sim/shops/{domain}/state/orders")
async def state_orders(request: web.Request) -> web.Response:
    return web.json_response(inspection.orders_json(_shop(request)))


@routes.get("/_sim/shops/{domain}/state/fulfillment_orders")
async def state_fulfillment_orders(request: web.Request) -> web.Response:
    return web.json_response(inspection.fulfillment_orders_json(_shop(request)))


@routes.get("/_sim/shops/{domain}/state/fulfillment_services")
async def state_fulfillment_services(request: web.Request) -> web.Response:
    return web.json_response(inspection.fulfillment_services_json(_shop(request)))


@routes.get("/_sim/shops/{domain}/state/fulfillments")
async def state_fulfillments(request: web.Request) -> web.Response:
    return web.json_response(inspection.fulfillments_json(_shop(request)))


@routes.get("/_sim/shops/{domain}/state/inventory")
async def state_inventory(request: web.Request) -> web.Response:
    location = request.query.get("location_id")
    location_number = gid_number(location, "Location") if location else None
    rows = inspection.inventory_json(_shop(request), request.query.get("sku"), location_number)
    return web.json_response(rows)


@routes.get("/_sim/shops/{domain}/state/webhooks")
async def state_webhooks(request: web.Request) -> web.Response:
    return web.json_response(_sim(request).dispatcher.log_json(_shop(request).domain))


@routes.get("/_sim/shops/{domain}/stats")
async def shop_stats(request: web.Request) -> web.Response:
    shop = _shop(request)
    runtime = _sim(request).gateway.shop_runtime(shop)
    return web.json_response({**runtime.stats.as_json(), "bucket": runtime.bucket.status()})


# --- faults and delivery control --------------------------------------------------------------
@routes.get("/_sim/faults")
async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(_sim(request).gateway.fault_settings.as_json(time.monotonic()))


@routes.post("/_sim/faults")
async def set_faults(request: web.Request) -> web.Response:
    settings = _sim(request).gateway.fault_settings
    settings.update(await _json_body(request), time.monotonic())
    return web.json_response(settings.as_json(time.monotonic()))


@routes.delete("/_sim/faults")
async def clear_faults(request: web.Request) -> web.Response:
    gateway = _sim(request).gateway
    gateway.fault_settings = type(gateway.fault_settings)()
    return web.json_response(gateway.fault_settings.as_json(time.monotonic()))


@routes.post("/_sim/webhooks/controls")
async def set_delivery_controls(request: web.Request) -> web.Response:
    dispatcher = _sim(request).dispatcher
    dispatcher.controls.update(await _json_body(request))
    return web.json_response(vars(dispatcher.controls))


@routes.post("/_sim/webhooks/release")
async def release_held(request: web.Request) -> web.Response:
    dispatcher = _sim(request).dispatcher
    dispatcher.controls.reorder = False
    return web.json_response({"released": dispatcher.release_held()})


# --- bulk operations ----------------------------------------------------------------------
@routes.get("/_sim/bulk-operation-outputs/{token}/{name}")
async def bulk_output(request: web.Request) -> web.StreamResponse:
    """A bulk operation's JSONL result (its `url` / `partialDataUrl`), streamed from disk."""
    path = _sim(request).bulk.files.get(request.match_info["token"])
    if path is None or not path.exists():
        raise web.HTTPForbidden(text="AccessDenied: the signed URL is invalid or expired")
    return web.FileResponse(path, headers={"Content-Type": "application/jsonl"})


@routes.get("/_sim/bulk")
async def get_bulk_controls(request: web.Request) -> web.Response:
    return web.json_response(_sim(request).bulk.controls())


@routes.post("/_sim/bulk")
async def set_bulk_controls(request: web.Request) -> web.Response:
    """{"objects_per_second": n, "page_size": n, "concurrency": n, "fail_next": n}: the pace,
    how many query operations may run at once per shop, and how many of the next operations
    FAIL with INTERNAL_SERVER_ERROR halfway (the fault knob)."""
    runner = _sim(request).bulk
    try:
        runner.update(await _json_body(request))
    except (TypeError, ValueError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response(runner.controls())


@routes.get("/_sim/webhooks/log")
async def delivery_log(request: web.Request) -> web.Response:
    return web.json_response(_sim(request).dispatcher.log_json())
