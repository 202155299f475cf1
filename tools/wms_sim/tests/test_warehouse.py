"""The warehouse state machine on its own: commands and moments in, events out."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts import (
    Envelope,
    WmsInventoryAdjusted,
    WmsInventorySnapshot,
    WmsOrderCancelled,
    WmsOrderCancelResult,
    WmsOrderCreate,
    WmsOrderRejected,
    WmsShipmentConfirmed,
    parse_envelope,
)
from wms_sim.config import Facility
from wms_sim.state import OrderStatus
from wms_sim.testing import SHOP, command_about, order_create, state_machine
from wms_sim.warehouse import Warehouse

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
WH1 = Facility(SHOP, "WH1")
STOCK = {"WH1": {"MUG": 10, "CAP": 5, "SCARF": 0}}


def warehouse(**overrides: object) -> Warehouse:
    return state_machine(STOCK, **overrides)


def types(events: list[Envelope]) -> list[str]:
    return [event.type for event in events]


def shipment_of(event: Envelope) -> WmsShipmentConfirmed:
    return event.data_as(WmsShipmentConfirmed)


def test_accepting_allocates_stock_and_reports_it_in_the_order_conversation() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 2), ("CAP", 1)])
    events = wh.handle(create, T0)
    assert types(events) == ["wms.order.accepted", *["wms.inventory.adjusted"] * 2]
    assert all(e.correlation_id == create.correlation_id for e in events)
    assert all(e.causation_id == create.id for e in events)
    adjusted = [e.data_as(WmsInventoryAdjusted) for e in events[1:]]
    levels = {a.sku: (a.available, a.on_hand) for a in adjusted}
    assert levels == {"MUG": (8, 10), "CAP": (4, 5)}
    assert wh.order(SHOP, "#1001").status is OrderStatus.ACCEPTED


def test_unknown_sku_and_unknown_facility_are_rejected_with_the_reason() -> None:
    wh = warehouse()
    [rejected] = wh.handle(order_create("#1", [("MUG", 1), ("NOPE-2", 1), ("NOPE-1", 1)]), T0)
    assert rejected.type == "wms.order.rejected"
    assert rejected.data_as(WmsOrderRejected).reason == "unknown SKU at WH1: NOPE-1, NOPE-2"
    [elsewhere] = wh.handle(order_create("#2", [("MUG", 1)], facility="WH9"), T0)
    reason = elsewhere.data_as(WmsOrderRejected).reason
    assert reason == f"unknown facility 'WH9' for shop {SHOP}"
    assert wh.state.stock[str(WH1)]["MUG"].available == 10  # nothing allocated


def test_the_same_command_twice_has_one_effect_and_one_answer() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 3)])
    assert types(wh.handle(create, T0))[0] == "wms.order.accepted"
    assert wh.handle(create, T0) == []
    assert wh.state.stock[str(WH1)]["MUG"].available == 7


def test_an_order_sent_again_under_a_new_id_is_acknowledged_without_a_second_allocation() -> None:
    wh = warehouse()
    wh.handle(order_create("#1001", [("MUG", 3)]), T0)
    assert types(wh.handle(order_create("#1001", [("MUG", 3)]), T0)) == ["wms.order.accepted"]
    assert wh.state.stock[str(WH1)]["MUG"].available == 7


def test_ships_when_due_with_tracking_and_line_refs_then_reduces_on_hand() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 2), ("CAP", 1)], country_code="CA")
    wh.handle(create, T0)
    assert wh.due_work(T0 + timedelta(seconds=59)) == []
    events = wh.due_work(T0 + timedelta(seconds=60))
    assert types(events) == ["wms.shipment.confirmed", *["wms.inventory.adjusted"] * 2]
    shipment = events[0].data_as(WmsShipmentConfirmed)
    assert shipment.carrier in {"Canada Post", "UPS", "FedEx"}
    assert len(shipment.tracking_urls) == len(shipment.tracking_numbers) >= 1
    sent_lines = create.data_as(WmsOrderCreate).lines
    assert [(line.line_ref, line.sku, line.quantity) for line in shipment.lines] == [
        (line.line_ref, line.sku, line.quantity) for line in sent_lines
    ]
    assert events[0].correlation_id == create.correlation_id
    assert events[0].causation_id == create.id
    assert wh.state.stock[str(WH1)]["MUG"].model_dump() == {"available": 8, "on_hand": 8}
    assert wh.order(SHOP, "#1001").status is OrderStatus.SHIPPED
    assert wh.due_work(T0 + timedelta(hours=1)) == []


def test_a_split_order_leaves_in_two_shipments_that_add_up_to_the_order() -> None:
    wh = warehouse(split_probability=1.0)
    wh.handle(order_create("#1001", [("MUG", 3), ("CAP", 2)]), T0)
    first = wh.due_work(T0 + timedelta(seconds=60))
    assert wh.order(SHOP, "#1001").status is OrderStatus.PARTIALLY_SHIPPED
    second = wh.due_work(T0 + timedelta(seconds=120))
    assert wh.order(SHOP, "#1001").status is OrderStatus.SHIPPED
    shipments = [shipment_of(e) for e in first + second if e.type == "wms.shipment.confirmed"]
    assert len(shipments) == 2
    assert shipments[0].shipment_id != shipments[1].shipment_id
    shipped: dict[str, int] = {}
    for shipment in shipments:
        for line in shipment.lines:
            shipped[line.sku] = shipped.get(line.sku, 0) + line.quantity
    assert shipped == {"MUG": 3, "CAP": 2}


def test_a_held_order_waits_for_its_release() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 1)])
    wh.handle(create, T0)
    wh.handle(command_about(create, "wms.order.hold", reason="address check"), T0)
    assert wh.due_work(T0 + timedelta(hours=1)) == []
    with pytest.raises(ValueError, match="on hold"):
        wh.ship_now(SHOP, "#1001", T0)
    wh.handle(command_about(create, "wms.order.release"), T0)
    assert types(wh.due_work(T0 + timedelta(hours=1)))[0] == "wms.shipment.confirmed"


def test_update_records_the_ship_by_date() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 1)])
    wh.handle(create, T0)
    wh.handle(command_about(create, "wms.order.update", ship_by="2026-11-25T17:00:00Z"), T0)
    assert wh.order(SHOP, "#1001").ship_by == datetime(2026, 11, 25, 17, tzinfo=UTC)


def cancel(create: Envelope) -> Envelope:
    return command_about(
        create, "wms.order.cancel", reason="customer", requested_at="2026-11-22T11:00:00Z"
    )


def test_cancel_before_shipping_cancels_and_gives_the_allocation_back() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 4)])
    wh.handle(create, T0)
    events = wh.handle(cancel(create), T0)
    assert types(events) == ["wms.order.cancel_result", "wms.inventory.adjusted"]
    assert events[0].data_as(WmsOrderCancelResult).outcome == "cancelled"
    assert wh.state.stock[str(WH1)]["MUG"].available == 10
    assert wh.due_work(T0 + timedelta(hours=1)) == []


def test_cancel_after_shipping_is_refused_as_already_shipped() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 1)])
    wh.handle(create, T0)
    [shipment, *_] = wh.ship_now(SHOP, "#1001", T0)
    [result] = wh.handle(cancel(create), T0)
    answer = result.data_as(WmsOrderCancelResult)
    assert answer.outcome == "refused"
    assert answer.reason == f"already shipped ({shipment_of(shipment).shipment_id})"


def test_cancel_of_a_partly_shipped_order_cancels_the_rest_and_says_so() -> None:
    wh = warehouse(split_probability=1.0)
    create = order_create("#1001", [("MUG", 5)])
    wh.handle(create, T0)
    [shipment, _] = wh.ship_now(SHOP, "#1001", T0)
    shipped = shipment_of(shipment).lines[0].quantity
    [result, _] = wh.handle(cancel(create), T0)
    answer = result.data_as(WmsOrderCancelResult)
    assert answer.outcome == "cancelled"
    assert answer.reason is not None
    assert answer.reason.startswith(f"partially shipped: {shipped} of 5 units")
    assert wh.state.stock[str(WH1)]["MUG"].model_dump() == {
        "available": 10 - shipped,
        "on_hand": 10 - shipped,
    }


def test_own_cancellation_instead_of_shipping_restocks() -> None:
    wh = warehouse(own_cancel_probability=1.0)
    create = order_create("#1001", [("MUG", 2)])
    wh.handle(create, T0)
    [cancelled, adjusted] = wh.due_work(T0 + timedelta(seconds=60))
    assert cancelled.type == "wms.order.cancelled"
    assert cancelled.data_as(WmsOrderCancelled).model_dump() == {
        "wms_order_ref": "#1001",
        "reason": "out_of_stock",
        "restock": True,
        "note": None,
    }
    assert cancelled.correlation_id == create.correlation_id
    assert adjusted.data_as(WmsInventoryAdjusted).available == 10


def test_an_order_short_on_the_shelf_at_pick_time_is_cancelled_out_of_stock() -> None:
    wh = warehouse()
    wh.handle(order_create("#1001", [("SCARF", 1)]), T0)  # accepted: oversold, available -1
    [cancelled, _] = wh.ship_now(SHOP, "#1001", T0)
    assert cancelled.type == "wms.order.cancelled"
    assert cancelled.data_as(WmsOrderCancelled).note == "short at pick: SCARF"


def test_snapshot_parts_cover_every_sku_once() -> None:
    wh = warehouse(snapshot_items_per_part=2)
    parts = [e.data_as(WmsInventorySnapshot) for e in wh.snapshot(T0)]
    assert [(p.part, p.parts) for p in parts] == [(1, 2), (2, 2)]
    assert len({p.snapshot_id for p in parts}) == 1
    items = [item for p in parts for item in p.items]
    assert {i.sku: i.on_hand for i in items} == STOCK["WH1"]


def test_the_same_seed_replays_the_same_warehouse() -> None:
    def run() -> list[object]:
        wh = warehouse(split_probability=0.5, own_cancel_probability=0.2, ship_delay_s=(5, 20))
        for number in range(20):
            wh.handle(order_create(f"#{1000 + number}", [("MUG", 1), ("CAP", 2)]), T0)
        events = wh.due_work(T0 + timedelta(minutes=10)) + wh.due_work(T0 + timedelta(hours=1))
        events += wh.random_adjustment(T0 + timedelta(hours=1))
        # line refs differ: the command builders number them globally
        return [
            (e.type, e.data.model_dump(exclude={"lines": {"__all__": {"line_ref"}}}))
            for e in events
        ]

    assert run() == run()


def test_events_are_valid_wire_messages() -> None:
    wh = warehouse(split_probability=1.0)
    create = order_create("#1001", [("MUG", 2)])
    events = wh.handle(create, T0) + wh.due_work(T0 + timedelta(hours=1)) + wh.snapshot(T0)
    for event in events:
        assert parse_envelope(event.to_json()) == event
