"""Pushing to Shopify when it pushes back: stale compare-and-set, THROTTLED, 5xx, lost answers,
and the service killed between Shopify's answer and our commit. Nothing lost, nothing twice."""

import asyncio

from testkit.probe import eventually

from .conftest import STOCK, InventoryFactory, later, sku


async def test_a_quantity_moved_behind_our_back_is_reread_and_the_batch_retried(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=40) as world:
        # Orders in Shopify took units after the catalog was read: what we track is stale.
        world.sell_behind_our_back(sku(3), 2)
        world.sell_behind_our_back(sku(17), 5)
        truth = {sku(n): 100 + n for n in range(1, 41)}
        await world.snapshot(truth)
        [job] = await world.wait_jobs_done("snapshot", 1)
        await world.settled()

        assert {s: world.available(s) for s in truth} == truth
        assert job["progress"]["stale_retries"] == 1
        # The refused call changed nothing; the retry (a new key) applied all 40 at once.
        assert await world.mutations() == 2
        assert world.adjustment_groups() == 1
        assert job["progress"]["pushed"] == 40


async def test_throttled_and_server_errors_still_apply_every_quantity_exactly_once(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=1000) as world:
        await world.sim.admin(
            "POST",
            "/faults",
            {"server_error_fraction": 0.3, "lost_answer_fraction": 0.3, "throttle_seconds": 1.5},
        )
        truth = {sku(n): n % 97 for n in range(1, 1001)}
        changed = sum(1 for q in truth.values() if q != STOCK)
        await world.snapshot(truth)
        [job] = await world.wait_jobs_done("snapshot", 1, timeout_s=90)
        await world.settled()
        faults = (await world.stats())["injected_faults"]
        await world.sim.admin("DELETE", "/faults")

        assert {s: world.available(s) for s in truth} == truth
        print(f"injected: {faults}, mutations sent: {await world.mutations()}")
        assert faults.get("server_error", 0) > 0 and faults.get("throttled", 0) > 0
        assert faults.get("lost_answer", 0) > 0
        # Each batch changed Shopify once, however often it was sent (same idempotency key).
        assert world.adjustment_groups() == -(-changed // 250)
        assert job["progress"]["pushed"] == changed


async def test_a_push_answered_while_the_service_was_stopped_is_not_applied_twice(
    inventory: InventoryFactory,
) -> None:
    settings = {"INVENTORY_SYNC_PUSH_LEASE_S": "1"}
    async with inventory(products=20, settings=settings) as world:
        # Shopify holds its answer; the service stops before hearing it.
        await world.sim.admin("POST", "/faults", {"answer_delay_seconds": 2})
        truth = {sku(n): 200 + n for n in range(1, 21)}
        await world.snapshot(truth)

        async def batch_sent() -> bool:
            return await world.mutations() >= 1

        await eventually(batch_sent)
        await world.runtime.stop()
        await asyncio.sleep(2.5)  # Shopify applied it meanwhile; nobody recorded that
        assert world.adjustment_groups() == 1
        await world.sim.admin("DELETE", "/faults")

        async with world.service() as again:
            world.runtime = again
            await world.settled()
            assert {s: world.available(s) for s in truth} == truth
            assert await world.mutations() == 2  # sent again after the restart...
            assert world.adjustment_groups() == 1  # ...and Shopify replayed its answer
            [job] = await world.jobs("snapshot")
            assert job["progress"]["pushed"] == 20


async def test_an_adjustment_during_a_push_goes_out_after_it_with_the_right_compare_value(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=5) as world:
        await world.sim.admin("POST", "/faults", {"answer_delay_seconds": 1})
        await world.snapshot({sku(1): 10})

        async def batch_sent() -> bool:
            return await world.mutations() >= 1

        await eventually(batch_sent)
        await world.adjust(sku(1), 7, later(5))
        await world.settled()
        await world.sim.admin("DELETE", "/faults")

        assert world.available(sku(1)) == 7
        # The second call waited for the first and named 10 as the quantity to change from.
        assert await world.mutations() == 2
        assert world.adjustment_groups() == 2
