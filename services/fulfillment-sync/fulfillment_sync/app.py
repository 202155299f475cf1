"""Wiring of fulfillment-sync: its subscriptions, handlers, routes and schedules, in one place."""

from pathlib import Path
from typing import Any

from contracts import INTERNAL_EVENTS, WMS_EVENTS
from fulfillment_sync import store
from fulfillment_sync.handlers import message_handlers
from fulfillment_sync.http import operator_routes
from fulfillment_sync.settings import FulfillmentSyncSettings
from fulfillment_sync.worker import ShipmentWorker
from messaging import Subscription
from service_runtime import ServiceDefinition, ServiceRuntime, ShopifyClients, Wiring
from shop_config import load_shops
from storage.signals import Signals


def wire(runtime: ServiceRuntime) -> Wiring:
    settings = FulfillmentSyncSettings()
    shops = load_shops()
    clients = ShopifyClients(runtime, shops, max_attempts=settings.shopify_max_attempts)
    signals = Signals(runtime.pool, [store.WORK_CHANNEL])
    worker = ShipmentWorker(runtime.pool, shops, clients.by_shop, settings, signals)

    async def listen(_: ServiceRuntime) -> None:
        await signals.run()

    async def make_fulfillments(_: ServiceRuntime) -> None:
        await worker.run()

    async def status(rt: ServiceRuntime) -> dict[str, Any]:
        async with rt.pool.acquire() as conn:
            summary = await store.status_summary(conn)
        return {"shipments": {**summary, "worker": worker.stats.as_json()}}

    return Wiring(
        handlers=message_handlers(set(clients.by_shop), settings),
        routes=operator_routes(runtime.pool, set(clients.by_shop), settings),
        background=[listen, make_fulfillments],
        status=status,
        shutdown=[clients.close],  # after the worker has let the shipments in hand finish
    )


DEFINITION = ServiceDefinition(
    name="fulfillment-sync",
    default_port=8082,
    subscriptions=[
        Subscription(WMS_EVENTS, "wms.shipment.confirmed"),
        Subscription(INTERNAL_EVENTS, "orders.wms_order.sent"),
        Subscription(INTERNAL_EVENTS, "orders.wms_order.reduced"),
    ],
    migrations=Path(__file__).parent / "migrations",
    wire=wire,
)
