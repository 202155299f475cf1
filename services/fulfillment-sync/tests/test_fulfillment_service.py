"""A facility connected as a fulfillment service: Shopify takes a fulfillment only once the
service accepted the fulfillment request, and a shipment can overtake order-intake's accept.
Such a shipment waits (looked at again with a growing, capped delay, shown on /status), is never
failed or dropped, and becomes exactly one fulfillment once the request is accepted."""

from testkit.probe import eventually

from .conftest import Fulfil, World, shipment_id_of, synced_data

QUICK_RECHECKS = {"ACCEPTANCE_RECHECK_BASE_S": "0.05", "ACCEPTANCE_RECHECK_MAX_S": "0.2"}


async def test_a_shipment_before_the_accept_waits_then_becomes_one_fulfillment(
    fulfil: Fulfil,
) -> None:
    async with fulfil(service="WH2", **QUICK_RECHECKS) as world:
        # One shop, both modes: WH1 a merchant-managed location, WH2 a fulfillment service.
        at_location = await world.order(("SKU-00001", 1))
        at_service = await world.order(("SKU-00005", 2), at="Shipbridge WH2", facility="WH2")
        assert world.request_status(at_service) == "SUBMITTED"  # asked, not accepted yet
        await world.announce(at_location)
        await world.announce(at_service)

        early = await world.ship(at_service)
        row = await world.wait_state(shipment_id_of(early), "awaiting_acceptance")
        assert "not accepted yet" in row["reason"]
        assert row["verify_first"] is False  # nothing of ours was created: no read-back needed
        # It keeps looking (growing delays, capped), and is never failed or dropped.
        await eventually(lambda: _at_least(world, "FulfillmentCreate", 3))
        assert world.fulfillments(at_service) == []
        status = await world.status()
        assert status["counts"]["awaiting_acceptance"] == 1
        assert status["counts"]["failed"] == 0
        assert status["oldest_awaiting_acceptance_age_s"] is not None
        [waiting] = status["waiting"]
        assert (waiting["shipment_id"], waiting["state"]) == (
            shipment_id_of(early),
            "awaiting_acceptance",
        )
        # The location's shipment is not held up by it.
        [located] = await world.wait_synced(await world.ship(at_location))
        assert synced_data(located).fulfillment_order_complete is True

        await world.accept_request(at_service)
        [event] = await world.wait_synced(early)
        await world.settle()
        [made] = world.fulfillments(at_service)
        assert synced_data(event).fulfillment_id == f"gid://shopify/Fulfillment/{made.id}"
        assert [t.number for t in made.tracking] == [f"1Z{shipment_id_of(early)[-8:].upper()}"]
        assert len(world.synced_for(shipment_id_of(early))) == 1
        status = await world.status()
        assert (status["counts"]["awaiting_acceptance"], status["counts"]["synced"]) == (0, 2)
        assert status["waiting"] == []


async def _at_least(world: World, operation: str, count: int) -> bool:
    return await world.requests(operation) >= count
