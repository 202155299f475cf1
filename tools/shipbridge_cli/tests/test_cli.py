"""`shipbridge` against running services: a real gateway and order-intake on this test's
database and vhost, the Shopify simulator, and stand-ins only for what is not built here yet
(inventory-sync's full-sync job; services that hold no personal data answer 404)."""

import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from rich.console import Console

from order_intake.app import DEFINITION as INTAKE
from service_runtime import ServiceRuntime
from shipbridge_cli.main import run
from shopify_admin.mutations import webhook_topic
from shopify_sim.config import SimConfig
from shopify_sim.schema_runtime import SchemaRuntime
from shopify_sim.testing import SHIPPING_ADDRESS, SimulatorHandle, running_simulator
from testkit.bus import publish_raw
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service
from testkit.shops import shop, shops_file
from webhook_gateway.app import gateway_definition
from webhook_gateway.settings import GatewaySettings
from webhook_gateway.subscriptions import API_TOPICS
from webhook_gateway.testing import post_webhook, signed_headers

SHOP = "cli-test.myshopify.com"
TOKEN = "shpat_cli_test"
SECRET = "cli-client-secret"
OPS_TOKEN = "cli-ops-token"
CALLBACK = "https://gateway.example/webhooks/shopify"
NOTHING_THERE = "http://127.0.0.1:9"


@dataclass
class FullSyncStandIn:
    """inventory-sync's full-sync endpoints as that service answers them (inventory_sync/http.py,
    job_store.job_json): a job queued, running, pushing its changes, then done or failed."""

    outcome: str = "done"
    started: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0

    def job(self) -> dict[str, Any]:
        states = ["queued", "running", "pushing", "pushing", self.outcome]
        state = states[min(self.polls, len(states) - 1)]
        pushed = {"queued": 0, "running": 0, "pushing": self.polls - 2}.get(state, 3)
        return {
            "job_id": "2f1e4b8e-0000-4000-8000-000000000001",
            "state": state,
            "phase": state if state in ("running", "pushing") else None,
            "progress": {"skus_considered": 40, "changes": 3, "pushed": pushed,
                         "already_right": 0, "push_failed": 0, "remaining": 3 - pushed},
            "error": "Shopify refused the quantities" if state == "failed" else None,
        }  # fmt: skip

    def app(self) -> web.Application:
        async def start(request: web.Request) -> web.Response:
            self.started.append(await request.json())
            return web.json_response(self.job(), status=202)

        async def progress(request: web.Request) -> web.Response:
            self.polls += 1
            return web.json_response(self.job())

        app = web.Application()
        app.router.add_post("/inventory/full-sync", start)
        app.router.add_get("/inventory/full-sync/{job_id}", progress)
        return app


@dataclass
class World:
    sim: SimulatorHandle
    gateway: ServiceRuntime
    intake: ServiceRuntime
    env: dict[str, str]
    inventory: FullSyncStandIn
    amqp_url: str

    async def cli(self, *argv: str, **env: str) -> tuple[int, str]:
        out = io.StringIO()
        console = Console(file=out, width=200, color_system=None)
        status = await run(argv, {**self.env, **env}, console, poll_interval_s=0.05)
        return status, out.getvalue()

    async def order(self, **overrides: Any) -> dict[str, Any]:
        order: dict[str, Any] = await self.sim.create_order(
            SHOP, [("SKU-00001", 1, "Shop location")], **overrides
        )
        return order

    async def publish(self, body: bytes, routing_key: str, message_id: str) -> None:
        await publish_raw(self.amqp_url, body, routing_key, message_id)


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def world(
    isolated_database: IsolatedDatabase,
    isolated_vhost: str,
    schema_runtime: SchemaRuntime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[World]:
    async with running_simulator(SimConfig(random_seed=11), schema_runtime) as sim:
        created = await sim.create_shop(SHOP, TOKEN, SECRET)
        await sim.seed(SHOP, products=5, locations=["Shop location"], min_quantity=9,
                       max_quantity=9)  # fmt: skip
        location = created["locations"][0]["id"]
        shops = shops_file(
            tmp_path,
            monkeypatch,
            shop(
                SHOP,
                order_download={"mode": "webhooks"},
                locations={location: "WH1"},
                inventory={"WH1": {"location": location}},
            ),
            access_token=TOKEN,
            client_secret=SECRET,
        )
        settings = GatewaySettings(shops_config=shops, webhook_callback_url=CALLBACK)
        inventory = FullSyncStandIn()
        inventory_runner, inventory_url = await _serve(inventory.app())
        nothing_runner, no_personal_data_url = await _serve(web.Application())
        try:
            async with (
                running_service(
                    gateway_definition(settings), isolated_database, isolated_vhost,
                    shopify_admin_url=sim.base_url, ops_token=OPS_TOKEN,
                ) as gateway,
                running_service(
                    INTAKE, isolated_database, isolated_vhost,
                    shopify_admin_url=sim.base_url, ops_token=OPS_TOKEN,
                ) as intake,
            ):  # fmt: skip
                env = {
                    "SHOPS_CONFIG": str(shops),
                    "OPS_TOKEN": OPS_TOKEN,
                    "STATUS_WEBHOOK_GATEWAY_URL": f"http://127.0.0.1:{gateway.port}",
                    "STATUS_ORDER_INTAKE_URL": f"http://127.0.0.1:{intake.port}",
                    "STATUS_INVENTORY_SYNC_URL": inventory_url,
                    "STATUS_FULFILLMENT_SYNC_URL": no_personal_data_url,
                    "STATUS_CANCELLATION_URL": no_personal_data_url,
                }
                yield World(sim, gateway, intake, env, inventory, isolated_vhost)
        finally:
            await inventory_runner.cleanup()
            await nothing_runner.cleanup()


async def test_status_resync_download_and_dead_letters(world: World) -> None:
    # A rejected order (no city) and a message nobody can read: status names both.
    address = {k: v for k, v in SHIPPING_ADDRESS.items() if k != "city"}
    rejected = await world.order(shippingAddress=address)
    code, out = await world.cli("orders", "resync", SHOP, rejected["name"])
    assert code == 0, out
    assert f"{rejected['name']} ({rejected['id']}): rejected_by_checks" in out
    assert "shipping address has no city" in out
    await world.publish(b"{garbled", "shopify.webhook.orders.updated", "garbled-1")

    async def dead_letter_listed() -> bool:
        code, out = await world.cli("dead-letters", "list", "order-intake")
        return code == 0 and "garbled" not in out and "invalid message" in out

    await eventually(dead_letter_listed)
    code, out = await world.cli("status")
    assert code == 1, "something needs attention"
    assert "order rejected: fix and re-sync" in out
    assert "shipping address has no city" in out
    assert "dead letter waiting for replay" in out
    assert "fulfillment-sync" in out
    code, out = await world.cli("status", "--json")
    doc = json.loads(out)
    assert doc["healthy"] is False
    assert {p["kind"] for p in doc["problems"]} >= {"rejected_orders", "dead_letters"}

    # Re-sync sends a good order; a download over a window reads what webhooks missed.
    fine = await world.order()
    code, out = await world.cli("orders", "resync", SHOP, fine["name"])
    assert (code, f"sent to the warehouse as {fine['name']}" in out) == (0, True), out
    missed = [await world.order() for _ in range(2)]
    code, out = await world.cli("orders", "download", SHOP, "--since", "2020-01-01")
    assert code == 0, out
    assert "4 orders read, 2 sent to the warehouse" in out
    assert "100%" in out
    assert {m["name"] for m in missed} <= set(
        await world.intake.pool.fetchval("SELECT array_agg(wms_order_ref) FROM wms_orders")
    )

    # Replaying the dead letter puts it back on the queue.
    [dead_id] = [r["id"] for r in await world.intake.pool.fetch("SELECT id FROM dead_letters")]
    code, out = await world.cli("dead-letters", "replay", "order-intake", str(dead_id))
    assert (code, f"replayed 1 dead letters ({dead_id})" in out) == (0, True), out

    # Mistakes get clear answers.
    code, out = await world.cli("orders", "resync", "nope.myshopify.com", "#1")
    assert (code, "unknown shop nope.myshopify.com; configured: cli-test" in out) == (2, True)
    code, out = await world.cli("orders", "resync", SHOP, "#999999")
    assert (code, "no order named #999999" in out) == (1, True), out
    code, out = await world.cli("orders", "download", SHOP, "--since", "yesterday")
    assert (code, "is not a date or ISO 8601 time" in out) == (2, True), out
    code, out = await world.cli(
        "orders", "download", SHOP, "--since", "2026-11-02", "--until", "2026-11-01"
    )
    assert (code, "--until is before --since" in out) == (2, True)
    code, out = await world.cli("dead-letters", "list", "warehouse")
    assert (code, "unknown service 'warehouse'" in out) == (2, True)
    code, out = await world.cli("dead-letters", "replay", "order-intake")
    assert (code, "give dead letter ids, or --all" in out) == (2, True)
    code, out = await world.cli("orders", "resync", SHOP, "#1", OPS_TOKEN="wrong")
    assert (code, "set OPS_TOKEN" in out) == (1, True), out


async def test_inventory_full_sync_shows_progress_and_failures(world: World) -> None:
    code, out = await world.cli("inventory", "full-sync", SHOP, "WH1")
    assert code == 0, out
    assert world.inventory.started == [{"shop": SHOP, "facility": "WH1"}]
    assert "full sync of WH1 into cli-test.myshopify.com done" in out
    assert "40 SKUs compared, 3 to change, 3 pushed" in out
    assert "100%" in out
    assert world.inventory.polls == 4

    code, out = await world.cli("inventory", "full-sync", SHOP, "WH9")
    assert (code, "has no inventory feed from facility WH9; configured: WH1" in out) == (2, True)
    world.inventory.outcome, world.inventory.polls = "failed", 0
    code, out = await world.cli("inventory", "full-sync", SHOP, "WH1")
    assert (code, "Shopify refused the quantities" in out) == (1, True), out
    code, out = await world.cli(
        "inventory", "full-sync", SHOP, "WH1", STATUS_INVENTORY_SYNC_URL=NOTHING_THERE
    )
    assert code == 3
    assert "inventory-sync is not reachable at http://127.0.0.1:9" in out
    assert "STATUS_INVENTORY_SYNC_URL sets its address" in out


async def test_webhooks_check_and_repair(world: World) -> None:
    shop = world.sim.simulator.store.shop(SHOP)
    await eventually(lambda: len(shop.subscriptions) == len(API_TOPICS))
    [paid] = [s for s in shop.subscriptions.values() if s.topic == webhook_topic("orders/paid")]
    del shop.subscriptions[paid.id]  # what Shopify does after failing deliveries

    code, out = await world.cli("webhooks", "check", SHOP)
    assert code == 1, out
    assert "orders/paid" in out
    code, out = await world.cli("webhooks", "repair", SHOP)
    assert (code, "re-created: orders/paid" in out) == (0, True), out
    code, out = await world.cli("webhooks", "check", SHOP)
    assert code == 0, out
    code, out = await world.cli("webhooks", "check", "nope.myshopify.com")
    assert code == 2


async def test_a_data_request_is_exported_to_a_private_file(world: World, tmp_path: Path) -> None:
    order = await world.order(email="pat@example.com")
    code, _ = await world.cli("orders", "resync", SHOP, order["name"])
    assert code == 0
    body = json.dumps({
        "shop_id": 1, "shop_domain": SHOP,
        "customer": {"id": 77, "email": "pat@example.com", "phone": None},
        "orders_requested": [int(order["id"].rsplit("/", 1)[1])],
        "data_request": {"id": 5150},
    }).encode()  # fmt: skip
    headers = signed_headers(body, shop=SHOP, secret=SECRET, topic="customers/data_request")
    assert (await post_webhook(world.gateway, body, headers)).status == 200

    async def listed() -> bool:
        code, out = await world.cli("privacy", "requests")
        return code == 0 and "5150" in out

    await eventually(listed)
    target = tmp_path / "export.json"
    code, out = await world.cli("privacy", "export", SHOP, "5150", "--output", str(target))
    assert code == 0, out
    export = json.loads(target.read_text())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert export["orders"] == [order["id"]]
    [record] = export["held_by"]["order-intake"]["wms_orders"]
    assert record["personal_data"]["$.ship_to.name"] == "Sam Buyer"
    assert export["incomplete"] == {}
    code, out = await world.cli("privacy", "requests")
    assert "no customer data requests to export" in out

    # With a service away the export says so and is not marked done.
    code, out = await world.cli(
        "privacy", "export", SHOP, "5150", "--output", str(target),
        STATUS_CANCELLATION_URL=NOTHING_THERE,
    )  # fmt: skip
    assert (code, "INCOMPLETE" in out) == (1, True)
    assert json.loads(target.read_text())["incomplete"].keys() == {"cancellation"}


def test_the_console_script_is_installed_and_rejects_bad_arguments(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "shipbridge"
    help_run = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert help_run.returncode == 0
    assert "dead-letters" in help_run.stdout
    bad = subprocess.run(
        [script, "orders", "download", SHOP],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SHOPS_CONFIG": str(tmp_path / "missing.toml")},
    )
    assert bad.returncode == 2
    assert "the following arguments are required: --since" in bad.stdout
    missing_config = subprocess.run(
        [script, "orders", "resync", SHOP, "#1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SHOPS_CONFIG": str(tmp_path / "missing.toml")},
    )
    assert missing_config.returncode == 2
    assert "cannot read the shops configuration" in missing_config.stdout
