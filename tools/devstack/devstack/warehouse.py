"""The demo shop's catalog and what the simulated warehouse makes of it.

The WMS simulator has no catalog of its own (`--catalog-from-items`, LearnedCatalog): it knows
only the items inventory-sync sends it as `wms.item.upsert` on the shop's first catalog sync, and
receives stock of each item when it learns it. The Shopify simulator is seeded with the details
a warehouse needs (barcode, weight, HS code, country of origin, image).

The last `LOOK_ALIKES` products reuse the barcodes of the first ones, so the warehouse
rejects them (`wms.item.rejected`: "barcode ... is already held for SKU-00001"): they are the
catalog findings the status page lists, order-intake holds back the orders carrying them, and
WH2's fulfillment requests for such orders are rejected with that reason. (Before the catalog
flowed, WH2's stock file simply left them out; a learned item is known at every facility, so the
rejection is now the warehouse's refusal of the item, for WH1's orders too.)
"""

from typing import Any

from shopify_sim.seed import ean13

FACILITIES = ("WH1", "WH2")
"""Every facility of shops.dev.toml: the WMS simulator rejects orders for any other."""
PRODUCTS = 2000
"""As many as devstack seeds in the Shopify simulator (SKU-00001 ... SKU-02000)."""
LOOK_ALIKES = 20
"""The last products, whose items the warehouse rejects (a barcode it holds for another SKU)."""
MAX_ON_HAND = 200
"""Units the warehouse receives of an item it learns: 0 .. this."""
DEMO_LOCATION_NAME = "Warehouse 1"


def sku(number: int) -> str:
    """The seed's SKU of the `number`-th product (1-based), one variant each."""
    return f"SKU-{number:05d}"


def rejected_skus(products: int = PRODUCTS, rejected: int = LOOK_ALIKES) -> list[str]:
    """The SKUs whose items the warehouse refuses: the last `rejected` products."""
    first = max(0, products - rejected)
    return [sku(number) for number in range(first + 1, products + 1)]


def _clashing_item(number: int, clashes_with: int) -> dict[str, Any]:
    """A named product whose barcode is the one the seed gives product `clashes_with` (the
    seed's `ean13` of the running number), with the other details a warehouse needs."""
    return {
        "sku": sku(number),
        "title": f"Look-alike {number:05d}",
        "barcode": ean13(clashes_with),
        "weight": {"value": 0.4, "unit": "KILOGRAMS"},
        "harmonized_system_code": "610910",
        "country_code_of_origin": "PT",
        "image_url": f"https://cdn.shopify.com/s/files/1/sim/products/look-alike-{number}.jpg",
        "price": "25.00",
    }


def seed_plan(products: int = PRODUCTS, rejected: int = LOOK_ALIKES) -> dict[str, Any]:
    """The Shopify simulator's seed request: `products - rejected` random products with every
    detail (`details`), then the `rejected` look-alikes, whose barcodes repeat the first
    products' (they come later in the catalog, so the warehouse learns the originals first)."""
    ordinary = max(0, products - rejected)
    return {
        "products": ordinary,
        "details": True,
        "locations": [DEMO_LOCATION_NAME],
        "max_quantity": MAX_ON_HAND,
        "catalog": [
            _clashing_item(number, number - ordinary)
            for number in range(ordinary + 1, products + 1)
        ],
    }
