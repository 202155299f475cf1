"""The status page in a real headless browser (Debian's chromium, driven by Playwright), over
a real gateway and order-intake: a rejected order and a dead letter made by the test show up
first, a service that is not running shows as down, the shop's second facility (a Shopify
fulfillment service) is listed with the location Shopify made for it, and a screenshot is kept
as an artifact."""

import json
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import async_playwright

from contracts import order_correlation_id
from operator_status.app import create_app
from order_intake.app import DEFINITION as INTAKE
from service_runtime import ServiceRuntime
from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.testing import SHIPPING_ADDRESS, SimulatorHandle, running_simulator
from testkit.bus import publish_raw
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service
from testkit.shops import shop, shops_file
from testkit.webhooks import webhook_envelope
from webhook_gateway.app import gateway_definition
from webhook_gateway.settings import GatewaySettings

SHOP = "status-page.myshopify.com"
TOKEN = "shpat_status_page"
OPS_TOKEN = "ops-page-token"
ARTIFACTS = Path(__file__).resolve().parents[3] / ".run" / "artifacts"
NOT_RUNNING = "http://127.0.0.1:9"  # discard port: nothing answers there


@dataclass
class Stack:
    sim: SimulatorHandle
    gateway: ServiceRuntime
    intake: ServiceRuntime
    status_url: str


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
async def stack(
    isolated_database: IsolatedDatabase,
    isolated_vhost: str,
    schema_runtime: SchemaRuntime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Stack]:
    async with running_simulator(SimConfig(random_seed=5), schema_runtime) as sim:
        created = await sim.create_shop(SHOP, TOKEN)
        await sim.seed(
            SHOP, products=5, locations=["Shop location"], min_quantity=50, max_quantity=50
        )
        location = created["locations"][0]["id"]
        service = {"mode": "fulfillment_service", "name": "Page 3PL",
                   "callback_url": "https://gw.example"}  # fmt: skip
        shops = shops_file(
            tmp_path, monkeypatch,
            shop(SHOP, order_download={"mode": "webhooks"}, locations={location: "WH1"},
                 facilities={"WH2": service}),
            access_token=TOKEN,
        )  # fmt: skip
        settings = GatewaySettings(shops_config=shops, webhook_callback_url="https://gw.example/wh")
        async with (
            running_service(
                gateway_definition(settings), isolated_database, isolated_vhost,
                shopify_admin_url=sim.base_url,
            ) as gateway,
            running_service(
                INTAKE, isolated_database, isolated_vhost, shopify_admin_url=sim.base_url
            ) as intake,
        ):  # fmt: skip
            urls = {
                "webhook-gateway": f"http://127.0.0.1:{gateway.port}",
                "order-intake": f"http://127.0.0.1:{intake.port}",
                "fulfillment-sync": NOT_RUNNING,
                "inventory-sync": NOT_RUNNING,
                "cancellation": NOT_RUNNING,
            }
            runner = web.AppRunner(create_app(urls, token=OPS_TOKEN))
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            try:
                yield Stack(sim, gateway, intake, f"http://127.0.0.1:{port}")
            finally:
                await runner.cleanup()


async def status_doc(stack: Stack) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {OPS_TOKEN}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{stack.status_url}/status", headers=headers) as resp,
    ):
        assert resp.status == 200
        doc: dict[str, Any] = await resp.json()
        return doc


async def test_the_page_shows_a_rejected_order_and_a_dead_letter_first(
    stack: Stack, isolated_vhost: str
) -> None:
    executable = chromium()
    # An order the warehouse could not ship as it is (no city), and a message nobody can read.
    address = {k: v for k, v in SHIPPING_ADDRESS.items() if k != "city"}
    order = await stack.sim.create_order(
        SHOP, [("SKU-00001", 1, "Shop location")], shippingAddress=address
    )
    webhook = webhook_envelope(
        "orders/create", {"admin_graphql_api_id": order["id"]}, shop=SHOP, webhook_id="w1",
        correlation_id=order_correlation_id(SHOP, order["id"]),
    )  # fmt: skip
    await publish_raw(isolated_vhost, webhook.to_json(), webhook.type, str(webhook.id))
    await publish_raw(isolated_vhost, b"{not json", "shopify.webhook.orders.updated", "garbled-1")

    async def both_shown() -> bool:
        doc = await status_doc(stack)
        kinds = {p["kind"] for p in doc["problems"]}
        services = [s["state"] for s in doc["fulfillment_services"]]
        return {"rejected_orders", "dead_letters"} <= kinds and services == ["registered"]

    await eventually(both_shown, timeout_s=20)
    doc = await status_doc(stack)
    assert doc["healthy"] is False
    summary = doc["summary"]
    assert summary["fulfillment-sync"]["state"] == "down"
    assert summary["order-intake"]["state"] == "ready"

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            anonymous = await browser.new_page()
            response = await anonymous.goto(stack.status_url)
            assert response is not None and response.status == 401

            context = await browser.new_context(
                extra_http_headers={"Authorization": f"Bearer {OPS_TOKEN}"},
                viewport={"width": 1360, "height": 900},
            )
            page = await context.new_page()
            response = await page.goto(stack.status_url)
            assert response is not None and response.status == 200
            assert "need attention" in await page.title()
            refresh = page.locator("meta[http-equiv='refresh']")
            assert await refresh.get_attribute("content") == "10"

            rejected = page.locator("section.problem[data-kind='rejected_orders']")
            assert order["name"] in await rejected.inner_text()
            assert "shipping address has no city" in await rejected.inner_text()
            dead = page.locator("section.problem[data-kind='dead_letters']")
            assert "invalid message" in await dead.inner_text()
            down = page.locator("section.problem.critical[data-kind='down']")
            assert await down.count() == 3

            # Problems first: the first problem is above the services' table.
            first_problem = await page.locator("section.problem").first.bounding_box()
            services = await page.locator("#services").bounding_box()
            assert first_problem is not None and services is not None
            assert first_problem["y"] < services["y"]
            shops = await page.locator("#shops + table").inner_text()
            assert SHOP in shops and "healthy" in shops  # webhook subscriptions were created
            [service] = stack.sim.simulator.store.shop(SHOP).fulfillment_services.values()
            services = await page.locator("#fulfillment-services + table").inner_text()
            assert "Page 3PL" in services and "registered" in services
            assert f"gid://shopify/Location/{service.location_id}" in services

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "status-page.png"
            await page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            print(f"status page screenshot: {shot}")
            print(json.dumps(doc["problems"], default=str)[:500])
        finally:
            await browser.close()
