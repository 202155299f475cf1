"""The broker or the database goes away: a 200 is only ever given for what is durable."""

import asyncio

import pytest

from service_runtime import ServiceRuntime
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.proxy import proxy_for, redirect
from testkit.services import running_service
from testkit.tap import open_tap
from webhook_gateway.app import gateway_definition
from webhook_gateway.settings import GatewaySettings
from webhook_gateway.testing import WEBHOOK_MESSAGES, post_webhook, sample, signed_headers


async def test_broker_unreachable_still_200_and_published_once_it_is_back(
    isolated_database: IsolatedDatabase, isolated_vhost: str, gateway_settings: GatewaySettings
) -> None:
    proxy = await proxy_for(isolated_vhost, 5672)
    try:
        definition = gateway_definition(gateway_settings)
        async with (
            running_service(
                definition, isolated_database, redirect(isolated_vhost, proxy)
            ) as gateway,
            open_tap(isolated_vhost, [WEBHOOK_MESSAGES]) as tap,  # straight to the broker
        ):
            proxy.refusing = True
            proxy.disconnect_all()
            body = sample("orders/create")
            answer = await post_webhook(gateway, body, signed_headers(body))
            assert answer.status == 200
            assert await gateway.pool.fetchval("SELECT count(*) FROM outbox") == 1
            assert tap.messages == []

            proxy.refusing = False
            await eventually(lambda: len(tap.messages) == 1, timeout_s=30)

            async def outbox_empty() -> bool:
                # The row goes when the relay commits, just after the broker's confirm.
                pending: int = await gateway.pool.fetchval("SELECT count(*) FROM outbox")
                return pending == 0

            await eventually(outbox_empty)
            await asyncio.sleep(0.2)
            assert len(tap.messages) == 1
    finally:
        await proxy.stop()


async def test_database_unreachable_is_503_then_accepted_on_retry(
    isolated_database: IsolatedDatabase, isolated_vhost: str, gateway_settings: GatewaySettings
) -> None:
    proxy = await proxy_for(isolated_database.admin_dsn, 5432)
    database = IsolatedDatabase(
        redirect(isolated_database.admin_dsn, proxy), isolated_database.role_prefix
    )
    try:
        definition = gateway_definition(gateway_settings)
        async with (
            running_service(definition, database, isolated_vhost) as gateway,
            open_tap(isolated_vhost, [WEBHOOK_MESSAGES]) as tap,
        ):
            proxy.refusing = True
            proxy.disconnect_all()
            body = sample("orders/create")
            headers = signed_headers(body)
            answer = await post_webhook(gateway, body, headers)
            assert (answer.status, answer.body["error"]) == (503, "not stored, retry later")

            proxy.refusing = False
            # Shopify retries the same delivery; now it is stored and published, once.
            await eventually(
                lambda: _status_is(gateway, body, headers, 200), timeout_s=20, interval_s=0.2
            )
            await eventually(lambda: len(tap.messages) == 1)
    finally:
        await proxy.stop()


async def _status_is(
    gateway: ServiceRuntime, body: bytes, headers: dict[str, str], status: int
) -> bool:
    return (await post_webhook(gateway, body, headers)).status == status


pytestmark = pytest.mark.timeout(90)
