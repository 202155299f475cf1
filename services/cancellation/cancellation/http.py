"""Operator endpoints: acknowledge an alert once dealt with; try a warehouse cancellation again.

Both need the OPS_TOKEN bearer token when one is configured, and name the WMS order by shop and
`wms_order_ref` (as /status shows them).
"""

import json

import asyncpg
from aiohttp import web

from cancellation import store
from service_runtime.ops import require_operator


def _error(kind: type[web.HTTPException], message: str) -> web.HTTPException:
    return kind(text=json.dumps({"error": message}), content_type="application/json")


async def _wms_order_named(request: web.Request) -> tuple[str, str]:
    try:
        body = await request.json()
    except ValueError:
        raise _error(web.HTTPBadRequest, "body must be JSON") from None
    if not isinstance(body, dict):
        raise _error(web.HTTPBadRequest, "body must be a JSON object")
    shop, ref = body.get("shop"), body.get("wms_order_ref")
    if not (isinstance(shop, str) and shop.strip() and isinstance(ref, str) and ref.strip()):
        raise _error(web.HTTPBadRequest, "shop and wms_order_ref are required")
    return shop.strip(), ref.strip()


def operator_routes(pool: asyncpg.Pool) -> list[web.RouteDef]:
    async def acknowledge(request: web.Request) -> web.Response:
        require_operator(request)
        shop, ref = await _wms_order_named(request)
        async with pool.acquire() as conn:
            if not await store.acknowledge(conn, shop, ref):
                raise _error(web.HTTPNotFound, f"no open alert for {ref} in {shop}")
        return web.json_response({"shop": shop, "wms_order_ref": ref, "acknowledged": True})

    async def retry(request: web.Request) -> web.Response:
        require_operator(request)
        shop, ref = await _wms_order_named(request)
        async with pool.acquire() as conn:
            if not await store.retry_warehouse_cancellation(conn, shop, ref):
                raise _error(
                    web.HTTPNotFound, f"no warehouse cancellation of {ref} in {shop} to retry"
                )
        return web.json_response({"shop": shop, "wms_order_ref": ref, "state": "pending"})

    return [
        web.post("/cancellations/acknowledge", acknowledge),
        web.post("/cancellations/retry", retry),
    ]
