"""Operator endpoints: start a full sync of a facility and follow its progress.

`POST /inventory/full-sync {"shop", "facility"}` answers 202 with the job id at once (a full
sync of a large catalog takes minutes: it re-reads the catalog from Shopify, verifying what we
track, then pushes the warehouse's last complete truth). `GET /inventory/full-sync/{job_id}`
reports its phase and counts. As with the runtime's dead-letter routes, starting one needs the
OPS_TOKEN bearer token when one is configured; reading does not.

`POST /catalog/sync {"shop"}` answers 202 with a full catalog sync (bulk operation) of the
shop, or 200 with the one already queued or running; `GET /catalog/sync/{job_id}` reports its
state, phase, bulk operation and progress (lines read, items sent, discontinued).
"""

import uuid

import asyncpg
from aiohttp import web

from inventory_sync import bulk_sync, job_store, registrations
from inventory_sync.feeds import Feeds
from service_runtime.ops import require_operator
from service_runtime.requests import conflict, json_object, not_found, text_field


def operator_routes(
    pool: asyncpg.Pool, feeds: Feeds, catalog_shops: frozenset[str] = frozenset()
) -> list[web.RouteDef]:
    async def start_full_sync(request: web.Request) -> web.Response:
        require_operator(request)
        body = await json_object(request)
        shop, facility = text_field(body, "shop"), text_field(body, "facility")
        async with pool.acquire() as conn:
            await registrations.refresh(conn, feeds)  # one may have arrived a moment ago
        state = feeds.state(shop, facility)
        if state is None:
            raise not_found(f"no inventory feed for {facility} in {shop}")
        feed = state.feed
        if feed is None:
            # A fulfillment service whose location is not known (or that does not manage
            # inventory): nothing could be pushed. It syncs by itself once it can.
            raise conflict(
                f"the inventory feed of {facility} in {shop} cannot push: {state.waiting}"
            )
        async with pool.acquire() as conn, conn.transaction():
            job_id = await job_store.create(conn, feed.shop, feed.facility, "full_sync", "operator")
            job = await job_store.get(conn, job_id)
        return web.json_response(job, status=202)

    async def full_sync_progress(request: web.Request) -> web.Response:
        try:
            job_id = uuid.UUID(request.match_info["job_id"])
        except ValueError:
            raise not_found("no such job") from None
        async with pool.acquire() as conn:
            job = await job_store.get(conn, job_id)
        if job is None:
            raise not_found("no such job")
        return web.json_response(job)

    async def start_catalog_sync(request: web.Request) -> web.Response:
        require_operator(request)
        body = await json_object(request)
        shop = text_field(body, "shop")
        if shop not in catalog_shops:
            raise not_found(f"no catalog flow for {shop} (not in the shops file, or no token)")
        async with pool.acquire() as conn, conn.transaction():
            sync_id, created = await bulk_sync.create_sync(conn, shop, "operator")
            sync = await bulk_sync.get_sync(conn, sync_id)
        return web.json_response(sync, status=202 if created else 200)

    async def catalog_sync_progress(request: web.Request) -> web.Response:
        try:
            sync_id = uuid.UUID(request.match_info["job_id"])
        except ValueError:
            raise not_found("no such catalog sync") from None
        async with pool.acquire() as conn:
            sync = await bulk_sync.get_sync(conn, sync_id)
        if sync is None:
            raise not_found("no such catalog sync")
        return web.json_response(sync)

    return [
        web.post("/inventory/full-sync", start_full_sync),
        web.get("/inventory/full-sync/{job_id}", full_sync_progress),
        web.post("/catalog/sync", start_catalog_sync),
        web.get("/catalog/sync/{job_id}", catalog_sync_progress),
    ]
