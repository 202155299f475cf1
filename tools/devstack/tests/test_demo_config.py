"""`make run`'s pieces agree: shops.dev.toml, the warehouse devstack starts, and the demo's
constants, so WH1 (a location) and WH2 (a fulfillment service) both get orders that the
warehouse knows what to do with: it learns its items from the seeded catalog, and refuses the
last products' (their barcodes repeat the first ones'), whose requests WH2 then rejects."""

from datetime import UTC, datetime

from contracts import WmsItemUpsert
from devstack.__main__ import GATEWAY_WEBHOOKS, ROOT, warehouse
from devstack.demo import DEMO_LOCATION, DEMO_SHOP
from devstack.fulfillment_service import SERVICE_FACILITY, SERVICE_NAME
from devstack.warehouse import (
    FACILITIES,
    LOOK_ALIKES,
    MAX_ON_HAND,
    PRODUCTS,
    rejected_skus,
    seed_plan,
)
from shop_config import ShopConfig, load_shops
from shopify_sim.seed import SeedPlan, ean13
from wms_sim.app import config_from_args, parser
from wms_sim.config import Facility, LearnedCatalog
from wms_sim.items import ItemBook


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


def test_the_warehouse_knows_every_facility_and_learns_its_items() -> None:
    shop = _demo_shop()
    configured = set(shop.locations.values()) | set(shop.facilities)
    proc = warehouse("amqp://guest:guest@127.0.0.1:5672/")

    config = config_from_args(parser().parse_args(list(proc.args)))

    assert configured == set(FACILITIES)
    assert set(config.facilities) == {Facility(DEMO_SHOP, code) for code in FACILITIES}
    assert config.catalog == LearnedCatalog(min_quantity=0, max_quantity=MAX_ON_HAND)
    assert config.picking_s > 0  # so a cancellation request is refused now and then


def test_the_seed_gives_every_variant_what_a_warehouse_needs() -> None:
    plan = SeedPlan.from_json(seed_plan())

    assert plan.details
    assert plan.products + len(plan.catalog) == PRODUCTS
    for item in plan.catalog:
        assert item.barcode and item.weight and item.harmonized_system_code
        assert item.country_code_of_origin and item.image_url


def _item(sku: str, barcode: str | None) -> WmsItemUpsert:
    return WmsItemUpsert(
        sku=sku, title=sku, barcode=barcode, weight=None, hs_code=None, country_of_origin=None,
        image_url=None, shopify_variant_id="gid://shopify/ProductVariant/1",
        shopify_inventory_item_id="gid://shopify/InventoryItem/1",
        updated_at=datetime(2026, 12, 1, tzinfo=UTC),
    )  # fmt: skip


def test_the_warehouse_rejects_exactly_the_last_products_so_wh2_rejects_their_requests() -> None:
    """The catalog in the order inventory-sync's bulk sync reads it (random products, then the
    look-alikes): the warehouse learns the originals and refuses the look-alikes' barcodes."""
    plan = SeedPlan.from_json(seed_plan())
    seeded = [(f"SKU-{n:05d}", ean13(n)) for n in range(1, plan.products + 1)]
    named = [(item.sku, item.barcode) for item in plan.catalog]
    book = ItemBook({})

    outcomes = {sku: book.upsert(DEMO_SHOP, _item(sku, code)) for sku, code in seeded + named}

    rejected = sorted(sku for sku, outcome in outcomes.items() if outcome.kind == "rejected")
    first = plan.products + 1  # the look-alikes follow the ordinary products
    assert rejected == rejected_skus() == [f"SKU-{n:05d}" for n in range(first, 2001)]
    assert len(rejected) == LOOK_ALIKES
    original = f"SKU-{LOOK_ALIKES:05d}"
    assert outcomes["SKU-02000"].reason == (
        f"barcode {ean13(LOOK_ALIKES)} is already held for SKU {original}"
    )
