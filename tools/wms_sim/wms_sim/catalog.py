"""Which SKUs each facility stocks, and how many units each starts with."""

import json
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from wms_sim.config import CatalogSource, Facility, GeneratedCatalog, LearnedCatalog

# The Shopify simulator's seeding (shopify_sim.seed) names variants SKU-00001, or SKU-00001-M
# when a product has several sizes; the number keeps growing when a shop is seeded again.
SIZES = ("S", "M", "L", "XL")
SEEDED_SKU = re.compile(r"^SKU-\d{5,}(?:-(?:S|M|L|XL))?$")

OnHandByFacility = Mapping[str, Mapping[str, int]]
"""facility code -> SKU -> units on hand."""


@dataclass(frozen=True)
class Catalog:
    initial_on_hand: OnHandByFacility
    accept_pattern: re.Pattern[str] | None = None
    """SKUs matching it are known at every facility even if not listed."""
    first_sight_range: tuple[int, int] = (0, 0)
    """Units on hand given to a pattern-accepted SKU the first time it is seen."""
    receipt_range: tuple[int, int] | None = None
    """Units received of an item when the warehouse first learns it (`wms.item.upsert`) at a
    facility that does not stock it yet; None: learning an item stocks nothing (it is stocked
    on first sight in an order, as above)."""

    def knows(self, facility_code: str, sku: str) -> bool:
        listed = sku in self.initial_on_hand.get(facility_code, {})
        return listed or (self.accept_pattern is not None and bool(self.accept_pattern.match(sku)))

    def first_sight_on_hand(self, rng: random.Random) -> int:
        return rng.randint(*self.first_sight_range)


def build_catalog(
    source: CatalogSource, facilities: Iterable[Facility], rng: random.Random
) -> Catalog:
    if isinstance(source, GeneratedCatalog):
        codes = sorted({facility.code for facility in facilities})
        return generated_catalog(source, codes, rng)
    if isinstance(source, LearnedCatalog):
        units = (source.min_quantity, source.max_quantity)
        return Catalog(initial_on_hand={}, first_sight_range=units, receipt_range=units)
    if isinstance(source, Path):
        return catalog_from_file(source)
    return Catalog(initial_on_hand=parse_on_hand(source, origin="catalog"))


def seeded_skus(products: int, variants_per_product: int) -> list[str]:
    """The SKUs `shopify_sim.seed.seed_shop` creates in a fresh shop, in the same order."""
    if variants_per_product <= 1:
        return [f"SKU-{number:05d}" for number in range(1, products + 1)]
    return [
        f"SKU-{number:05d}-{SIZES[size % len(SIZES)]}"
        for number in range(1, products + 1)
        for size in range(variants_per_product)
    ]


def generated_catalog(
    spec: GeneratedCatalog, facility_codes: list[str], rng: random.Random
) -> Catalog:
    skus = seeded_skus(spec.products, spec.variants_per_product)
    quantity_range = (spec.min_quantity, spec.max_quantity)
    on_hand = {code: {sku: rng.randint(*quantity_range) for sku in skus} for code in facility_codes}
    return Catalog(
        initial_on_hand=on_hand,
        accept_pattern=SEEDED_SKU if spec.accept_pattern else None,
        first_sight_range=quantity_range,
    )


def catalog_from_file(path: Path) -> Catalog:
    """A JSON object `{"<facility code>": {"<sku>": <units on hand>, ...}, ...}`."""
    document = json.loads(path.read_text())
    return Catalog(initial_on_hand=parse_on_hand(document, origin=str(path)))


def parse_on_hand(document: object, *, origin: str) -> dict[str, dict[str, int]]:
    if not isinstance(document, Mapping):
        raise ValueError(f"{origin}: expected an object of facility codes")
    parsed: dict[str, dict[str, int]] = {}
    for code, skus in document.items():
        if not isinstance(skus, Mapping):
            raise ValueError(f"{origin}: facility {code!r} must map SKUs to units on hand")
        for sku, units in skus.items():
            if not sku or type(units) is not int or units < 0:
                raise ValueError(f"{origin}: {code}/{sku!r} needs a non-negative integer")
        parsed[code] = dict(skus)
    return parsed
