"""Wiring of fulfillment-sync: its message table, handlers' dependencies, routes and worker, in
one place."""

from pathlib import Path
from typing import Any

from contracts import WmsOrderReduced, WmsOrderSent, WmsShipmentConfirmed
from fulfillment_sync import handlers, store
from fulfillment_sync.handlers import FulfillmentDeps
from fulfillment_sync.http import operator_routes
from fulfillment_sync.settings import FulfillmentSyncSettings
from fulfillment_sync.worker import ShipmentWorker
from messaging import Routes, on
from service_runtime import ServiceDefinition, ServiceRuntime, ShopifyClients, Wiring
from shop_config import load_shops
from storage.signals import Signals

ROUTES = Routes(
    on(WmsShipmentConfirmed, handlers.on_shipment_confirmed),
    on(WmsOrderSent, handlers.on_wms_order_sent),
    on(WmsOrderReduced, handlers.on_wms_order_reduced),
)


def wire(runtime: ServiceRuntime) -> Wiring[FulfillmentDeps]:
    settings = FulfillmentSyncSettings()
    shops = load_shops()
    clients = ShopifyClients(runtime, shops, max_attempts=settings.shopify_max_attempts)
    served_shops = frozenset(clients.by_shop)
    signals = Signals(runtime.pool, [store.SHIPMENTS.channel])
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
        deps=FulfillmentDeps(served_shops, settings),
        routes=operator_routes(runtime.pool, served_shops, settings),
        background=[listen, make_fulfillments],
        status=status,
        shutdown=[clients.close],  # after the worker has let the shipments in hand finish
    )


DEFINITION = ServiceDefinition(
    name="fulfillment-sync",
    default_port=8082,
    routes=ROUTES,
    publishes=["fulfillments.shipment.synced"],
    migrations=Path(__file__).parent / "migrations",
    wire=wire,
)
