"""The per-shop options of what order-intake sends and does beyond the WMS order itself."""

from pathlib import Path

import pytest

from shop_config import ShopConfigError, load_shops

REPO = Path(__file__).resolve().parents[3]


def _load(tmp_path: Path, extra: str) -> object:
    path = tmp_path / "shops.toml"
    path.write_text(f'[[shops]]\ndomain = "demo.myshopify.com"\n{extra}')
    shop = load_shops(path, env={}).get("demo.myshopify.com")
    assert shop is not None
    return shop


def test_customer_data_beyond_the_ship_to_address_and_closing_are_off_by_default(
    tmp_path: Path,
) -> None:
    shop = _load(tmp_path, "")
    assert shop.wms_order.send_billing_address is False
    assert shop.wms_order.share_customer_email is False
    assert shop.fulfillment.close_fulfilled_orders is False


def test_a_shop_turns_them_on(tmp_path: Path) -> None:
    shop = _load(
        tmp_path,
        "[shops.wms_order]\nsend_billing_address = true\nshare_customer_email = true\n"
        "[shops.fulfillment]\nclose_fulfilled_orders = true\n",
    )
    assert shop.wms_order.send_billing_address is True
    assert shop.wms_order.share_customer_email is True
    assert shop.fulfillment.close_fulfilled_orders is True


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[shops.wms_order]\nsend_billing_address = "yes"\n', "send_billing_address"),
        ("[shops.wms_order]\nsend_email = true\n", "send_email"),
    ],
    ids=["not-a-flag", "misspelt"],
)
def test_a_typo_in_them_is_refused_naming_the_field(
    tmp_path: Path, extra: str, message: str
) -> None:
    with pytest.raises(ShopConfigError, match=message):
        _load(tmp_path, extra)


def test_the_example_file_documents_them() -> None:
    shop = load_shops(REPO / "shops.example.toml", env={}).get("example-store.myshopify.com")
    assert shop is not None
    assert shop.wms_order.send_billing_address is True
    assert shop.fulfillment.close_fulfilled_orders is True
