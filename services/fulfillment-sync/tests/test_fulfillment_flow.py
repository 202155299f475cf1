"""Shipments in, Shopify fulfillments out, on real infrastructure and the Shopify simulator."""

from contracts import order_correlation_id

from .conftest import DOMAIN, Fulfil, shipment_id_of, synced_data


async def test_a_full_shipment_becomes_one_fulfillment_with_its_tracking(fulfil: Fulfil) -> None:
    # No idle polling to fall back on: the shipment's arrival itself wakes the worker.
    async with fulfil(notify_customer=True, IDLE_POLL_S="60") as world:
        sent = await world.order(("SKU-00001", 2), ("SKU-00002", 1))
        await world.announce(sent)
        shipment = await world.ship(sent, carrier="fedex", numbers=["794612345678"])

        [event] = await world.wait_synced(shipment)
        [made] = world.fulfillments(sent)
        assert [(t.company, t.number, t.url) for t in made.tracking] == [
            ("FedEx", "794612345678", "https://track.example/794612345678")
        ]
        assert made.notify_customer is True
        assert sorted(line.quantity for line in made.line_items) == [1, 2]
        assert world.fo_status(sent) == "CLOSED"

        synced = synced_data(event)
        assert synced.fulfillment_id == f"gid://shopify/Fulfillment/{made.id}"
        assert synced.fulfillment_order_id == sent.fulfillment_order_id
        assert synced.fulfillment_order_complete is True
        assert {(x.line_ref, x.quantity) for x in synced.lines} == {
            (line.line_ref, line.quantity) for line in sent.lines
        }
        assert event.correlation_id == order_correlation_id(DOMAIN, sent.shopify_order_id)
        assert event.causation_id == shipment.id

        status = await world.status()
        assert status["counts"]["synced"] == 1
        assert status["counts"]["pending"] == 0
        assert status["oldest_pending_age_s"] is None


async def test_two_partial_shipments_make_two_fulfillments_the_second_by_sku(
    fulfil: Fulfil,
) -> None:
    async with fulfil() as world:
        sent = await world.order(("SKU-00003", 3), ("SKU-00004", 1))
        line_a, line_b = sent.lines
        await world.announce(sent)

        first = await world.ship(sent, {line_a.line_ref: 1})
        [first_event] = await world.wait_synced(first)
        assert world.fo_status(sent) == "IN_PROGRESS"
        # The second names no line_ref: its lines are found by SKU, the rest of each.
        second = await world.ship(sent, {line_a.line_ref: 2, line_b.line_ref: 1}, by_sku=True)
        [second_event] = await world.wait_synced(second)

        assert [sorted(x.quantity for x in f.line_items) for f in world.fulfillments(sent)] == [
            [1],
            [1, 2],
        ]
        assert world.fo_status(sent) == "CLOSED"
        assert not any(f.notify_customer for f in world.fulfillments(sent))  # the shop's setting
        assert synced_data(first_event).fulfillment_order_complete is False
        assert synced_data(second_event).fulfillment_order_complete is True


async def test_a_shipment_in_several_parcels_keeps_every_tracking_number(fulfil: Fulfil) -> None:
    async with fulfil() as world:
        sent = await world.order(("SKU-00005", 6))
        await world.announce(sent)
        numbers = ["JD014600003828521", "JD014600003828522", "JD014600003828523"]
        shipment = await world.ship(sent, carrier="DHL", numbers=numbers)

        await world.wait_synced(shipment)
        [made] = world.fulfillments(sent)
        assert [(t.company, t.number, t.url) for t in made.tracking] == [
            ("DHL Express", n, f"https://track.example/{n}") for n in numbers
        ]


async def test_the_same_shipment_delivered_five_times_makes_one_fulfillment(
    fulfil: Fulfil,
) -> None:
    async with fulfil() as world:
        sent = await world.order(("SKU-00006", 2))
        await world.announce(sent)
        original = world.shipment(sent, shipment_id="SHP-REPEATED")
        # The broker redelivers the same message; the WMS resends the shipment as new messages.
        resends = [world.shipment(sent, shipment_id="SHP-REPEATED") for _ in range(3)]
        for envelope in [original, original, *resends]:
            await world.publish("wms.events", envelope)

        await world.wait_synced(original)
        await world.settle()
        assert len(world.fulfillments(sent)) == 1
        assert await world.requests("FulfillmentCreate") == 1
        assert len(world.synced()) == 1


async def test_a_shipment_before_its_order_is_known_waits_for_it(fulfil: Fulfil) -> None:
    async with fulfil() as world:
        sent = await world.order(("SKU-00007", 1))
        shipment = await world.ship(sent)
        await world.wait_state(shipment_id_of(shipment), "awaiting_order")
        status = await world.status()
        assert status["counts"]["awaiting_order"] == 1
        assert status["oldest_awaiting_order_age_s"] is not None
        assert await world.requests("FulfillmentCreate") == 0

        await world.announce(sent)
        await world.wait_synced(shipment)
        assert len(world.fulfillments(sent)) == 1


async def test_a_shipment_whose_order_never_comes_fails_and_recovers_if_it_comes_late(
    fulfil: Fulfil,
) -> None:
    async with fulfil(AWAITING_ORDER_MINUTES="0.01") as world:
        sent = await world.order(("SKU-00007", 1))
        shipment = await world.ship(sent)
        row = await world.wait_state(shipment_id_of(shipment), "failed")
        assert row["reason_code"] == "unknown_order"
        assert f"no WMS order {sent.wms_order_ref} known" in row["reason"]
        [failed] = (await world.status())["failed"]
        assert failed["shipment_id"] == shipment_id_of(shipment)

        await world.announce(sent)  # order-intake was only late
        await world.wait_synced(shipment)
        assert len(world.fulfillments(sent)) == 1


async def test_a_shipment_for_a_cancelled_order_fails_with_the_reason_and_no_loop(
    fulfil: Fulfil,
) -> None:
    async with fulfil() as world:
        sent = await world.order(("SKU-00008", 1))
        await world.announce(sent)
        await world.cancel_in_shopify(sent)
        shipment = await world.ship(sent)

        row = await world.wait_state(shipment_id_of(shipment), "failed")
        assert (row["reason_code"], row["reason"]) == (
            "cancelled",
            "the order is cancelled in Shopify",
        )
        await world.settle(1.0)
        # One refused create, one read to learn why; nothing since.
        assert await world.requests("FulfillmentCreate") == 1
        assert await world.requests("FulfillmentOrder") == 1
        assert world.fulfillments(sent) == []
        status = await world.status()
        assert status["failed_by_reason"] == {"cancelled": 1}
        assert world.synced() == []


async def test_what_the_merchant_fulfilled_by_hand_is_not_fulfilled_twice(fulfil: Fulfil) -> None:
    async with fulfil() as world:
        everything = await world.order(("SKU-00009", 2))
        part = await world.order(("SKU-00010", 2))
        await world.announce(everything)
        await world.announce(part)
        await world.fulfil_in_shopify(everything, {everything.lines[0].line_ref: 2})
        await world.fulfil_in_shopify(part, {part.lines[0].line_ref: 1})

        closed = await world.ship(everything)
        too_many = await world.ship(part)
        closed_row = await world.wait_state(shipment_id_of(closed), "failed")
        over_row = await world.wait_state(shipment_id_of(too_many), "failed")
        assert closed_row["reason_code"] == "closed"
        assert (over_row["reason_code"], over_row["reason"]) == (
            "over_fulfilment",
            "shipment has 2 x SKU-00010 but Shopify has 1 left to fulfil on that line",
        )
        assert len(world.fulfillments(everything)) == len(world.fulfillments(part)) == 1


async def test_an_fo_on_hold_waits_and_is_fulfilled_once_released(fulfil: Fulfil) -> None:
    async with fulfil() as world:
        sent = await world.order(("SKU-00001", 1))
        await world.announce(sent)
        hold = await world.hold_in_shopify(sent)
        shipment = await world.ship(sent)

        row = await world.wait_state(shipment_id_of(shipment), "on_hold")
        assert row["reason"] == "on hold in Shopify (address check)"
        assert (await world.status())["counts"]["on_hold"] == 1

        await world.release_in_shopify(sent, hold)
        await world.wait_synced(shipment)
        assert len(world.fulfillments(sent)) == 1


async def test_an_operator_retries_a_held_shipment_without_waiting_for_the_recheck(
    fulfil: Fulfil,
) -> None:
    async with fulfil(HOLD_RECHECK_S="3600") as world:
        sent = await world.order(("SKU-00002", 1))
        await world.announce(sent)
        hold = await world.hold_in_shopify(sent)
        shipment = await world.ship(sent)
        shipment_id = shipment_id_of(shipment)
        await world.wait_state(shipment_id, "on_hold")
        await world.release_in_shopify(sent, hold)

        assert (await world.post(f"/shipments/{shipment_id}/retry", token=None))[0] == 401
        assert (await world.post("/shipments/SHP-NOPE/retry"))[0] == 404
        assert await world.post(f"/shipments/{shipment_id}/retry", {"shop": DOMAIN}) == (
            200,
            {"shop": DOMAIN, "shipment_id": shipment_id, "state": "pending"},
        )
        await world.wait_synced(shipment)
        status, body = await world.post(f"/shipments/{shipment_id}/retry")
        assert status == 409
        assert body["error"].startswith(
            f"shipment {shipment_id} is synced as gid://shopify/Fulfillment/"
        )
        assert len(world.fulfillments(sent)) == 1
