"""Wiring of order-intake: its subscriptions, handlers, routes and schedules, in one place."""

import asyncio
from pathlib import Path
from typing import Any

from contracts import INTERNAL_EVENTS, WMS_EVENTS
from messaging import Subscription
from order_intake import store
from order_intake.handlers import message_handlers
from order_intake.http import operator_routes
from order_intake.polling import OrderDownloader
from order_intake.settings import IntakeSettings
from order_intake.sync_worker import SyncWorker, utc_now
from service_runtime import ServiceDefinition, ServiceRuntime, Wiring
from shop_config import load_shops
from shopify_admin import ShopifyClient


def wire(runtime: ServiceRuntime) -> Wiring:
    settings = IntakeSettings()
    shops = load_shops()
    clients = {
        shop.domain: ShopifyClient.from_env(
            shop.domain,
            shop.access_token,
            api_version=runtime.settings.shopify_api_version,
            admin_url=runtime.settings.shopify_admin_url,
            max_attempts=settings.shopify_max_attempts,
        )
        for shop in shops
        if shop.access_token is not None
    }
    worker = SyncWorker(runtime.pool, shops, clients, settings, utc_now)
    downloader = OrderDownloader(runtime.pool, shops, clients, settings, utc_now)

    async def sync_orders(_: ServiceRuntime) -> None:
        await worker.run()

    async def poll_orders(_: ServiceRuntime) -> None:
        await downloader.run()

    async def close_shopify_clients(_: ServiceRuntime) -> None:
        # Lives as long as the service; its cancellation at shutdown closes the HTTP sessions.
        try:
            await asyncio.Event().wait()
        finally:
            for client in clients.values():
                await client.close()

    async def status(rt: ServiceRuntime) -> dict[str, Any]:
        async with rt.pool.acquire() as conn:
            summary = await store.status_summary(conn)
        return {"orders": {**summary, "sync_worker": worker.stats.as_json()}}

    return Wiring(
        handlers=message_handlers(shops),
        routes=operator_routes(downloader),
        background=[sync_orders, poll_orders, close_shopify_clients],
        status=status,
    )


DEFINITION = ServiceDefinition(
    name="order-intake",
    default_port=8081,
    subscriptions=[
        Subscription(INTERNAL_EVENTS, "shopify.webhook.orders.*"),
        Subscription(WMS_EVENTS, "wms.order.accepted"),
        Subscription(WMS_EVENTS, "wms.order.rejected"),
    ],
    migrations=Path(__file__).parent / "migrations",
    wire=wire,
)
