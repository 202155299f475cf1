"""A catalog for a shop: locations, products with SKUs, stock per location.

Either random (`products` of them, SKU-00001...) or named (`catalog`: the SKUs, titles,
barcodes, weights and stock a test or the demo chooses), or both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from shopify_sim.state.models import Location
from shopify_sim.state.repository import ShopState

PRODUCT_NOUNS = (
    "T-Shirt",
    "Hoodie",
    "Mug",
    "Cap",
    "Sneaker",
    "Backpack",
    "Bottle",
    "Notebook",
    "Scarf",
    "Sock",
)
SIZES = ("S", "M", "L", "XL")


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """One named variant. `stock` maps location names to available units; a location of the
    plan missing from it gets `default_quantity`."""

    sku: str
    title: str
    variant_title: str = "Default Title"
    price: str = "10.00"
    barcode: str | None = None
    grams: int = 100
    requires_shipping: bool = True
    stock: tuple[tuple[str, int], ...] = ()
    default_quantity: int = 100

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CatalogItem:
        if not data.get("sku") or not data.get("title"):
            raise ValueError(f"catalog item needs a sku and a title: {data!r}")
        return cls(
            sku=str(data["sku"]),
            title=str(data["title"]),
            variant_title=str(data.get("variant_title", "Default Title")),
            price=str(data.get("price", "10.00")),
            barcode=data.get("barcode"),
            grams=int(data.get("grams", 100)),
            requires_shipping=bool(data.get("requires_shipping", True)),
            stock=tuple((str(k), int(v)) for k, v in (data.get("stock") or {}).items()),
            default_quantity=int(data.get("quantity", 100)),
        )


@dataclass(frozen=True, slots=True)
class SeedPlan:
    products: int = 2000
    variants_per_product: int = 1
    locations: tuple[str, ...] = ("Warehouse East", "Warehouse West")
    min_quantity: int = 0
    max_quantity: int = 200
    seed: int = 42
    catalog: tuple[CatalogItem, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SeedPlan:
        """Raises ValueError (a 400 for the control plane) on a malformed catalog."""
        defaults = cls()
        catalog = tuple(CatalogItem.from_json(item) for item in data.get("catalog") or [])
        # A named catalog alone is what was asked for: no random products unless requested.
        products_default = 0 if catalog else defaults.products
        return cls(
            catalog=catalog,
            products=int(data.get("products", products_default)),
            variants_per_product=int(
                data.get("variants_per_product", defaults.variants_per_product)
            ),
            locations=tuple(data.get("locations", defaults.locations)),
            min_quantity=int(data.get("min_quantity", defaults.min_quantity)),
            max_quantity=int(data.get("max_quantity", defaults.max_quantity)),
            seed=int(data.get("seed", defaults.seed)),
        )


def seed_shop(shop: ShopState, plan: SeedPlan) -> dict[str, int]:
    """Add the plan's locations (reusing same-named ones) and catalog; every variant
    is stocked at every seeded location with a random available quantity."""
    rng = random.Random(plan.seed)
    existing = {loc.name: loc for loc in shop.live_locations().values()}
    locations = [existing.get(name) or shop.add_location(name) for name in plan.locations]
    start = len(shop.variants)
    variants = 0
    for index in range(plan.products):
        product_id = shop.new_id()
        title = f"{PRODUCT_NOUNS[index % len(PRODUCT_NOUNS)]} {start + index + 1:05d}"
        for size_index in range(plan.variants_per_product):
            size = SIZES[size_index % len(SIZES)]
            sku = (
                f"SKU-{start + index + 1:05d}-{size}"
                if plan.variants_per_product > 1
                else f"SKU-{start + index + 1:05d}"
            )
            variant = shop.add_variant(
                product_title=title,
                title=size,
                sku=sku,
                price=f"{rng.randint(5, 120)}.00",
                product_id=product_id,
            )
            variants += 1
            for location in locations:
                shop.stock(
                    variant.inventory_item_id,
                    location.id,
                    rng.randint(plan.min_quantity, plan.max_quantity),
                )
    variants += _seed_catalog(shop, plan.catalog, locations)
    return {"locations": len(locations), "variants": variants, "levels": variants * len(locations)}


def _seed_catalog(
    shop: ShopState, catalog: tuple[CatalogItem, ...], locations: list[Location]
) -> int:
    by_name = {location.name: location for location in locations}
    for item in catalog:
        unknown = [name for name, _ in item.stock if name not in by_name]
        if unknown:
            raise ValueError(f"catalog item {item.sku}: unknown locations {unknown}")
        if item.sku in shop.variants_by_sku:
            raise ValueError(f"catalog item {item.sku}: the SKU already exists")
    for item in catalog:
        variant = shop.add_variant(
            product_title=item.title, title=item.variant_title, sku=item.sku, price=item.price
        )
        variant.barcode = item.barcode
        variant.grams = item.grams
        variant.requires_shipping = item.requires_shipping
        stock = dict(item.stock)
        for location in locations:
            shop.stock(
                variant.inventory_item_id,
                location.id,
                stock.get(location.name, item.default_quantity),
            )
    return len(catalog)
