"""Tracking numbers look like each carrier's; the generated catalog is the Shopify simulator's."""

import random
import re
from pathlib import Path

import pytest

from shopify_sim.seed import SeedPlan, seed_shop
from shopify_sim.state.repository import Store
from wms_sim.carriers import (
    CANADA_POST,
    DHL_EXPRESS,
    FEDEX,
    UPS,
    USPS,
    Carrier,
    choose_carrier,
    gs1_mod10_check_digit,
    ups_check_digit,
)
from wms_sim.catalog import SEEDED_SKU, build_catalog, generated_catalog, seeded_skus
from wms_sim.config import Facility, GeneratedCatalog

SHAPES: dict[Carrier, str] = {
    UPS: r"1Z[0-9A-Z]{6}\d{2}\d{7}\d",
    FEDEX: r"\d{12}",
    USPS: r"94001\d{17}",
    DHL_EXPRESS: r"\d{10}",
    CANADA_POST: r"7\d{15}",
}


def test_ups_check_digit_matches_the_published_example() -> None:
    assert ups_check_digit("999AA1012345678") == "4"  # 1Z999AA10123456784


def test_usps_check_digit_matches_a_gs1_example() -> None:
    # GS1's worked example: 629104150021 -> check digit 3 (weights 3,1 from the right).
    assert gs1_mod10_check_digit("629104150021") == "3"


@pytest.mark.parametrize("carrier", list(SHAPES), ids=lambda c: c.name)
def test_tracking_numbers_have_the_carrier_shape_and_a_url(carrier: Carrier) -> None:
    rng = random.Random(3)
    for _ in range(50):
        number = carrier.new_tracking_number(rng)
        assert re.fullmatch(SHAPES[carrier], number), number
        url = carrier.tracking_url(number)
        assert url.startswith("https://") and url.endswith(number)
    ups = UPS.new_tracking_number(rng)
    assert ups[-1] == ups_check_digit(ups[2:-1])
    dhl = DHL_EXPRESS.new_tracking_number(rng)
    assert int(dhl[:-1]) % 7 == int(dhl[-1])


def test_carriers_follow_the_destination() -> None:
    rng = random.Random(1)
    assert {choose_carrier("US", rng).name for _ in range(200)} == {"USPS", "UPS", "FedEx"}
    assert {choose_carrier("CA", rng).name for _ in range(200)} == {"Canada Post", "UPS", "FedEx"}
    assert {choose_carrier("DE", rng).name for _ in range(200)} == {"DHL Express", "UPS", "FedEx"}


@pytest.mark.parametrize("variants", [1, 3])
def test_generated_skus_are_the_ones_the_shopify_simulator_seeds(variants: int) -> None:
    shop = Store().create_shop("a.myshopify.com", "token", "secret")
    seed_shop(shop, SeedPlan(products=30, variants_per_product=variants))
    seeded = [variant.sku for variant in shop.variants.values()]
    assert seeded == seeded_skus(30, variants)
    assert all(SEEDED_SKU.match(sku) for sku in seeded)


def test_the_pattern_knows_skus_of_a_shop_seeded_twice_but_not_strangers() -> None:
    catalog = generated_catalog(GeneratedCatalog(products=3), ["WH1"], random.Random(0))
    assert sorted(catalog.initial_on_hand["WH1"]) == ["SKU-00001", "SKU-00002", "SKU-00003"]
    assert catalog.knows("WH1", "SKU-00042") and catalog.knows("WH1", "SKU-00042-XL")
    assert not catalog.knows("WH1", "ABC-1") and not catalog.knows("WH1", "SKU-42")
    strict = generated_catalog(
        GeneratedCatalog(products=3, accept_pattern=False), ["WH1"], random.Random(0)
    )
    assert not strict.knows("WH1", "SKU-00042")


def test_catalog_file_lists_skus_per_facility(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text('{"WH1": {"ABC-1": 15}, "WH2": {"XYZ-9": 0}}')
    facilities = [Facility("a.myshopify.com", "WH1"), Facility("a.myshopify.com", "WH2")]
    catalog = build_catalog(path, facilities, random.Random(0))
    assert catalog.knows("WH1", "ABC-1") and not catalog.knows("WH2", "ABC-1")
    path.write_text('{"WH1": {"ABC-1": -1}}')
    with pytest.raises(ValueError, match="non-negative integer"):
        build_catalog(path, facilities, random.Random(0))
