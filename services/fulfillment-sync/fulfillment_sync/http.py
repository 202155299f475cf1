"""Operator endpoint: retry a shipment after fixing what made it fail.

`POST /shipments/{shipment_id}/retry` (OPS_TOKEN bearer token when one is configured), with
`{"shop": ...}` in the body or `?shop=` when two shops have a shipment of that id. The shipment
is due at once; Shopify is read back before anything is created, so a retry never doubles a
fulfillment.
"""

from collections.abc import Collection
from typing import Any

import asyncpg
from aiohttp import web

from fulfillment_sync import store
from fulfillment_sync.settings import FulfillmentSyncSettings
from service_runtime import require_operator
from service_runtime.requests import bad_request, conflict, not_found


async def _shop_asked(request: web.Request) -> str | None:
    body: Any = {}
    if request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("body must be JSON") from None
    shop = (body.get("shop") if isinstance(body, dict) else None) or request.query.get("shop")
    return shop.strip().lower() if isinstance(shop, str) and shop.strip() else None


def operator_routes(
    pool: asyncpg.Pool, served_shops: Collection[str], settings: FulfillmentSyncSettings
) -> list[web.RouteDef]:
    async def retry(request: web.Request) -> web.Response:
        require_operator(request)
        shipment_id = request.match_info["shipment_id"]
        async with pool.acquire() as conn, conn.transaction():
            found = await store.shipment_states(conn, shipment_id, await _shop_asked(request))
            if not found:
                raise not_found(f"no shipment {shipment_id}")
            if len(found) > 1:
                shops = ", ".join(s.shop for s in found)
                raise conflict(f"shipment {shipment_id} exists in {shops}: give shop")
            [shipment] = found
            if shipment.shop not in served_shops:
                raise conflict(
                    f"shop {shipment.shop} is not configured here, or has no access token"
                )
            state = await store.retry_now(
                conn, shipment.shop, shipment_id, settings.awaiting_order_minutes * 60
            )
            if state is None:
                done = f" as {shipment.fulfillment_id}" if shipment.fulfillment_id else ""
                raise conflict(f"shipment {shipment_id} is {shipment.state}{done}")
            await store.SHIPMENTS.wake(conn)
        return web.json_response(
            {"shop": shipment.shop, "shipment_id": shipment_id, "state": state}
        )

    return [web.post("/shipments/{shipment_id}/retry", retry)]
