"""A real gateway on this test's database and vhost, and a tap on its webhook messages."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from service_runtime import ServiceRuntime
from shop_config.secrets import env_name
from testkit.plugin import IsolatedDatabase
from testkit.services import running_service
from testkit.shops import shop
from testkit.shops import shops_file as write_shops
from testkit.tap import Tap, open_tap
from webhook_gateway.app import gateway_definition
from webhook_gateway.settings import GatewaySettings
from webhook_gateway.testing import (
    LOCATION_FACILITY,
    NOTIFICATION_MESSAGES,
    PREVIOUS_SECRET,
    SECRET,
    SERVICE_FACILITY,
    SHOP,
    SHOP_WITHOUT_SECRET,
    WEBHOOK_MESSAGES,
)

MAX_BYTES = 64 * 1024

FACILITIES = {
    SERVICE_FACILITY: {
        "mode": "fulfillment_service",
        "name": "Shipbridge WH9",
        "callback_url": "https://gateway.example",
    },
    LOCATION_FACILITY: {"mode": "location", "location": "gid://shopify/Location/1"},
}


@pytest.fixture
def shops_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SHOP signs with SECRET or, as during a rotation, PREVIOUS_SECRET, and has one facility in
    each mode; SHOP_WITHOUT_SECRET has no secret at all, so nothing it sends can be verified.
    No access tokens."""
    path = write_shops(
        tmp_path, monkeypatch, shop(SHOP, facilities=FACILITIES), shop(SHOP_WITHOUT_SECRET),
        access_token=None, client_secret=SECRET,
    )  # fmt: skip
    monkeypatch.delenv(env_name(SHOP_WITHOUT_SECRET, "client_secret"))
    monkeypatch.setenv(env_name(SHOP, "previous_client_secret"), PREVIOUS_SECRET)
    return path


@pytest.fixture
def gateway_settings(shops_file: Path) -> GatewaySettings:
    return GatewaySettings(shops_config=shops_file, webhook_max_bytes=MAX_BYTES)


@pytest.fixture
async def gateway(
    isolated_database: IsolatedDatabase, isolated_vhost: str, gateway_settings: GatewaySettings
) -> AsyncIterator[ServiceRuntime]:
    definition = gateway_definition(gateway_settings)
    async with running_service(definition, isolated_database, isolated_vhost) as runtime:
        yield runtime


@pytest.fixture
async def tap(gateway: ServiceRuntime, isolated_vhost: str) -> AsyncIterator[Tap]:
    async with open_tap(isolated_vhost, [WEBHOOK_MESSAGES, NOTIFICATION_MESSAGES]) as tapped:
        yield tapped
