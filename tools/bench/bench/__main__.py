"""`make bench`: run every benchmark in turn (or the ones named: `python -m bench messaging`)."""

import sys
from collections.abc import Awaitable, Callable

import uvloop

from bench import (
    big_order,
    catalog,
    fulfillment_requests,
    fulfillment_sync,
    inventory_sync,
    messaging_pipeline,
    order_budget,
    order_pipeline,
    privacy_retention,
    shopify_client,
    webhook_ingest,
)
from service_runtime.logging import configure_logging

BENCHMARKS: dict[str, Callable[[], Awaitable[object]]] = {
    "messaging": messaging_pipeline.run,
    "shopify-client": shopify_client.run,
    "webhook-ingest": webhook_ingest.run,
    "order-pipeline": order_pipeline.run,
    "order-budget": order_budget.run,
    "big-order": big_order.run,
    "fulfillment-sync": fulfillment_sync.run,
    "fulfillment-requests": fulfillment_requests.run,
    "inventory-sync": inventory_sync.run,
    "privacy-retention": privacy_retention.run,
    "catalog": catalog.run,
}


async def main(names: list[str]) -> None:
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        have = ", ".join(BENCHMARKS)
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have: {have}")
    for name in names or list(BENCHMARKS):
        await BENCHMARKS[name]()
        print()


if __name__ == "__main__":  # importing the module (a type check, a doc tool) runs nothing
    configure_logging("bench", "WARNING")
    uvloop.run(main(sys.argv[1:]))
