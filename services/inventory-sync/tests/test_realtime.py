"""The realtime feed: absolute values ordered by as_of, bursts coalesced into one push."""

import random

from .conftest import InventoryFactory, later, sku


async def test_an_adjustment_older_than_what_was_applied_is_ignored(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=5) as world:
        await world.adjust(sku(1), 12, later(60))
        await world.settled()
        assert world.available(sku(1)) == 12

        # Late: older than the one applied, and older than a snapshot applied since.
        late = await world.adjust(sku(1), 3, later(30))
        await world.snapshot({sku(2): 9}, as_of=later(120))
        await world.wait_jobs_done("snapshot", 1)
        older_than_snapshot = await world.adjust(sku(2), 1, later(90))
        await world.handled([late, older_than_snapshot])
        await world.settled()

        assert (world.available(sku(1)), world.available(sku(2))) == (12, 9)
        realtime = (await world.facility_status())["realtime"]
        assert realtime["adjustments_ignored_late"] == 2
        assert realtime["adjustments_applied"] == 1

        # The same value repeated (a redelivery, or the WMS saying it twice) pushes nothing.
        calls = await world.mutations()
        again = await world.adjust(sku(1), 12, later(61))
        await world.handled([again])
        await world.settled()
        assert await world.mutations() == calls


async def test_a_burst_of_adjustments_goes_out_as_one_push_with_the_last_values(
    inventory: InventoryFactory,
) -> None:
    settings = {"INVENTORY_SYNC_REALTIME_COALESCE_MS": "400"}
    async with inventory(products=10, settings=settings) as world:
        sent = []
        steps = list(range(20))  # one SKU moving fast; the broker delivers out of order
        random.Random(5).shuffle(steps)
        for step in steps:
            sent.append(await world.adjust(sku(1), 100 + step, later(step)))
        for n in range(2, 7):
            sent.append(await world.adjust(sku(n), n, later(1)))
        await world.handled(sent)
        await world.settled()

        assert world.available(sku(1)) == 119
        assert {world.available(sku(n)) for n in range(2, 7)} == {2, 3, 4, 5, 6}
        assert await world.mutations() == 1
        realtime = (await world.facility_status())["realtime"]
        assert realtime["last_lag_ms"] is not None and realtime["last_lag_ms"] >= 400
        assert realtime["skus_waiting"] == 0


async def test_a_daily_only_feed_records_adjustments_without_pushing_them(
    inventory: InventoryFactory,
) -> None:
    async with inventory(products=5, mode="daily") as world:
        adjusted = await world.adjust(sku(1), 7, later(10))
        await world.handled([adjusted])
        await world.settled()
        assert await world.mutations() == 0

        status, _ = await world.request(
            "POST", "/inventory/full-sync", {"shop": world.shop.domain, "facility": "WH1"}
        )
        assert status == 202
        await world.wait_jobs_done("full_sync", 1)
        await world.settled()
        assert world.available(sku(1)) == 7
