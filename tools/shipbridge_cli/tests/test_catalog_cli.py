"""`shipbridge catalog sync|problems` against a stand-in of inventory-sync's catalog endpoints,
answering as that service does (inventory_sync/http.py, bulk_sync.sync_json, status.py)."""

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from rich.console import Console

from shipbridge_cli.main import run
from testkit.shops import shop, shops_file

SHOP = "catalog-cli.myshopify.com"
JOB_ID = "5b0e7a39-0000-4000-8000-000000000018"
MUG = {
    "product_title": "Mug",
    "variant_title": "Blue",
    "product_id": "gid://shopify/Product/1",
    "variant_id": "gid://shopify/ProductVariant/11",
}


@dataclass
class CatalogStandIn:
    outcome: str = "done"
    started: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0
    catalog: dict[str, Any] | None = None
    """inventory-sync's /status `catalog` section; None: absent."""

    def job(self) -> dict[str, Any]:
        states = ["queued", "running", "running", self.outcome]
        state = states[min(self.polls, len(states) - 1)]
        lines = {"queued": 0, "running": 50_000 * self.polls}.get(state, 100_000)
        return {
            "job_id": JOB_ID,
            "shop": SHOP,
            "state": state,
            "phase": "reading" if state == "running" else None,
            "bulk_operation": {"id": "gid://shopify/BulkOperation/7",
                               "status": "COMPLETED" if state == "done" else "RUNNING"},
            "progress": {"lines_read": lines, "variants_read": lines, "items_sent": lines // 10,
                         "discontinued": 2 if state == "done" else 0, "unchanged": 0,
                         "duplicates": 0},
            "error": "bulk operation FAILED: ACCESS_DENIED" if state == "failed" else None,
        }  # fmt: skip

    def app(self) -> web.Application:
        async def start(request: web.Request) -> web.Response:
            body = await request.json()
            if body.get("shop") != SHOP:
                return web.json_response({"error": f"no catalog flow for {body}"}, status=404)
            self.started.append(body)
            return web.json_response(self.job(), status=202)

        async def progress(request: web.Request) -> web.Response:
            assert request.match_info["job_id"] == JOB_ID
            self.polls += 1
            return web.json_response(self.job())

        async def status(_: web.Request) -> web.Response:
            section: dict[str, Any] = {"inventory": {"facilities": []}}
            if self.catalog is not None:
                section["catalog"] = self.catalog
            return web.json_response(section)

        app = web.Application()
        app.router.add_post("/catalog/sync", start)
        app.router.add_get("/catalog/sync/{job_id}", progress)
        app.router.add_get("/status", status)
        return app


@dataclass
class Cli:
    env: dict[str, str]
    inventory: CatalogStandIn

    async def __call__(self, *argv: str) -> tuple[int, str]:
        out = io.StringIO()
        console = Console(file=out, width=240, color_system=None)
        status = await run(argv, self.env, console, poll_interval_s=0.01)
        return status, out.getvalue()


@pytest.fixture
async def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Cli]:
    shops = shops_file(tmp_path, monkeypatch, shop(SHOP), access_token="shpat_x")
    inventory = CatalogStandIn()
    runner = web.AppRunner(inventory.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield Cli({"SHOPS_CONFIG": str(shops), "STATUS_INVENTORY_SYNC_URL": url}, inventory)
    finally:
        await runner.cleanup()


async def test_catalog_sync_follows_the_job_with_a_progress_line_until_done(cli: Cli) -> None:
    code, out = await cli("catalog", "sync", SHOP)
    assert code == 0, out
    assert cli.inventory.started == [{"shop": SHOP}]
    assert cli.inventory.polls == 3
    assert f"catalog sync of {SHOP} done: 100000 lines read, 10000 items sent, 2 discontinued" in (
        out
    )
    assert "100%" in out


async def test_a_failed_catalog_sync_exits_1_with_the_reason(cli: Cli) -> None:
    cli.inventory.outcome = "failed"
    code, out = await cli("catalog", "sync", SHOP)
    assert code == 1
    assert f"catalog sync of {SHOP} failed: bulk operation FAILED: ACCESS_DENIED" in out


async def test_catalog_sync_of_an_unknown_shop_is_a_bad_argument(cli: Cli) -> None:
    code, out = await cli("catalog", "sync", "nope.myshopify.com")
    assert (code, "unknown shop nope.myshopify.com" in out) == (2, True)
    assert cli.inventory.started == []


async def test_catalog_problems_lists_the_findings_with_the_products_to_fix(cli: Cli) -> None:
    code, out = await cli("catalog", "problems")
    assert (code, "inventory-sync reports no catalog" in out) == (0, True)

    cli.inventory.catalog = {"shops": [{"shop": SHOP, "findings": {}, "syncs": []}]}
    code, out = await cli("catalog", "problems")
    assert (code, "no catalog problems" in out) == (0, True)

    cli.inventory.catalog = {
        "shops": [
            {
                "shop": SHOP,
                "findings": {
                    "duplicate_skus": {"total": 1, "skus": [
                        {"sku": "MUG-1", "since": "2026-11-22T09:00:00Z", "variants": [MUG]}]},
                    "missing_sku": {"total": 0, "variants": []},
                    "rejected_by_wms": {"total": 1, "skus": [
                        {"sku": "MUG-2", "reason": "barcode 123 is already held for SKU MUG-1",
                         "rejected_at": "2026-11-22T10:00:00Z", **MUG}]},
                },
                "syncs": [{"job_id": JOB_ID, "state": "failed", "error": "ACCESS_DENIED",
                           "finished_at": "2026-11-22T11:00:00Z"}],
            }
        ]
    }  # fmt: skip
    code, out = await cli("catalog", "problems")
    assert code == 1, out
    assert "1 SKU on several variants" in out
    assert "MUG-1" in out and "gid://shopify/ProductVariant/11" in out
    assert "1 item the warehouse rejected" in out
    assert "barcode 123 is already held for SKU MUG-1" in out
    assert "full catalog sync failed for 1 shop" in out and "ACCESS_DENIED" in out

    code, out = await cli("catalog", "problems", "--shop", SHOP)
    assert code == 1
    code, out = await cli("catalog", "problems", "--shop", "nope.myshopify.com")
    assert code == 2
