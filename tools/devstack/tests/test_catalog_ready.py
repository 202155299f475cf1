"""`make run` starts the orders once the warehouse has learned the catalog: read from
inventory-sync's /status, tolerant of a section not filled in yet."""

import asyncio

from aiohttp import web

from devstack.catalog_ready import CatalogProgress, catalog_progress, wait_for_catalog

SHOP = "demo.myshopify.com"


def _status(state: str | None, sent: int, rejected: int) -> dict[str, object]:
    syncs = [{"state": state}] if state else []
    return {
        "catalog": {
            "shops": [
                {"shop": "other.myshopify.com", "items_sent": 5, "syncs": [{"state": "done"}]},
                {
                    "shop": SHOP,
                    "items_sent": sent,
                    "findings": {"rejected_by_wms": {"total": rejected}},
                    "syncs": syncs,
                },
            ]
        }
    }


def test_progress_of_the_shop() -> None:
    assert catalog_progress(_status("done", 2000, 200), SHOP) == CatalogProgress("done", 2000, 200)
    assert catalog_progress(_status(None, 0, 0), SHOP) == CatalogProgress(None, 0, 0)
    assert catalog_progress({}, SHOP) == CatalogProgress(None, 0, 0)
    assert catalog_progress({"catalog": {"shops": None}}, SHOP) == CatalogProgress(None, 0, 0)


def test_ready_once_the_sync_is_done_and_the_warehouse_answered() -> None:
    assert CatalogProgress("done", 2000, 200).ready(200)
    assert not CatalogProgress("done", 2000, 120).ready(200)  # the WMS is still learning
    assert not CatalogProgress("running", 0, 0).ready(0)


async def test_waits_until_ready() -> None:
    answers = iter([_status("running", 0, 0), _status("done", 2000, 0), _status("done", 2000, 200)])
    last = _status("done", 2000, 200)

    async def status(_: web.Request) -> web.Response:
        return web.json_response(next(answers, last))

    app = web.Application()
    app.router.add_get("/status", status)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        progress = await wait_for_catalog(
            f"http://127.0.0.1:{port}/status", SHOP, 200, 10, asyncio.Event(), every_s=0.01
        )
    finally:
        await runner.cleanup()

    assert progress == CatalogProgress("done", 2000, 200)


async def test_gives_up_after_the_timeout_and_answers_what_it_saw() -> None:
    progress = await wait_for_catalog(
        "http://127.0.0.1:9/status", SHOP, 200, 0.05, asyncio.Event(), every_s=0.01
    )

    assert not progress.ready(200)
