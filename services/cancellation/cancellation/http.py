"""Operator endpoints: acknowledge an alert once dealt with; try a warehouse cancellation again.

Both need the OPS_TOKEN bearer token when one is configured, and name the WMS order by shop and
`wms_order_ref` (as /status shows them).
"""

import asyncpg
from aiohttp import web

from cancellation import store
from service_runtime.ops import require_operator
from service_runtime.requests import json_object, not_found, text_field


async def _wms_order_named(request: web.Request) -> tuple[str, str]:
    body = await json_object(request)
    return text_field(body, "shop"), text_field(body, "wms_order_ref")


def operator_routes(pool: asyncpg.Pool) -> list[web.RouteDef]:
    async def acknowledge(request: web.Request) -> web.Response:
        require_operator(request)
        shop, ref = await _wms_order_named(request)
        async with pool.acquire() as conn:
            if not await store.acknowledge(conn, shop, ref):
                raise not_found(f"no open alert for {ref} in {shop}")
        return web.json_response({"shop": shop, "wms_order_ref": ref, "acknowledged": True})

    async def retry(request: web.Request) -> web.Response:
        require_operator(request)
        shop, ref = await _wms_order_named(request)
        async with pool.acquire() as conn:
            if not await store.retry_warehouse_cancellation(conn, shop, ref):
                raise not_found(f"no warehouse cancellation of {ref} in {shop} to retry")
        return web.json_response({"shop": shop, "wms_order_ref": ref, "state": "pending"})

    return [
        web.post("/cancellations/acknowledge", acknowledge),
        web.post("/cancellations/retry", retry),
    ]
