"""The simulator as the project meets it: commands on wms.commands, answers on wms.events."""

import asyncio
from pathlib import Path

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage

from contracts import (
    WMS_EVENTS,
    Envelope,
    WmsInventoryAdjusted,
    WmsInventorySnapshot,
    WmsItemRejected,
    WmsOrderAccepted,
    WmsOrderCancelled,
    WmsOrderCancelResult,
    WmsOrderCreate,
    WmsOrderReduce,
    WmsOrderReduceResult,
    WmsOrderRejected,
    WmsShipmentConfirmed,
)
from messaging.topology import EXCHANGES, declare_exchanges, unrouted_name
from testkit.probe import eventually
from wms_sim import GeneratedCatalog, LearnedCatalog, OrderStatus, WmsSimulator
from wms_sim.testing import (
    SHOP,
    Project,
    StartSimulator,
    command_about,
    item_upsert,
    order_create,
    order_reduce,
    quiet_config,
)

STOCK = {"WH1": {"MUG": 10, "CAP": 5}}


async def test_an_order_is_accepted_then_shipped_in_spec_shaped_messages(
    project: Project, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(quiet_config(catalog=STOCK))
    create = order_create("#1001", [("MUG", 2), ("CAP", 1)])
    await project.send(create)
    [shipment] = await project.wait_for("wms.shipment.confirmed")
    [accepted] = project.events("wms.order.accepted")
    assert accepted.data_as(WmsOrderAccepted).wms_order_ref == "#1001"
    shipped = shipment.data_as(WmsShipmentConfirmed)
    assert shipped.lines[0].line_ref == create.data_as(WmsOrderCreate).lines[0].line_ref
    assert sum(line.quantity for line in shipped.lines) == 3
    assert sim.order("#1001").status is OrderStatus.SHIPPED
    assert sim.shipments == [shipped]
    events = project.events()
    # accepted, allocation adjustments, shipment, shipping adjustments: in the order decided
    assert [e.type for e in events][0::3] == ["wms.order.accepted", "wms.shipment.confirmed"]
    # The same events as AMQP messages, for the properties the warehouse publishes them with.
    received = project.tap.tapped[: len(events)]
    for message, envelope in zip(received, events, strict=True):
        assert message.exchange == WMS_EVENTS
        assert message.routing_key == message.amqp_type == envelope.type
        assert message.delivery_mode == 2
        assert message.content_type == "application/json"
        assert message.amqp_message_id == str(envelope.id)
        assert (
            message.amqp_correlation_id
            == str(envelope.correlation_id)
            == str(create.correlation_id)
        )


async def test_a_split_order_arrives_as_two_shipments(
    project: Project, start_simulator: StartSimulator
) -> None:
    await start_simulator(quiet_config(catalog=STOCK, split_probability=1.0))
    await project.send(order_create("#1001", [("MUG", 4)]))
    shipments = await project.wait_for("wms.shipment.confirmed", count=2)
    quantities = [s.data_as(WmsShipmentConfirmed).lines[0].quantity for s in shipments]
    assert sum(quantities) == 4 and all(q > 0 for q in quantities)
    first, second = (s.data_as(WmsShipmentConfirmed) for s in shipments)
    assert first.shipment_id != second.shipment_id


async def test_unknown_sku_is_rejected(project: Project, start_simulator: StartSimulator) -> None:
    await start_simulator(quiet_config(catalog=STOCK))
    await project.send(order_create("#1001", [("MUG", 1), ("GHOST-1", 1)]))
    [rejected] = await project.wait_for("wms.order.rejected")
    assert rejected.data_as(WmsOrderRejected).reason == "unknown SKU at WH1: GHOST-1"
    await project.settle()
    assert project.events("wms.shipment.confirmed") == []


async def test_learning_the_catalog_from_items_then_shipping_its_orders(
    project: Project, start_simulator: StartSimulator, tmp_path: Path
) -> None:
    # The demo's mode: no catalog but what the project sends, kept across a restart.
    config = quiet_config(
        catalog=LearnedCatalog(min_quantity=3, max_quantity=3), state_file=tmp_path / "wms.json"
    )
    sim = await start_simulator(config)
    await project.send(item_upsert("MUG", barcode="0123456789012"))
    await project.send(item_upsert("MUG-2", barcode="0123456789012"))
    [rejected] = await project.wait_for("wms.item.rejected")
    assert rejected.data_as(WmsItemRejected).reason == (
        "barcode 0123456789012 is already held for SKU MUG"
    )
    assert list(sim.items()) == ["MUG"]
    await sim.stop()

    again = await start_simulator(config)
    assert list(again.items()) == ["MUG"]
    await project.send(order_create("#1001", [("MUG", 2)]))
    await project.wait_for("wms.shipment.confirmed")
    await project.send(order_create("#1002", [("MUG-2", 1)]))
    [refused] = await project.wait_for("wms.order.rejected")
    assert refused.data_as(WmsOrderRejected).reason == "unknown SKU at WH1: MUG-2"
    assert again.stock("MUG").on_hand == 1


async def test_a_duplicate_command_has_one_effect(
    project: Project, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(quiet_config(catalog=STOCK, ship_delay_s=None))
    create = order_create("#1001", [("MUG", 3)])
    await project.send(create)
    await project.send(create)
    await project.send(order_create("#1002", [("CAP", 1)]))  # handled after the duplicate
    accepted = await project.wait_for("wms.order.accepted", count=2)
    await project.settle()
    accepted_refs = [
        a.wms_order_ref for a in project.tap.payloads("wms.order.accepted", WmsOrderAccepted)
    ]
    assert accepted_refs == ["#1001", "#1002"]
    assert accepted[0].causation_id == create.id
    assert sim.stock("MUG").available == 7


async def test_a_held_order_ships_only_after_release(
    project: Project, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(quiet_config(catalog=STOCK))
    create = order_create("#1001", [("MUG", 1)], on_hold=True)
    await project.send(create)
    await project.wait_for("wms.order.accepted")
    await project.settle()
    assert project.events("wms.shipment.confirmed") == []
    assert sim.order("#1001").held
    await project.send(command_about(create, "wms.order.release"))
    [shipment] = await project.wait_for("wms.shipment.confirmed")
    assert shipment.correlation_id == create.correlation_id


def cancel_command(create: Envelope) -> Envelope:
    return command_about(
        create, "wms.order.cancel", reason="customer", requested_at="2026-11-22T11:00:00Z"
    )


async def test_cancel_before_shipping_is_cancelled(
    project: Project, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(quiet_config(catalog=STOCK, ship_delay_s=None))
    create = order_create("#1001", [("MUG", 1)])
    await project.send(create)
    await project.wait_for("wms.order.accepted")
    cancel = cancel_command(create)
    await project.send(cancel)
    [result] = await project.wait_for("wms.order.cancel_result")
    answer = result.data_as(WmsOrderCancelResult)
    assert (answer.outcome, answer.reason) == ("cancelled", None)
    assert (result.causation_id, result.correlation_id) == (cancel.id, create.correlation_id)
    with pytest.raises(ValueError, match="cancelled"):
        await sim.ship_now("#1001")


async def test_cancel_after_shipping_is_refused(
    project: Project, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(quiet_config(catalog=STOCK, ship_delay_s=None))
    create = order_create("#1001", [("MUG", 1)])
    await project.send(create)
    await project.wait_for("wms.order.accepted")
    [shipment, *_] = await sim.ship_now("#1001")
    await project.send(cancel_command(create))
    [result] = await project.wait_for("wms.order.cancel_result")
    answer = result.data_as(WmsOrderCancelResult)
    assert answer.outcome == "refused"
    assert (
        answer.reason == f"already shipped ({shipment.data_as(WmsShipmentConfirmed).shipment_id})"
    )


async def test_the_warehouse_cancels_on_its_own(
    project: Project, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(quiet_config(catalog=STOCK, ship_delay_s=None))
    create = order_create("#1001", [("MUG", 2)])
    await project.send(create)
    await project.wait_for("wms.order.accepted")
    await sim.cancel_now("#1001")
    [cancelled] = await project.wait_for("wms.order.cancelled")
    told = cancelled.data_as(WmsOrderCancelled)
    assert (told.reason, told.restock) == ("out_of_stock", True)
    assert cancelled.correlation_id == create.correlation_id
    assert sim.stock("MUG").available == 10


async def test_snapshot_parts_add_up_to_the_catalog(
    project: Project, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(
        quiet_config(catalog=GeneratedCatalog(products=25), snapshot_items_per_part=10)
    )
    await sim.publish_snapshot()
    envelopes = await project.wait_for("wms.inventory.snapshot", count=3)
    parts = [(e.data_as(WmsInventorySnapshot), e.shop) for e in envelopes]
    assert sorted(p.part for p, _ in parts) == [1, 2, 3]
    assert {(p.parts, p.snapshot_id, p.facility, shop) for p, shop in parts} == {
        (3, parts[0][0].snapshot_id, "WH1", SHOP)
    }
    items = {item.sku: item.on_hand for p, _ in parts for item in p.items}
    assert len(items) == 25
    assert items == {sku: sim.stock(sku).on_hand for sku in items}


async def test_snapshots_and_recounts_run_on_a_schedule(
    project: Project, start_simulator: StartSimulator
) -> None:
    await start_simulator(
        quiet_config(catalog=STOCK, snapshot_interval_s=0.1, random_adjustment_interval_s=0.1)
    )
    await project.wait_for("wms.inventory.snapshot", count=2)
    await project.wait_for("wms.inventory.adjusted", count=2)


async def test_adjusting_a_sku_publishes_absolute_levels(
    project: Project, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(quiet_config(catalog=STOCK))
    await sim.adjust("CAP", available=2, on_hand=3)
    [adjusted] = await project.wait_for("wms.inventory.adjusted")
    levels = adjusted.data_as(WmsInventoryAdjusted)
    assert (levels.sku, levels.available, levels.on_hand) == ("CAP", 2, 3)


async def test_an_unreadable_command_is_refused_and_the_next_one_served(
    project: Project, start_simulator: StartSimulator, isolated_vhost: str
) -> None:
    sim = await start_simulator(quiet_config(catalog=STOCK))
    connection = await aio_pika.connect(isolated_vhost)
    channel = await connection.channel()
    exchange = await channel.get_exchange("wms.commands")
    await exchange.publish(aio_pika.Message(b'{"type": "wms.order.create"}'), "wms.order.create")
    await connection.close()
    await project.send(order_create("#1001", [("MUG", 1)]))
    await project.wait_for("wms.order.accepted")
    assert len(sim.refused_commands) == 1 and "invalid" in sim.refused_commands[0]


async def test_state_survives_a_restart(
    project: Project, isolated_vhost: str, tmp_path: Path
) -> None:
    config = quiet_config(catalog=STOCK, ship_delay_s=None, state_file=tmp_path / "wms.json")
    create = order_create("#1001", [("MUG", 3)])
    first = WmsSimulator(config)
    await first.start(isolated_vhost)
    await project.send(create)
    await project.wait_for("wms.order.accepted")
    await first.stop()

    second = WmsSimulator(config)
    await second.start(isolated_vhost)
    try:
        assert second.order("#1001").status is OrderStatus.ACCEPTED
        await project.send(create)  # redelivered after the restart: still one effect
        await second.ship_now("#1001")
        await project.wait_for("wms.shipment.confirmed")
        await asyncio.sleep(0.2)
        assert len(project.events("wms.order.accepted")) == 1
        assert second.stock("MUG").model_dump() == {"available": 7, "on_hand": 7}
    finally:
        await second.stop()


async def test_while_stopped_the_warehouse_works_offline_and_reports_on_start(
    project: Project, isolated_vhost: str
) -> None:
    # A shipment made while the link is down, and a cancel that waited in the queue meanwhile:
    # the cancel is refused (the order has shipped), and both are told once the link is back.
    sim = WmsSimulator(quiet_config(catalog=STOCK, ship_delay_s=None))
    await sim.start(isolated_vhost)
    create = order_create("#1001", [("MUG", 2)])
    await project.send(create)
    await project.wait_for("wms.order.accepted")
    await sim.stop()
    cancel = command_about(
        create, "wms.order.cancel", reason="customer", requested_at="2026-11-22T10:00:00Z"
    )
    await project.send(cancel)
    await sim.ship_now("#1001")
    assert project.events("wms.shipment.confirmed") == [] and sim.unconfirmed > 0

    await sim.start(isolated_vhost)
    try:
        [result] = await project.wait_for("wms.order.cancel_result")
        await project.wait_for("wms.shipment.confirmed")
        assert result.data_as(WmsOrderCancelResult).outcome == "refused"
        assert sim.order("#1001").status is OrderStatus.SHIPPED and sim.unconfirmed == 0
    finally:
        await sim.stop()


async def test_a_command_stays_unacked_until_its_answer_is_confirmed(
    project: Project, start_simulator: StartSimulator, isolated_vhost: str
) -> None:
    sim = await start_simulator(quiet_config(catalog=STOCK, ship_delay_s=None))
    connection = await aio_pika.connect(isolated_vhost)
    channel = await connection.channel()
    await channel.exchange_delete(WMS_EVENTS)  # answers cannot be confirmed any more
    create = order_create("#1001", [("MUG", 3)])
    await project.send(create)
    await eventually(lambda: "example.myshopify.com/#1001" in sim.orders)
    await project.settle(0.5)
    assert project.events() == [] and sim.unconfirmed == 2  # accepted, MUG allocated

    # The project's exchanges come back; the command, redelivered, is answered once. With no
    # queue bound yet, everything lands in the alternate exchange's queue, from the first event.
    await declare_exchanges(channel, EXCHANGES)
    capture = await channel.get_queue(unrouted_name(WMS_EVENTS))
    received: list[bytes] = []

    async def keep(message: AbstractIncomingMessage) -> None:
        received.append(message.body)
        await message.ack()

    await capture.consume(keep)
    await eventually(lambda: any(b"wms.order.accepted" in body for body in received))
    await project.settle()
    assert sum(b"wms.order.accepted" in body for body in received) == 1
    assert sim.stock("MUG").available == 7 and sim.unconfirmed == 0
    await connection.close()


async def test_a_reduce_before_picking_is_answered_reduced_and_the_rest_ships(
    project: Project, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(quiet_config(catalog=STOCK, ship_delay_s=None))
    create = order_create("#1001", [("MUG", 3), ("CAP", 1)])
    await project.send(create)
    await project.wait_for("wms.order.accepted")
    reduce = order_reduce(create, [(0, 2)])
    await project.send(reduce)
    [result] = await project.wait_for("wms.order.reduce_result")
    answer = result.data_as(WmsOrderReduceResult)
    assert (answer.outcome, answer.reason) == ("reduced", None)
    assert answer.lines == reduce.data_as(WmsOrderReduce).lines
    assert (result.causation_id, result.correlation_id) == (reduce.id, create.correlation_id)
    assert sim.stock("MUG").available == 9
    await sim.ship_now("#1001")
    [shipment] = await project.wait_for("wms.shipment.confirmed")
    shipped = shipment.data_as(WmsShipmentConfirmed).lines
    assert [(line.sku, line.quantity) for line in shipped] == [("MUG", 1), ("CAP", 1)]


async def test_a_reduce_once_picking_started_is_refused_and_a_repeat_is_answered_once(
    project: Project, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(quiet_config(catalog=STOCK, ship_delay_s=None))
    create = order_create("#1001", [("MUG", 2)])
    await project.send(create)
    await project.wait_for("wms.order.accepted")
    await sim.start_picking("#1001")
    reduce = order_reduce(create, [(0, 1)])
    await project.send(reduce)
    await project.send(reduce)  # the same envelope delivered again
    [result] = await project.wait_for("wms.order.reduce_result")
    await project.settle()
    assert len(project.events("wms.order.reduce_result")) == 1
    answer = result.data_as(WmsOrderReduceResult)
    assert answer.outcome == "refused"
    assert answer.reason is not None and answer.reason.startswith("picking started at ")
    assert sim.order("#1001").lines[0].open_units == 2 and sim.stock("MUG").available == 8


async def test_a_reduce_of_an_order_the_warehouse_does_not_have_is_refused(
    project: Project, start_simulator: StartSimulator
) -> None:
    await start_simulator(quiet_config(catalog=STOCK))
    await project.send(order_reduce(order_create("#404", [("MUG", 1)]), [(0, 1)]))
    [result] = await project.wait_for("wms.order.reduce_result")
    answer = result.data_as(WmsOrderReduceResult)
    assert (answer.outcome, answer.reason) == ("refused", "unknown order #404")


async def test_a_warehouse_ignoring_changes_stays_silent_and_still_serves_the_rest(
    project: Project, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(
        quiet_config(catalog=STOCK, ship_delay_s=None, answer_changes=False)
    )
    create = order_create("#1001", [("MUG", 2)])
    await project.send(create)
    await project.wait_for("wms.order.accepted")
    await project.send(order_reduce(create, [(0, 1)]))
    await project.send(cancel_command(create))
    # Sent after both: once it is accepted, the reduce and the cancel were handled too.
    await project.send(order_create("#1002", [("MUG", 1)]))
    await eventually(lambda: len(project.events("wms.order.accepted")) == 2)
    assert project.events("wms.order.reduce_result") == []
    assert project.events("wms.order.cancel_result") == []
    assert sim.order("#1001").lines[0].reduced == 0


async def test_picking_started_survives_a_restart(
    project: Project, isolated_vhost: str, tmp_path: Path
) -> None:
    config = quiet_config(catalog=STOCK, ship_delay_s=None, state_file=tmp_path / "wms.json")
    create = order_create("#1001", [("MUG", 1)])
    first = WmsSimulator(config)
    await first.start(isolated_vhost)
    try:
        await project.send(create)
        await project.wait_for("wms.order.accepted")
        await first.start_picking("#1001")  # tells nothing, yet must be kept
    finally:
        await first.stop()

    second = WmsSimulator(config)
    await second.start(isolated_vhost)
    try:
        assert second.order("#1001").picking_since is not None
        await project.send(order_reduce(create, [(0, 1)]))
        [result] = await project.wait_for("wms.order.reduce_result")
        assert result.data_as(WmsOrderReduceResult).outcome == "refused"
    finally:
        await second.stop()
