"""A catalog for a shop: locations, products with SKUs, stock per location.

Either random (`products` of them, SKU-00001...) or named (`catalog`: the SKUs, titles,
barcodes, weights and stock a test or the demo chooses), or both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from shopify_sim.state.models import GRAMS_PER_UNIT, Location, Variant
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
    harmonized_system_code: str | None = None
    country_code_of_origin: str | None = None
    # The weight as entered (value, unit); None: `grams` in KILOGRAMS.
    weight: tuple[float, str] | None = None
    image_url: str | None = None

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
            harmonized_system_code=data.get("harmonized_system_code"),
            country_code_of_origin=data.get("country_code_of_origin"),
            weight=(
                (float(data["weight"]["value"]), str(data["weight"]["unit"]))
                if data.get("weight")
                else None
            ),
            image_url=data.get("image_url"),
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
    # Random variants also get what a warehouse needs: a barcode (EAN-13), a weight with its
    # unit, an HS code, a country of origin and a product image. Off by default so earlier
    # seeds (and their tests) read the same.
    details: bool = False

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
            details=bool(data.get("details", defaults.details)),
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
        if plan.details:
            product = shop.add_product(title, product_id=product_id)
            product.image_url = f"https://cdn.shopify.com/s/files/1/sim/products/{product_id}.jpg"
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
            if plan.details:
                _add_details(variant, rng, start + variants + 1)
            variants += 1
            for location in locations:
                shop.stock(
                    variant.inventory_item_id,
                    location.id,
                    rng.randint(plan.min_quantity, plan.max_quantity),
                )
    variants += _seed_catalog(shop, plan.catalog, locations)
    return {"locations": len(locations), "variants": variants, "levels": variants * len(locations)}


HS_CODES = ("610910", "611020", "691200", "650500", "640411", "420292", "392410", "482010")
ORIGINS = ("CN", "VN", "PT", "TR", "IN", "US", "CA", "BD")
WEIGHT_UNITS = ("GRAMS", "KILOGRAMS", "OUNCES", "POUNDS")


def ean13(number: int) -> str:
    """A valid EAN-13 (check digit included) for a running number: unique per variant."""
    digits = f"200{number:09d}"[-12:]
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def _add_details(variant: Variant, rng: random.Random, number: int) -> None:
    variant.barcode = ean13(number)
    unit = WEIGHT_UNITS[number % len(WEIGHT_UNITS)]
    grams = rng.randint(50, 3000)
    value = grams / GRAMS_PER_UNIT[unit]
    variant.set_weight(round(value, 2) if unit != "GRAMS" else float(grams), unit)
    variant.harmonized_system_code = HS_CODES[number % len(HS_CODES)]
    variant.country_code_of_origin = ORIGINS[number % len(ORIGINS)]


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
        if item.weight is not None:
            variant.set_weight(*item.weight)
        variant.harmonized_system_code = item.harmonized_system_code
        variant.country_code_of_origin = item.country_code_of_origin
        if item.image_url:
            variant.image_url = item.image_url
            product = shop.products[variant.product_id]
            product.image_url = product.image_url or item.image_url
        stock = dict(item.stock)
        for location in locations:
            shop.stock(
                variant.inventory_item_id,
                location.id,
                stock.get(location.name, item.default_quantity),
            )
    return len(catalog)
