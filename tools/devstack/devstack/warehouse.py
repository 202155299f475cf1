"""What the demo's simulated warehouse stocks: the catalog file `make run` gives the WMS simulator.

WH1 carries every product the Shopify simulator seeds. WH2 (the fulfillment service) does not
carry the last `WH2_NOT_CARRIED` of them, so the requests for orders that contain one are
rejected ("unknown SKU at WH2") and the merchant sees the reason in Shopify.
"""

import json
import random
from pathlib import Path

from wms_sim.catalog import seeded_skus

FACILITIES = ("WH1", "WH2")
"""Every facility of shops.dev.toml: the WMS simulator rejects orders for any other."""
PRODUCTS = 2000
"""As many as devstack seeds in the Shopify simulator (SKU-00001 ... SKU-02000)."""
WH2_NOT_CARRIED = 200
MAX_ON_HAND = 200


def catalog(rng: random.Random, products: int = PRODUCTS) -> dict[str, dict[str, int]]:
    """Units on hand per SKU per facility (the WMS simulator's `--catalog` document)."""
    skus = seeded_skus(products, 1)
    carried = {"WH1": skus, "WH2": skus[: max(0, len(skus) - WH2_NOT_CARRIED)]}
    return {
        code: {sku: rng.randint(0, MAX_ON_HAND) for sku in carried[code]} for code in FACILITIES
    }


def write_catalog(path: Path, rng: random.Random) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(catalog(rng)))
    return path
