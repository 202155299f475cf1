"""A realistic catalog for a shop: locations, products with SKUs, stock per location."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

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
class SeedPlan:
    products: int = 2000
    variants_per_product: int = 1
    locations: tuple[str, ...] = ("Warehouse East", "Warehouse West")
    min_quantity: int = 0
    max_quantity: int = 200
    seed: int = 42

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SeedPlan:
        defaults = cls()
        return cls(
            products=int(data.get("products", defaults.products)),
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
    existing = {loc.name: loc for loc in shop.locations.values()}
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
    return {"locations": len(locations), "variants": variants, "levels": variants * len(locations)}
