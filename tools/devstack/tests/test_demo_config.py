"""`make run`'s pieces agree: shops.dev.toml, the warehouse devstack starts, and the demo's
constants, so WH1 (a location) and WH2 (a fulfillment service) both get orders that the
warehouse knows what to do with."""

import json
import random
from pathlib import Path

from devstack.__main__ import GATEWAY_WEBHOOKS, ROOT, warehouse
from devstack.demo import DEMO_LOCATION, DEMO_SHOP
from devstack.fulfillment_service import SERVICE_FACILITY, SERVICE_NAME
from devstack.warehouse import FACILITIES, PRODUCTS, WH2_NOT_CARRIED, catalog, write_catalog
from shop_config import ShopConfig, load_shops
from wms_sim.app import config_from_args, parser
from wms_sim.catalog import build_catalog
from wms_sim.config import Facility


def _demo_shop() -> ShopConfig:
    return load_shops(ROOT / "shops.dev.toml", env={}).shops[DEMO_SHOP]


def test_the_dev_shop_has_one_facility_in_each_mode() -> None:
    shop = _demo_shop()

    assert shop.facility_for(DEMO_LOCATION) == "WH1"
    assert not shop.is_service_facility("WH1")
    [(code, service)] = shop.service_facilities.items()
    assert code == SERVICE_FACILITY
    assert service.name == SERVICE_NAME
    assert service.inventory_management and service.tracking_support
    assert shop.inventory[SERVICE_FACILITY].location is None


def test_the_service_callback_is_the_gateway_devstack_starts() -> None:
    service = _demo_shop().service_facilities[SERVICE_FACILITY]
    gateway = GATEWAY_WEBHOOKS.removesuffix("/webhooks/shopify")

    assert service.callback_for(SERVICE_FACILITY) == f"{gateway}/fulfillment_services/WH2"


def test_the_warehouse_knows_every_facility_of_the_dev_shop(tmp_path: Path) -> None:
    shop = _demo_shop()
    configured = set(shop.locations.values()) | set(shop.facilities)
    proc = warehouse("amqp://guest:guest@127.0.0.1:5672/", tmp_path / "catalog.json")

    config = config_from_args(parser().parse_args(list(proc.args)))

    assert configured == set(FACILITIES)
    assert set(config.facilities) == {Facility(DEMO_SHOP, code) for code in FACILITIES}
    assert config.catalog == tmp_path / "catalog.json"
    assert config.picking_s > 0  # so a cancellation request is refused now and then


def test_wh2_does_not_carry_the_last_products_so_some_requests_are_rejected(
    tmp_path: Path,
) -> None:
    path = write_catalog(tmp_path / "catalog.json", random.Random(1))
    on_hand = json.loads(path.read_text())
    known = build_catalog(path, [], random.Random(1))
    last = f"SKU-{PRODUCTS:05d}"
    last_carried = f"SKU-{PRODUCTS - WH2_NOT_CARRIED:05d}"

    assert len(on_hand["WH1"]) == PRODUCTS
    assert len(on_hand["WH2"]) == PRODUCTS - WH2_NOT_CARRIED
    assert known.knows("WH1", last) and not known.knows("WH2", last)
    assert known.knows("WH2", last_carried)
    assert catalog(random.Random(1)) == on_hand  # the same run, the same stock
