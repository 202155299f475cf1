"""Operator endpoints: download a time window, re-sync one order by name.

A re-sync of an order whose customer data Shopify withholds from the app answers 409 with the
reason (the order is recorded as a failed sync with it, on /status).

A re-sync is also how an operator says "I have looked at this order": WMS orders the warehouse
rejected are sent again (same ref: the warehouse never held them), and the refused changes and
edits the WMS was not told about are acknowledged, so they leave the status page and the
order's waiting new work may go out (a refused reduce is asked again if Shopify still wants it).

The operator command line calls these; the POSTs need the OPS_TOKEN bearer token when one is
configured. `POST /orders/download` answers when the download is done; `POST /orders/downloads`
starts it in the background and `GET /orders/downloads/{job_id}` shows how far it got.

Fulfillment services (fulfillment_services.py), every one with the token when configured:
`GET /fulfillment-services` lists them; `POST /fulfillment-services/{shop}/{facility}/register`
checks (creates, updates) the facility's service now and re-enables one an operator deleted;
`POST /fulfillment-services/{shop}/{facility}/delete` deletes it in Shopify (JSON body optional:
`inventory_action` TRANSFER|KEEP|DELETE, `destination_location_id` for TRANSFER; KEEP without a
destination) and the schedule leaves it deleted.
"""

import json
from datetime import datetime
from typing import Any

import asyncpg
from aiohttp import web

from order_intake import store
from order_intake.download_jobs import DownloadJobs
from order_intake.fulfillment_services import (
    DeleteRefused,
    DeleteUnconfirmed,
    FulfillmentServiceRegistry,
    NoAccess,
    UnknownServiceFacility,
)
from order_intake.polling import CustomerDataWithheld, OrderDownloader, UnknownShop
from service_runtime.ops import require_operator
from service_runtime.requests import bad_request, conflict, json_object, not_found, text_field


def _timestamp(body: dict[str, Any], name: str, *, required: bool) -> datetime | None:
    value = body.get(name)
    if value is None and not required:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{name} must be an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise bad_request(f"{name} needs a timezone (e.g. Z)")
    return parsed


def _window(body: dict[str, Any]) -> tuple[datetime, datetime | None]:
    since = _timestamp(body, "since", required=True)
    assert since is not None
    until = _timestamp(body, "until", required=False)
    if until is not None and until < since:
        raise bad_request("until is before since")
    return since, until


def operator_routes(
    pool: asyncpg.Pool, downloader: OrderDownloader, jobs: DownloadJobs
) -> list[web.RouteDef]:
    async def download(request: web.Request) -> web.Response:
        require_operator(request)
        body = await json_object(request)
        shop = text_field(body, "shop")
        since, until = _window(body)
        try:
            result = await downloader.download(shop, since, until)
        except UnknownShop as exc:
            raise not_found(str(exc)) from None
        return web.json_response({"shop": shop, **result.as_json()})

    async def start_download(request: web.Request) -> web.Response:
        require_operator(request)
        body = await json_object(request)
        shop = text_field(body, "shop")
        since, until = _window(body)
        try:
            job = jobs.start(shop, since, until)
        except UnknownShop as exc:
            raise not_found(str(exc)) from None
        return web.json_response(job.as_json(), status=202)

    async def download_job(request: web.Request) -> web.Response:
        job = jobs.get(request.match_info["job_id"])
        if job is None:
            raise not_found("no such download job (the service may have restarted)")
        return web.json_response(job.as_json())

    async def resync(request: web.Request) -> web.Response:
        require_operator(request)
        body = await json_object(request)
        shop = text_field(body, "shop")
        name = text_field(body, "name")
        try:
            downloader.check_shop(shop)
            async with pool.acquire() as conn:
                await store.acknowledge_for_resync(conn, shop, name)
            applied = await downloader.resync(shop, name)
        except UnknownShop as exc:
            raise not_found(str(exc)) from None
        except CustomerDataWithheld as exc:
            # The order exists, but Shopify's answer about it cannot be used until the shop's
            # plan or the app's data access changes: 409, the order's state in Shopify is in
            # the way (it is recorded as a failed sync with the same reason, on /status).
            raise conflict(f"{name} in {shop} was not sent: {exc}") from None
        if applied is None:
            raise not_found(f"no order named {name} in {shop}")
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

    return [
        web.post("/orders/download", download),
        web.post("/orders/downloads", start_download),
        web.get("/orders/downloads/{job_id}", download_job),
        web.post("/orders/resync", resync),
    ]


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{name} must be a non-empty string")
    return value.strip()


def _bad_gateway(message: str) -> web.HTTPBadGateway:
    return web.HTTPBadGateway(text=json.dumps({"error": message}), content_type="application/json")


def fulfillment_service_routes(registry: FulfillmentServiceRegistry) -> list[web.RouteDef]:
    async def listing(request: web.Request) -> web.Response:
        require_operator(request)
        return web.json_response({"fulfillment_services": await registry.status()})

    async def register(request: web.Request) -> web.Response:
        require_operator(request)
        shop, facility = request.match_info["shop"], request.match_info["facility"]
        try:
            await registry.register(shop, facility)
            return web.json_response(await registry.entry(shop, facility))
        except UnknownServiceFacility as exc:
            raise not_found(str(exc)) from None

    async def delete(request: web.Request) -> web.Response:
        require_operator(request)
        shop, facility = request.match_info["shop"], request.match_info["facility"]
        body = await json_object(request) if request.can_read_body else {}
        try:
            deleted = await registry.delete(
                shop,
                facility,
                destination_location_id=_optional_text(body, "destination_location_id"),
                inventory_action=_optional_text(body, "inventory_action"),
            )
        except UnknownServiceFacility as exc:
            raise not_found(str(exc)) from None
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        except (NoAccess, DeleteRefused) as exc:
            raise conflict(str(exc)) from None
        except DeleteUnconfirmed as exc:
            # Left deleted on our side: the schedule must not create a second service while
            # the first may still exist. Deleting again (or registering) settles it.
            raise _bad_gateway(f"{exc}; the service may still exist: delete again") from None
        return web.json_response(
            {
                **await registry.entry(shop, facility),
                "deleted_service_id": deleted.deleted_service_id,
                "inventory_action": deleted.inventory_action,
            }
        )

    return [
        web.get("/fulfillment-services", listing),
        web.post("/fulfillment-services/{shop}/{facility}/register", register),
        web.post("/fulfillment-services/{shop}/{facility}/delete", delete),
    ]
