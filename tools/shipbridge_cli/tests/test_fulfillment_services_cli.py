"""`shipbridge fulfillment-services` against a real order-intake and the Shopify simulator: list,
register, delete (and what the schedule then leaves alone), the mistakes an operator can make;
and `requests` over order-intake's `fulfillment_requests` section (a stand-in answers /status
with requests in every state, which a real flow needs the whole warehouse loop to produce)."""

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from rich.console import Console

from order_intake.app import DEFINITION as INTAKE
from service_runtime import ServiceRuntime
from shipbridge_cli.main import run
from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.state.repository import ShopState
from shopify_sim.testing import SimulatorHandle, running_simulator
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service
from testkit.shops import shop, shops_file

SHOP = "cli-fs.myshopify.com"
TOKEN = "shpat_cli_fs"
OPS_TOKEN = "cli-fs-ops-token"
NAME = "CLI 3PL"


@dataclass
class World:
    sim: SimulatorHandle
    intake: ServiceRuntime
    env: dict[str, str]

    @property
    def shop(self) -> ShopState:
        return self.sim.simulator.store.shop(SHOP)

    async def cli(self, *argv: str, **env: str) -> tuple[int, str]:
        out = io.StringIO()
        console = Console(file=out, width=320, color_system=None)
        status = await run(argv, {**self.env, **env}, console, poll_interval_s=0.05)
        return status, out.getvalue()


@pytest.fixture
async def world(
    isolated_database: IsolatedDatabase,
    isolated_vhost: str,
    schema_runtime: SchemaRuntime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[World]:
    async with running_simulator(SimConfig(random_seed=13), schema_runtime) as sim:
        created = await sim.create_shop(SHOP, TOKEN)
        location = created["locations"][0]["id"]
        facilities = {
            "WH1": {"mode": "location", "location": location},
            "WH3": {"mode": "fulfillment_service", "name": NAME,
                    "callback_url": "https://gw.example", "tracking_support": True},
        }  # fmt: skip
        shops = shops_file(
            tmp_path, monkeypatch, shop(SHOP, order_download={"mode": "webhooks"},
                                        facilities=facilities),
            access_token=TOKEN,
        )  # fmt: skip
        monkeypatch.setenv("ORDER_INTAKE_REGISTRATION_INTERVAL_S", "0.3")
        async with running_service(
            INTAKE, isolated_database, isolated_vhost,
            shopify_admin_url=sim.base_url, ops_token=OPS_TOKEN,
        ) as intake:  # fmt: skip
            env = {
                "SHOPS_CONFIG": str(shops),
                "OPS_TOKEN": OPS_TOKEN,
                "STATUS_ORDER_INTAKE_URL": f"http://127.0.0.1:{intake.port}",
            }
            yield World(sim, intake, env)


async def test_list_register_and_delete(world: World) -> None:
    async def registered() -> bool:
        code, out = await world.cli("fulfillment-services", "list")
        return code == 0 and "registered" in out

    await eventually(registered, timeout_s=20)
    [service] = world.shop.fulfillment_services.values()
    code, out = await world.cli("fulfillment-services", "list")
    assert f"gid://shopify/Location/{service.location_id}" in out
    assert NAME in out and "WH1" not in out, "WH1 is a merchant-managed location"

    code, out = await world.cli("fulfillment-services", "register", SHOP, "WH3")
    assert code == 0, out
    assert f"WH3 in {SHOP}: registered as gid://shopify/FulfillmentService/{service.id}" in out

    # Mistakes are refused before anything is sent.
    code, out = await world.cli(
        "fulfillment-services", "delete", SHOP, "WH3", "--inventory-action", "transfer"
    )
    assert (code, "TRANSFER needs --destination-location" in out) == (2, True), out
    code, out = await world.cli("fulfillment-services", "delete", SHOP, "WH1")
    assert (code, "has no fulfillment service facility WH1; configured: WH3" in out) == (2, True)
    code, out = await world.cli("fulfillment-services", "register", "nope.myshopify.com", "WH3")
    assert (code, "unknown shop nope.myshopify.com" in out) == (2, True)
    code, out = await world.cli(
        "fulfillment-services", "delete", SHOP, "WH3", "--inventory-action", "MOVE"
    )
    assert (code, "invalid choice: 'MOVE'" in out) == (2, True), out
    # Shopify's own refusal comes back as the service's 409.
    code, out = await world.cli(
        "fulfillment-services", "delete", SHOP, "WH3",
        "--destination-location", f"gid://shopify/Location/{service.location_id}",
    )  # fmt: skip
    assert (code, "Invalid destination location." in out) == (1, True), out
    assert len(world.shop.fulfillment_services) == 1
    code, out = await world.cli("fulfillment-services", "list", OPS_TOKEN="wrong")
    assert (code, "set OPS_TOKEN" in out) == (1, True)

    code, out = await world.cli("fulfillment-services", "delete", SHOP, "WH3")
    assert code == 0, out
    assert f"deleted gid://shopify/FulfillmentService/{service.id}?id=true from {SHOP}" in out
    assert "(inventory: KEEP)" in out
    assert world.shop.fulfillment_services == {}
    code, out = await world.cli("fulfillment-services", "list")
    assert code == 1, "a configured service deleted is something to look at"
    assert "deleted by an operator; still in the shops file" in out
    code, out = await world.cli("status")
    assert "fulfillment service not registered as configured" in out

    code, out = await world.cli("fulfillment-services", "register", SHOP, "WH3")
    assert code == 0, out
    assert len(world.shop.fulfillment_services) == 1


def _request(order: str, **more: Any) -> dict[str, Any]:
    return {"shop": SHOP, "order_name": order, "fulfillment_order_id": f"gid://shopify/FO/{order}",
            "wms_order_ref": order, "since": "2026-11-22T09:00:00+00:00", **more}  # fmt: skip


async def _status_stand_in(section: dict[str, Any] | None) -> web.AppRunner:
    async def status(_: web.Request) -> web.Response:
        body: dict[str, Any] = {"service": "order-intake"}
        if section is not None:
            body["fulfillment_requests"] = section
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/status", status)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def test_requests_lists_what_waits_and_what_was_refused(world: World) -> None:
    code, out = await world.cli("fulfillment-services", "requests")
    assert (code, "no fulfillment requests waiting, rejected or refused" in out) == (0, True), out

    section = {
        "waiting_for_wms_count": 7,
        "waiting_for_wms": [_request("#1001", facility="WH3")],
        "rejected": [_request("#1002", reason="OTHER", message="SKU unknown")],
        "refused_cancellations": [],
        "failed_answers": [],
        "answer_worker": {"claimed": 1},
    }
    for shown, expected in ((section, 1), ({**section, "rejected": []}, 0), (None, 0)):
        runner = await _status_stand_in(shown)
        try:
            url = f"http://127.0.0.1:{runner.addresses[0][1]}"
            code, out = await world.cli(
                "fulfillment-services", "requests", STATUS_ORDER_INTAKE_URL=url
            )
        finally:
            await runner.cleanup()
        assert code == expected, out
        if shown is None:
            assert "order-intake reports no fulfillment requests" in out
            continue
        assert "7 waiting for the warehouse's answer" in out and "#1001" in out
        assert ("SKU unknown" in out) == bool(shown["rejected"])
