"""inventory-sync's Prometheus counters (served by the runtime's /metrics)."""

from prometheus_client import Counter

MUTATIONS = Counter(
    "inventory_sync_mutations_total", "inventorySetQuantities calls answered by Shopify", ["shop"]
)
QUANTITIES_PUSHED = Counter(
    "inventory_sync_quantities_pushed_total", "Inventory quantities Shopify applied", ["shop"]
)
STALE_RETRIES = Counter(
    "inventory_sync_stale_retries_total",
    "Batches refused with CHANGE_FROM_QUANTITY_STALE, re-read and queued again",
    ["shop"],
)
