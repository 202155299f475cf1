"""Full sync: the operator's command and the daily run verify Shopify and push the truth."""

import asyncio
from datetime import UTC, datetime

from testkit.probe import eventually

from .conftest import DOMAIN, FACILITY, InventoryFactory, sku


async def test_an_operator_full_sync_repairs_what_changed_in_shopify_and_reports_progress(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=20) as world:
        truth = {sku(n): 60 + n for n in range(1, 21)}
        await world.snapshot(truth)
        await world.settled()
        # A merchant edits two quantities by hand in the admin.
        world.sell_behind_our_back(sku(5), 30)
        world.sell_behind_our_back(sku(6), 66)

        status, job = await world.request(
            "POST", "/inventory/full-sync", {"shop": DOMAIN, "facility": FACILITY}
        )
        assert status == 202
        assert (job["kind"], job["requested_by"], job["state"]) == (
            "full_sync",
            "operator",
            "queued",
        )

        async def done() -> bool:
            _, progress = await world.request("GET", f"/inventory/full-sync/{job['job_id']}")
            return progress["state"] == "done"

        await eventually(done)
        _, finished = await world.request("GET", f"/inventory/full-sync/{job['job_id']}")
        assert {s: world.available(s) for s in truth} == truth
        progress = finished["progress"]
        assert progress["catalog_items"] == 20 and progress["catalog_pages"] == 1
        assert (progress["changes"], progress["pushed"], progress["remaining"]) == (2, 2, 0)
        assert progress["unchanged"] == 18
        catalog = (await world.facility_status())["catalog"]
        assert catalog["drift_at_last_read"] == 2


async def test_full_sync_requests_are_checked(inventory: InventoryFactory) -> None:
    async with inventory(products=3, ops_token="s3cret") as world:
        body = {"shop": DOMAIN, "facility": FACILITY}
        assert (await world.request("POST", "/inventory/full-sync", body))[0] == 401
        status, _ = await world.request("POST", "/inventory/full-sync", body, token="wrong")
        assert status == 401
        status, error = await world.request(
            "POST", "/inventory/full-sync", {"shop": DOMAIN, "facility": "WH9"}, token="s3cret"
        )
        assert (status, error) == (404, {"error": f"no inventory feed for WH9 in {DOMAIN}"})
        status, _ = await world.request("POST", "/inventory/full-sync", [1], token="s3cret")
        assert status == 400
        unknown = "/inventory/full-sync/6f1c2c56-8a7e-4f0e-9d52-0b1f0c7b1a11"
        assert (await world.request("GET", unknown))[0] == 404
        assert (await world.request("GET", "/inventory/full-sync/nonsense"))[0] == 404
        status, job = await world.request("POST", "/inventory/full-sync", body, token="s3cret")
        assert status == 202
        await world.wait_jobs_done("full_sync", 1)
        _, finished = await world.request("GET", f"/inventory/full-sync/{job['job_id']}")
        assert finished["state"] == "done"
        assert finished["note"] == "the warehouse has reported no stock yet"


async def test_the_daily_run_starts_once_a_day_after_its_time(inventory: InventoryFactory) -> None:
    async with inventory(products=5, mode="daily", daily_at="00:00") as world:
        # First sight of the feed: today's run counts as done (the first is tomorrow).
        async def baseline() -> bool:
            return await world.runtime.pool.fetchval("SELECT count(*) FROM daily_runs") == 1

        await eventually(baseline)
        await asyncio.sleep(0.5)
        assert await world.jobs("full_sync") == []
        adjusted = await world.adjust(sku(2), 3, datetime.now(UTC))
        await world.handled([adjusted])

        # A day later (as if the service had been down at 00:00): it runs, once.
        await world.runtime.pool.execute("UPDATE daily_runs SET last_run_on = last_run_on - 1")
        [job] = await world.wait_jobs_done("full_sync", 1)
        await asyncio.sleep(1)  # several schedule rounds
        assert len(await world.jobs("full_sync")) == 1
        assert (job["requested_by"], job["state"]) == ("daily", "done")
        await world.settled()
        assert world.available(sku(2)) == 3
        facility = await world.facility_status()
        assert facility["last_daily_run_on"] is not None
