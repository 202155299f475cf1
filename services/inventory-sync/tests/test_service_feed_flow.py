"""A facility connected as a fulfillment service, end to end on the Shopify simulator, Postgres
and RabbitMQ: WH2's feed has no location in the shops file; nothing is pushed until order-intake
reports the location Shopify created for its service, and then the warehouse's truth recorded
meanwhile is pushed there, right the first time. ("Pop-up" stands in for the service's
location: the feed pushes wherever the registration says.)"""

from datetime import timedelta

from inventory_sync.feeds import NOT_MANAGING_INVENTORY, WAITING_FOR_REGISTRATION
from testkit.probe import eventually

from .conftest import FED, OTHER, SERVICE_FACILITY, SERVICE_ID, STOCK, T0, InventoryFactory, sku


async def test_a_service_feed_waits_for_its_registration_then_pushes_what_it_recorded(
    inventory: InventoryFactory,
) -> None:
    async with inventory(service_facility=True) as world:
        # Before the registration: the warehouse reports WH2's stock, in a snapshot and after.
        await world.snapshot({sku(1): 7, sku(2): 9}, facility=SERVICE_FACILITY)
        await world.adjust(sku(3), 4, T0 + timedelta(minutes=5), facility=SERVICE_FACILITY)
        [job] = await world.wait_jobs_done("snapshot", 1)
        await world.handled(world.published)
        assert (job["state"], job["note"]) == (
            "done",
            f"merged, not pushed: {WAITING_FOR_REGISTRATION}",
        )

        wh2 = await world.facility_status(SERVICE_FACILITY)
        assert (wh2["connected_as"], wh2["pushing"], wh2["location_id"]) == (
            "fulfillment_service",
            False,
            None,
        )
        assert (wh2["waiting"], wh2["fulfillment_service"], wh2["catalog"]) == (
            WAITING_FOR_REGISTRATION,
            None,
            None,
        )
        assert wh2["last_snapshot"]["state"] == "applied"
        assert wh2["realtime"]["skus_waiting"] == 1
        wh1 = await world.facility_status()
        assert (wh1["connected_as"], wh1["pushing"]) == ("location", True)
        assert await world.mutations() == 0
        assert [world.available(sku(n), OTHER) for n in (1, 2, 3)] == [STOCK] * 3
        code, body = await world.request(
            "POST", "/inventory/full-sync", {"shop": world.shop.domain, "facility": "WH2"}
        )
        assert code == 409 and WAITING_FOR_REGISTRATION in body["error"]

        # order-intake registers the service: its location is "Pop-up".
        await world.register_service(OTHER)
        [sync] = await world.wait_jobs_done("full_sync", 1)
        assert (sync["state"], sync["requested_by"]) == ("done", "registration")
        await world.settled()
        assert [world.available(sku(n), OTHER) for n in (1, 2, 3)] == [7, 9, 4]
        assert world.available(sku(4), OTHER) == STOCK  # not reported: left alone
        assert world.available(sku(1), FED) == STOCK  # WH1's location is not WH2's
        wh2 = await world.facility_status(SERVICE_FACILITY)
        assert (wh2["pushing"], wh2["waiting"], wh2["location_id"]) == (
            True,
            None,
            world.location_gid(OTHER),
        )
        assert wh2["fulfillment_service"]["id"] == SERVICE_ID
        assert wh2["fulfillment_service"]["inventory_management"] is True

        # From now on it is fed like any other: realtime adjustments go to the service location.
        await world.adjust(sku(1), 2, T0 + timedelta(minutes=10), facility=SERVICE_FACILITY)
        await eventually(lambda: world.available(sku(1), OTHER) == 2)
        # order-intake checks again: the same registration, no second full sync.
        await world.register_service(OTHER)
        await world.settled()
        assert len(await world.jobs("full_sync")) == 1


async def test_a_service_that_does_not_manage_inventory_is_not_pushed_to(
    inventory: InventoryFactory,
) -> None:
    async with inventory(service_facility=True) as world:
        await world.register_service(OTHER, manages_inventory=False)
        await world.snapshot({sku(1): 3}, facility=SERVICE_FACILITY)
        await world.wait_jobs_done("snapshot", 1)
        await world.handled(world.published)

        wh2 = await world.facility_status(SERVICE_FACILITY)
        assert (wh2["pushing"], wh2["waiting"]) == (False, NOT_MANAGING_INVENTORY)
        assert wh2["fulfillment_service"]["inventory_management"] is False
        assert await world.jobs("full_sync") == []
        assert world.available(sku(1), OTHER) == STOCK
        assert await world.mutations() == 0

        # Inventory management turned on in Shopify (order-intake reports it): it syncs now.
        await world.register_service(OTHER)
        await world.wait_jobs_done("full_sync", 1)
        await world.settled()
        assert world.available(sku(1), OTHER) == 3
