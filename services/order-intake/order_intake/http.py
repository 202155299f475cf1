"""Operator endpoints: download a time window, re-sync one order by name.

The operator command line (another issue) calls these; both need the OPS_TOKEN bearer token
when one is configured. They answer when the work is done, with what it did.
"""

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from order_intake.polling import OrderDownloader, UnknownShop
from service_runtime.ops import require_operator


def _bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


def _not_found(message: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(text=json.dumps({"error": message}), content_type="application/json")


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise _bad_request("body must be JSON") from None
    if not isinstance(body, dict):
        raise _bad_request("body must be a JSON object")
    return body


def _text_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _bad_request(f"{name} is required")
    return value.strip()


def _timestamp(body: dict[str, Any], name: str, *, required: bool) -> datetime | None:
    value = body.get(name)
    if value is None and not required:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _bad_request(f"{name} must be an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise _bad_request(f"{name} needs a timezone (e.g. Z)")
    return parsed


def operator_routes(downloader: OrderDownloader) -> list[web.RouteDef]:
    async def download(request: web.Request) -> web.Response:
        require_operator(request)
        body = await _json_body(request)
        shop = _text_field(body, "shop")
        since = _timestamp(body, "since", required=True)
        assert since is not None
        until = _timestamp(body, "until", required=False)
        if until is not None and until < since:
            raise _bad_request("until is before since")
        try:
            result = await downloader.download(shop, since, until)
        except UnknownShop as exc:
            raise _not_found(str(exc)) from None
        return web.json_response({"shop": shop, **result.as_json()})

    async def resync(request: web.Request) -> web.Response:
        require_operator(request)
        body = await _json_body(request)
        shop = _text_field(body, "shop")
        name = _text_field(body, "name")
        try:
            applied = await downloader.resync(shop, name)
        except UnknownShop as exc:
            raise _not_found(str(exc)) from None
        if applied is None:
            raise _not_found(f"no order named {name} in {shop}")
        decision = applied.decision
        return web.json_response(
            {
                "shop": shop,
                "order": applied.order_name,
                "order_id": applied.order_gid,
                "state": decision.state if decision else "stale",
                "reason": decision.reason if decision else None,
                "created": [c.wms_order_ref for c in decision.creates] if decision else [],
            }
        )

    return [web.post("/orders/download", download), web.post("/orders/resync", resync)]
