"""A real gateway on this test's database and vhost, and a tap queue on its webhook messages."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from service_runtime import ServiceRuntime
from testkit.plugin import IsolatedDatabase
from testkit.services import running_service
from webhook_gateway.app import gateway_definition
from webhook_gateway.settings import GatewaySettings
from webhook_gateway.testing import Tap, open_tap, write_shops_file

MAX_BYTES = 64 * 1024


@pytest.fixture
def shops_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "shops.toml"
    for name, value in write_shops_file(path).items():
        monkeypatch.setenv(name, value)
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
    """Bound after the gateway declared the exchanges."""
    collected, connection = await open_tap(isolated_vhost)
    yield collected
    await connection.close()
