"""The gateway's operator endpoints: webhook subscriptions and customers' data requests.

GET  /webhooks/subscriptions/{shop}          list the shop's subscriptions now, name the missing
POST /webhooks/subscriptions/{shop}/repair   re-create the missing ones
GET  /privacy/data-requests                  customers' data requests (?open=1: not exported)
GET  /privacy/data-requests/{shop}/{id}      one request: which orders it covers
POST /privacy/data-requests/{shop}/{id}/exported   the operator handed the export over
POST /privacy/export                         personal data the gateway holds for some orders

Mutating endpoints need the OPS_TOKEN bearer token when one is configured.
"""

from typing import Any

import asyncpg
from aiohttp import web

from messaging.personal_data import MessageSelection, personal_data_in_messages
from service_runtime import require_operator
from service_runtime.requests import conflict, json_object, not_found, text_field
from webhook_gateway import shop_records
from webhook_gateway.healing import ShopSubscriptions, SubscriptionHealer, UnknownShop


def _subscriptions_json(
    shop: str, healer: SubscriptionHealer, state: ShopSubscriptions
) -> dict[str, Any]:
    return {"shop": shop, "callback_url": healer.callback_url, **state.as_json()}


def operator_routes(pool: asyncpg.Pool, healer: SubscriptionHealer) -> list[web.RouteDef]:
    async def subscriptions(request: web.Request) -> web.Response:
        shop = request.match_info["shop"]
        try:
            state = await healer.check(shop)
        except UnknownShop as exc:
            raise not_found(str(exc)) from None
        return web.json_response(_subscriptions_json(shop, healer, state))

    async def repair(request: web.Request) -> web.Response:
        require_operator(request)
        shop = request.match_info["shop"]
        try:
            state = await healer.repair(shop)
        except UnknownShop as exc:
            raise not_found(str(exc)) from None
        except LookupError as exc:  # no callback URL configured
            raise conflict(str(exc)) from None
        return web.json_response(_subscriptions_json(shop, healer, state))

    async def list_requests(request: web.Request) -> web.Response:
        open_only = request.query.get("open") in ("1", "true")
        found = await shop_records.data_requests(pool, open_only=open_only)
        return web.json_response({"data_requests": found})

    async def one_request(request: web.Request) -> web.Response:
        shop, request_id = request.match_info["shop"], request.match_info["request_id"]
        found = await shop_records.data_request(pool, shop, request_id)
        if found is None:
            raise not_found(f"no data request {request_id} for {shop}")
        return web.json_response(found)

    async def exported(request: web.Request) -> web.Response:
        require_operator(request)
        shop, request_id = request.match_info["shop"], request.match_info["request_id"]
        if not await shop_records.mark_exported(pool, shop, request_id):
            raise not_found(f"no data request {request_id} for {shop}")
        return web.json_response(await shop_records.data_request(pool, shop, request_id))

    async def export(request: web.Request) -> web.Response:
        require_operator(request)
        body = await json_object(request)
        shop = text_field(body, "shop")
        order_ids = [str(gid) for gid in body.get("order_ids") or []]
        selection = MessageSelection.about_orders(shop, order_ids)
        async with pool.acquire() as conn:
            held = await personal_data_in_messages(conn, selection)
        return web.json_response(
            {"service": "webhook-gateway", "held_messages": [m.as_json() for m in held]}
        )

    return [
        web.get("/webhooks/subscriptions/{shop}", subscriptions),
        web.post("/webhooks/subscriptions/{shop}/repair", repair),
        web.get("/privacy/data-requests", list_requests),
        web.get("/privacy/data-requests/{shop}/{request_id}", one_request),
        web.post("/privacy/data-requests/{shop}/{request_id}/exported", exported),
        web.post("/privacy/export", export),
    ]
