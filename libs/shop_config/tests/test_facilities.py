"""`[shops.facilities]`: a facility connected as a merchant-managed location or as a Shopify
fulfillment service, both in one shop; and what the shops file may not say about them."""

from pathlib import Path

import pytest

from shop_config import (
    LocationFacility,
    ServiceFacility,
    ShopConfig,
    ShopConfigError,
    load_shops,
)

REPO = Path(__file__).resolve().parents[3]
SHOP = '[[shops]]\ndomain = "demo.myshopify.com"\n'
SERVICE = 'mode = "fulfillment_service"\ncallback_url = "https://gw.example"\n'


def load(tmp_path: Path, body: str) -> ShopConfig:
    path = tmp_path / "shops.toml"
    path.write_text(SHOP + body + "\n")
    shop = load_shops(path, env={}).get("demo.myshopify.com")
    assert shop is not None
    return shop


def test_the_example_shows_one_facility_in_each_mode() -> None:
    shop = load_shops(REPO / "shops.example.toml", env={}).get("example-store.myshopify.com")
    assert shop is not None
    assert isinstance(shop.facilities["WH2"], LocationFacility)
    service = shop.service_facilities["WH3"]
    assert (service.name, service.inventory_management, service.tracking_support) == (
        "Example 3PL East", True, True,
    )  # fmt: skip
    assert service.callback_for("WH3") == (
        "https://shipbridge.example.com/fulfillment_services/WH3"
    )
    assert shop.inventory["WH3"].location is None
    assert shop.facility_for("gid://shopify/Location/1001") == "WH1"  # [shops.locations]
    assert shop.facility_for("gid://shopify/Location/1002") == "WH2"  # mode = "location"


def test_a_mixed_shop_maps_both_kinds_of_location(tmp_path: Path) -> None:
    shop = load(
        tmp_path,
        '[shops.facilities.WH1]\nmode = "location"\nlocation = "gid://shopify/Location/1"\n'
        f'[shops.facilities.WH2]\n{SERVICE}name = "Acme 3PL"\n'
        '[shops.inventory.WH1]\nlocation = "gid://shopify/Location/1"\n',
    )
    assert list(shop.service_facilities) == ["WH2"]
    service = shop.service_facilities["WH2"]
    assert isinstance(service, ServiceFacility)
    assert (service.inventory_management, service.tracking_support) == (False, False)
    # A trailing slash on the gateway's address does not double the path's slash.
    assert service.model_copy(update={"callback_url": "https://gw.example/"}).callback_for(
        "WH2"
    ) == ("https://gw.example/fulfillment_services/WH2")
    assert shop.is_service_facility("WH2") and not shop.is_service_facility("WH1")
    assert shop.facility_for("gid://shopify/Location/1") == "WH1"
    # The service's location is known only once it is registered.
    assert shop.facility_for("gid://shopify/Location/77") is None
    located = shop.with_service_locations(
        {"gid://shopify/Location/77": "WH2", "gid://shopify/Location/78": "WH1"}
    )
    assert located.facility_for("gid://shopify/Location/77") == "WH2"
    assert located.facility_for("gid://shopify/Location/78") is None, "WH1 is no service"
    assert shop.facility_for("gid://shopify/Location/77") is None, "the original is unchanged"


def test_facility_codes_may_contain_secret_like_words(tmp_path: Path) -> None:
    shop = load(tmp_path, f'[shops.facilities.TOKEN-HALL]\n{SERVICE}name = "Token Hall"\n')
    assert list(shop.service_facilities) == ["TOKEN-HALL"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '[shops.locations]\n"gid://shopify/Location/1" = "WH1"\n'
            '[shops.facilities.WH2]\nmode = "location"\nlocation = "gid://shopify/Location/1"',
            "location gid://shopify/Location/1 is mapped to both WH1 and WH2",
        ),
        (
            '[shops.facilities.WH1]\nmode = "location"\nlocation = "gid://shopify/Location/1"\n'
            '[shops.facilities.WH2]\nmode = "location"\nlocation = "gid://shopify/Location/1"',
            "location gid://shopify/Location/1 is mapped to both WH1 and WH2",
        ),
        (
            '[shops.locations]\n"gid://shopify/Location/1" = "WH2"\n'
            f'[shops.facilities.WH2]\n{SERVICE}name = "A"',
            r"facility WH2 is a fulfillment service and also in \[shops.locations\]",
        ),
        (
            f'[shops.facilities.WH2]\n{SERVICE}name = "Acme"\n'
            f'[shops.facilities.WH3]\n{SERVICE}name = "ACME"',
            "two fulfillment service facilities have the same name",
        ),
        (
            '[shops.facilities.WH2]\nmode = "location"\nlocation = "gid://shopify/Location/1"\n'
            '[shops.inventory.WH2]\nmode = "daily"',
            "inventory feed WH2 needs a location",
        ),
        (
            f'[shops.facilities.WH2]\n{SERVICE}name = "A"\n[shops.inventory.WH2]\nmode = "daily"',
            "inventory feed WH2 is a fulfillment service: .*inventory_management = true",
        ),
        (
            f'[shops.facilities.WH2]\n{SERVICE}name = "A"\ninventory_management = true\n'
            '[shops.inventory.WH2]\nlocation = "gid://shopify/Location/1"',
            "inventory feed WH2 is a fulfillment service: give no location",
        ),
        (
            '[shops.facilities.WH2]\nmode = "warehouse"',
            "facilities.WH2: .*'warehouse'.*'location', 'fulfillment_service'",
        ),
        (
            '[shops.facilities.WH2]\nmode = "fulfillment_service"\nname = "A"',
            r"facilities\.WH2\.fulfillment_service\.callback_url: Field required",
        ),
        (
            f'[shops.facilities.WH2]\n{SERVICE.replace("https", "ftp")}name = "A"',
            r"facilities\.WH2\.fulfillment_service\.callback_url: String should match pattern",
        ),
        (
            f'[shops.facilities.WH2]\n{SERVICE}name = "  "',
            r"facilities\.WH2\.fulfillment_service\.name: String should have at least 1",
        ),
        (
            '[shops.facilities.WH2]\nmode = "location"',
            r"facilities\.WH2\.location\.location: Field required",
        ),
        (
            '[shops.facilities.WH2]\nmode = "location"\nlocation = "gid://shopify/Location/1"\n'
            'name = "A"',
            r"facilities\.WH2\.location\.name: Extra inputs are not permitted",
        ),
    ],
)
def test_facilities_that_disagree_are_refused_naming_the_shop(
    tmp_path: Path, body: str, expected: str
) -> None:
    with pytest.raises(ShopConfigError, match=rf"shop demo\.myshopify\.com: {expected}"):
        load(tmp_path, body)
