"""Loading the shops file: defaults, strictness, error messages, and where secrets come from."""

from datetime import time
from pathlib import Path

import pytest

from shop_config import ShopConfigError, env_key, load_shops

REPO = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str, name: str = "shops.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_example_and_dev_files_load() -> None:
    example = load_shops(REPO / "shops.example.toml", env={})
    assert example.domains == ("example-store.myshopify.com", "second-store.myshopify.com")
    shop = example.get("example-store.myshopify.com")
    assert shop is not None
    assert shop.order_download.filters.ship_to_countries == ("CA", "US")
    assert shop.facility_for("gid://shopify/Location/1002") == "WH2"
    assert shop.inventory["WH2"].mode == "realtime"
    assert load_shops(REPO / "shops.dev.toml", env={}).domains == ("demo.myshopify.com",)


def test_defaults_follow_the_spec(tmp_path: Path) -> None:
    config = load_shops(write(tmp_path, '[[shops]]\ndomain = "demo.myshopify.com"\n'), env={})
    shop = config.get("demo.myshopify.com")
    assert shop is not None
    download = shop.order_download
    assert (download.mode, download.poll_interval_minutes, download.max_age_days) == (
        "both",
        30,
        60,
    )
    assert download.filters.financial_statuses == ("paid", "partially_paid", "partially_refunded")
    assert download.filters.fulfillment_statuses == ("unfulfilled", "partial")
    assert download.filters.ship_to_countries == ()
    assert (download.import_unpaid, download.pos_orders, download.hold_high_risk) == (
        False,
        "skip",
        True,
    )
    assert shop.fulfillment.notify_customer is True
    assert shop.cancellation.refund_to_original_payment is True
    assert shop.facility_for("gid://shopify/Location/1") is None
    assert shop.webhook_secrets == []
    assert shop.access_token is None


def test_lookup_is_by_domain_and_unknown_shops_are_none(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[shops]]\ndomain = "a.myshopify.com"\n[[shops]]\ndomain = "b-2.myshopify.com"\n',
    )
    config = load_shops(path, env={})
    assert config.domains == ("a.myshopify.com", "b-2.myshopify.com")
    assert config.get("A.myshopify.com") is config.get("a.myshopify.com")
    assert config.get("c.myshopify.com") is None
    assert len(config) == 2


def test_path_defaults_to_the_shops_config_variable(tmp_path: Path) -> None:
    path = write(tmp_path, '[[shops]]\ndomain = "a.myshopify.com"\n', name="elsewhere.toml")
    assert load_shops(env={"SHOPS_CONFIG": str(path)}).domains == ("a.myshopify.com",)
    with pytest.raises(ShopConfigError, match=r"not found: .*missing\.toml.*SHOPS_CONFIG"):
        load_shops(env={"SHOPS_CONFIG": str(tmp_path / "missing.toml")})


@pytest.mark.parametrize(
    ("shop_body", "expected"),
    [
        ("[shops.order_download]\nmax_age_days = 90", r"order_download\.max_age_days: .*60"),
        ('[shops.order_download]\nmode = "sometimes"', r"order_download\.mode: .*'webhooks'"),
        (
            '[shops.order_download]\npoll_interval_minutes = "30"',
            r"order_download\.poll_interval_minutes: .*valid integer",
        ),
        (
            '[shops.order_download]\npos_order = "skip"',
            r"order_download\.pos_order: .*not permitted",
        ),
        (
            '[shops.order_download.filters]\nfinancial_statuses = ["payed"]',
            r"order_download\.filters\.financial_statuses\.0: .*'paid'",
        ),
        (
            '[shops.order_download.filters]\nship_to_countries = ["Canada"]',
            r"order_download\.filters\.ship_to_countries\.0: .*pattern",
        ),
        ('[shops.locations]\n"Location/1" = "WH1"', r"locations\.Location/1\.\[key\]"),
        (
            '[shops.inventory.WH1]\nlocation = "gid://shopify/Location/1"\ndaily_at = "2am"',
            r"inventory\.WH1\.daily_at: expected a time of day as HH:MM",
        ),
        ('[shops.inventory.WH1]\nmode = "daily"', r"inventory feed WH1 needs a location"),
        (
            '[shops.inventory.WH1]\nlocation = "gid://shopify/Location/1"\n'
            '[shops.inventory.WH2]\nlocation = "gid://shopify/Location/1"',
            r"inventory: .*WH1 and WH2 both feed location gid://shopify/Location/1",
        ),
    ],
)
def test_invalid_settings_name_the_shop_and_the_field(
    tmp_path: Path, shop_body: str, expected: str
) -> None:
    path = write(tmp_path, f'[[shops]]\ndomain = "demo.myshopify.com"\n{shop_body}\n')
    with pytest.raises(
        ShopConfigError, match=rf"shops\.toml: shop demo\.myshopify\.com: {expected}"
    ):
        load_shops(path, env={})


def test_daily_time_is_parsed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[shops]]\ndomain = "demo.myshopify.com"\n[shops.inventory.WH1]\n'
        'location = "gid://shopify/Location/7"\ndaily_at = "03:30"\n',
    )
    shop = load_shops(path, env={}).get("demo.myshopify.com")
    assert shop is not None
    assert shop.inventory["WH1"].daily_at == time(3, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[shops]]\ndomain = "demo.myshopify.com"\n[[shops]]\ndomain = "demo.myshopify.com"\n',
            "shop demo.myshopify.com is listed twice",
        ),
        ('[[shops]]\nname = "x"\n', r"shop #1: domain: field required"),
        ('[[shops]]\ndomain = "demo.example.com"\n', r"shop demo\.example\.com: domain: .*pattern"),
        ("shop = []\n", r"unknown top-level keys \['shop'\]"),
        ("[[shops]\n", "not valid TOML"),
    ],
)
def test_invalid_files_are_refused_with_a_clear_reason(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ShopConfigError, match=expected):
        load_shops(write(tmp_path, text), env={})


@pytest.mark.parametrize(
    ("shop_body", "field", "hint"),
    [
        ('client_secret = "shpss_abc"', "client_secret", "SHOPIFY_DEMO_CLIENT_SECRET"),
        ('access_token = "shpat_abc"', "access_token", "SHOPIFY_DEMO_ACCESS_TOKEN"),
        ('[shops.secrets]\nclient_secret = "x"', "secrets", "SHOPS_SECRETS_FILE"),
        ('[shops.fulfillment]\napi_token = "x"', r"fulfillment\.api_token", "environment"),
    ],
)
def test_a_secret_in_the_shops_file_is_refused_without_echoing_it(
    tmp_path: Path, shop_body: str, field: str, hint: str
) -> None:
    path = write(tmp_path, f'[[shops]]\ndomain = "demo.myshopify.com"\n{shop_body}\n')
    with pytest.raises(ShopConfigError) as raised:
        load_shops(path, env={})
    message = str(raised.value)
    assert "shop demo.myshopify.com" in message
    assert "secrets must not be in the shops file" in message
    assert field.replace("\\", "") in message
    assert hint in message
    assert "shpss_abc" not in message and "shpat_abc" not in message


def test_facility_codes_may_contain_secret_like_words(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[shops]]\ndomain = "demo.myshopify.com"\n[shops.locations]\n'
        '"gid://shopify/Location/1" = "TOKEN-HALL"\n',
    )
    shop = load_shops(path, env={}).get("demo.myshopify.com")
    assert shop is not None and shop.facility_for("gid://shopify/Location/1") == "TOKEN-HALL"


def test_env_key_is_the_upper_cased_subdomain() -> None:
    assert env_key("demo.myshopify.com") == "DEMO"
    assert env_key("my-shop-2.myshopify.com") == "MY_SHOP_2"


SHOPS = '[[shops]]\ndomain = "demo.myshopify.com"\n[[shops]]\ndomain = "my-shop.myshopify.com"\n'


def test_secrets_come_from_the_environment(tmp_path: Path) -> None:
    env = {
        "SHOPIFY_DEMO_ACCESS_TOKEN": "token-1",
        "SHOPIFY_DEMO_CLIENT_SECRET": "new",
        "SHOPIFY_DEMO_PREVIOUS_CLIENT_SECRET": "old",
        "SHOPIFY_MY_SHOP_CLIENT_SECRET": "other",
    }
    config = load_shops(write(tmp_path, SHOPS), env=env)
    demo, other = config.get("demo.myshopify.com"), config.get("my-shop.myshopify.com")
    assert demo is not None and other is not None
    assert demo.access_token == "token-1"
    assert demo.webhook_secrets == ["new", "old"]  # current first: it is the likely match
    assert other.webhook_secrets == ["other"]
    assert other.access_token is None
    # printing a shop never shows a secret
    assert "new" not in repr(demo.secrets) and "token-1" not in repr(demo)
    assert "secrets" not in demo.model_dump()


def test_secrets_file_fills_in_and_the_environment_wins(tmp_path: Path) -> None:
    secrets = write(
        tmp_path,
        '["demo.myshopify.com"]\naccess_token = "file-token"\nclient_secret = "file-secret"\n'
        '["my-shop.myshopify.com"]\nclient_secret = "shop2"\n',
        name="secrets.toml",
    )
    env = {"SHOPS_SECRETS_FILE": str(secrets), "SHOPIFY_DEMO_CLIENT_SECRET": "env-secret"}
    config = load_shops(write(tmp_path, SHOPS), env=env)
    demo = config.get("demo.myshopify.com")
    assert demo is not None
    assert demo.access_token == "file-token"
    assert demo.webhook_secrets == ["env-secret"]
    other = config.get("my-shop.myshopify.com")
    assert other is not None and other.webhook_secrets == ["shop2"]


@pytest.mark.parametrize(
    ("secrets_text", "expected"),
    [
        (
            '["typo.myshopify.com"]\nclient_secret = "x"\n',
            "shop typo.myshopify.com is not in the shops configuration",
        ),
        (
            '["demo.myshopify.com"]\nclient_secrte = "hunter2"\n',
            r"shop demo\.myshopify\.com: client_secrte: Extra inputs",
        ),
        (
            '["demo.myshopify.com"]\nclient_secret = 42\n',
            r"shop demo\.myshopify\.com: client_secret: ",
        ),
    ],
)
def test_bad_secrets_files_are_refused_without_echoing_values(
    tmp_path: Path, secrets_text: str, expected: str
) -> None:
    secrets = write(tmp_path, secrets_text, name="secrets.toml")
    with pytest.raises(ShopConfigError, match=expected) as raised:
        load_shops(write(tmp_path, SHOPS), env={"SHOPS_SECRETS_FILE": str(secrets)})
    assert "hunter2" not in str(raised.value)
    assert "secrets.toml" in str(raised.value)
