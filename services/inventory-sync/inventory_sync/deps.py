"""What inventory-sync's message handlers get as `ctx.deps`, built once by its wiring (app.py).

Handlers only record what a message says in the consumer's transaction (never call Shopify), so
all they need besides the message is which facility feeds which Shopify location, and which
shops' catalogs reach the WMS (those with Shopify access).
"""

from dataclasses import dataclass

from inventory_sync.feeds import Feeds


@dataclass(frozen=True)
class InventoryDeps:
    feeds: Feeds
    catalog_shops: frozenset[str] = frozenset()
