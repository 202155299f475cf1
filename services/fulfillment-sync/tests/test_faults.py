"""Exactly once under faults: a crash after Shopify answered, lost answers, THROTTLED storms and
5xx, two instances racing. Nothing lost, nothing fulfilled twice."""

import asyncio
import signal
import uuid

from testkit.probe import eventually

from .conftest import Fulfil, service_process, shipment_id_of, synced_data


async def test_a_crash_between_shopifys_answer_and_the_commit_leaves_one_fulfillment(
    fulfil: Fulfil,
) -> None:
    async with fulfil(start_service=False, LEASE_S="1") as world:
        sent = await world.order(("SKU-00001", 2), ("SKU-00002", 1))
        # Shopify makes the fulfillment, then its answer takes 5 s: the process dies meanwhile.
        await world.faults(answer_delay_seconds=5)
        async with service_process(world) as process:
            await world.announce(sent)
            shipment = await world.ship(sent)
            shipment_id = shipment_id_of(shipment)
            await eventually(lambda: len(world.fulfillments(sent)) == 1, timeout_s=15)
            process.send_signal(signal.SIGKILL)
            await process.wait()
        row = await world.row(shipment_id)
        assert row is not None and row["state"] == "creating"  # the intent, and nothing after it
        await world.no_faults()

        async with world.service() as runtime:  # the restart
            world.runtime = runtime
            [event] = await world.wait_synced(shipment)
            await world.settle()
            assert len(world.fulfillments(sent)) == 1
            assert await world.requests("FulfillmentCreate") == 1
            [made] = world.fulfillments(sent)
            assert synced_data(event).fulfillment_id == f"gid://shopify/Fulfillment/{made.id}"
            assert (await world.status())["worker"]["found_existing"] == 1
            assert len(world.synced()) == 1


async def test_a_lost_answer_is_read_back_instead_of_created_again(fulfil: Fulfil) -> None:
    async with fulfil() as world:
        sent = await world.order(("SKU-00003", 1))
        await world.announce(sent)
        # Every answer is lost on its way back, though Shopify did the work.
        await world.faults(lost_answer_fraction=1.0)
        shipment = await world.ship(sent)
        await eventually(lambda: len(world.fulfillments(sent)) == 1)
        row = await world.wait_state(shipment_id_of(shipment), "pending")
        assert row["verify_first"] is True
        await world.no_faults()

        await world.wait_synced(shipment)
        await world.settle()
        assert len(world.fulfillments(sent)) == 1
        assert await world.requests("FulfillmentCreate") == 1
        assert (await world.status())["worker"]["found_existing"] == 1


async def test_through_a_throttled_storm_and_5xx_every_shipment_lands_once(fulfil: Fulfil) -> None:
    async with fulfil() as world:
        orders = [await world.order((f"SKU-0000{1 + i % 9}", 2)) for i in range(16)]
        for sent in orders:
            await world.announce(sent)
        # Answered THROTTLED for 2 s, then a third of the calls fail with 503 (before running)
        # and a fifth run but lose their answer (504 after the fact).
        await world.faults(throttle_seconds=2, server_error_fraction=0.3, lost_answer_fraction=0.2)
        shipments = []
        for sent in orders:
            line = sent.lines[0]
            # two partial shipments per order, the second by SKU
            shipments.append(await world.ship(sent, {line.line_ref: 1}))
            shipments.append(await world.ship(sent, {line.line_ref: 1}, by_sku=True))

        await world.wait_synced(*shipments, timeout_s=60)
        await world.no_faults()
        await world.settle(1.0)
        for sent in orders:
            assert [sum(x.quantity for x in f.line_items) for f in world.fulfillments(sent)] == [
                1,
                1,
            ]
            assert world.fo_status(sent) == "CLOSED"
        assert len(world.synced()) == len(shipments)
        stats = await world.sim.stats("fulfil-test.myshopify.com")
        assert stats["injected_faults"]["throttled"] > 0
        assert stats["injected_faults"]["server_error"] > 0
        assert stats["injected_faults"]["lost_answer"] > 0
        status = await world.status()
        assert status["counts"]["synced"] == len(shipments)
        assert status["worker"]["retries"] > 0


async def test_two_instances_competing_for_the_same_shipments_fulfil_each_once(
    fulfil: Fulfil,
) -> None:
    async with fulfil() as world:
        orders = [await world.order(("SKU-00004", 1), ("SKU-00005", 1)) for _ in range(12)]
        async with world.service():  # a second instance: same database, same queues
            for sent in orders:
                await world.announce(sent)
            shipments = []
            for sent in orders:
                first, second = sent.lines
                shipments.append(world.shipment(sent, {first.line_ref: 1}))
                shipments.append(world.shipment(sent, {second.line_ref: 1}))
            # Each shipment three times: redelivered as is, and resent by the WMS as a new message;
            # the copies land on either instance.
            resent = [s.model_copy(update={"id": uuid.uuid4()}) for s in shipments]
            copies = [*shipments, *reversed(shipments), *resent]
            await asyncio.gather(*(world.publish("wms.events", s) for s in copies))
            await world.wait_synced(*shipments, timeout_s=30)
            await world.settle()
        for sent in orders:
            assert len(world.fulfillments(sent)) == 2
        assert await world.requests("FulfillmentCreate") == len(shipments)
        assert len(world.synced()) == len(shipments)
