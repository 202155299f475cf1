"""`wms.order.reduce` in the warehouse state machine: units out before picking, refused after."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts import (
    Envelope,
    WmsInventoryAdjusted,
    WmsOrderCancelResult,
    WmsOrderCreate,
    WmsOrderReduce,
    WmsOrderReduceResult,
    WmsShipmentConfirmed,
    parse_envelope,
)
from wms_sim.config import Facility
from wms_sim.state import OrderStatus
from wms_sim.testing import SHOP, command_about, order_create, order_reduce, state_machine
from wms_sim.warehouse import Warehouse

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
WH1 = Facility(SHOP, "WH1")
STOCK = {"WH1": {"MUG": 10, "CAP": 5}}


def warehouse(**overrides: object) -> Warehouse:
    return state_machine(STOCK, **overrides)


def result_of(events: list[Envelope]) -> WmsOrderReduceResult:
    [result] = [e for e in events if e.type == "wms.order.reduce_result"]
    return result.data_as(WmsOrderReduceResult)


def shipments_in(events: list[Envelope]) -> list[WmsShipmentConfirmed]:
    return [e.data_as(WmsShipmentConfirmed) for e in events if e.type == "wms.shipment.confirmed"]


def available(wh: Warehouse, sku: str) -> int:
    return wh.state.stock[str(WH1)][sku].available


def test_a_reduce_before_picking_takes_the_units_out_and_gives_their_allocation_back() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 4), ("CAP", 2)])
    wh.handle(create, T0)
    reduce = order_reduce(create, [(0, 3)])
    events = wh.handle(reduce, T0)

    assert [e.type for e in events] == ["wms.order.reduce_result", "wms.inventory.adjusted"]
    result = result_of(events)
    assert (result.wms_order_ref, result.outcome, result.reason) == ("#1001", "reduced", None)
    assert result.lines == reduce.data_as(WmsOrderReduce).lines
    assert (events[0].causation_id, events[0].correlation_id) == (
        reduce.id,
        create.correlation_id,
    )
    adjusted = events[1].data_as(WmsInventoryAdjusted)
    assert (adjusted.sku, adjusted.available) == ("MUG", 9)
    assert available(wh, "MUG") == 9 and available(wh, "CAP") == 3

    # What is left ships, and only that.
    shipped = wh.due_work(T0 + timedelta(seconds=60))
    [shipment] = shipments_in(shipped)
    assert [(line.sku, line.quantity) for line in shipment.lines] == [("MUG", 1), ("CAP", 2)]
    assert wh.state.stock[str(WH1)]["MUG"].model_dump() == {"available": 9, "on_hand": 9}
    assert wh.order(SHOP, "#1001").status is OrderStatus.SHIPPED


def test_an_order_reduced_to_nothing_never_ships_and_behaves_as_cancelled() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 2), ("CAP", 1)])
    wh.handle(create, T0)
    events = wh.handle(order_reduce(create, [(0, 2), (1, 1)]), T0)

    result = result_of(events)
    assert result.outcome == "reduced"
    assert result.reason == "no units left: the order will not ship"
    assert "wms.order.cancelled" not in [e.type for e in events]  # not the warehouse's own
    assert wh.order(SHOP, "#1001").status is OrderStatus.CANCELLED
    assert available(wh, "MUG") == 10 and available(wh, "CAP") == 5
    assert wh.due_work(T0 + timedelta(hours=1)) == []
    with pytest.raises(ValueError, match="cancelled"):
        wh.ship_now(SHOP, "#1001", T0)
    # The order sent again is the one the warehouse closed: rejected, as after a cancel.
    [again] = wh.handle(order_create("#1001", [("MUG", 2)]), T0)
    assert again.type == "wms.order.rejected"


def test_once_picking_has_started_a_reduce_is_refused_and_nothing_changes() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 4)])
    wh.handle(create, T0)
    wh.start_picking(SHOP, "#1001", T0 + timedelta(seconds=5))

    events = wh.handle(order_reduce(create, [(0, 1)]), T0 + timedelta(seconds=6))
    assert [e.type for e in events] == ["wms.order.reduce_result"]
    result = result_of(events)
    assert result.outcome == "refused"
    assert result.reason == "picking started at 2026-11-22T10:00:05+00:00"
    assert available(wh, "MUG") == 6
    [shipment] = [
        e.data_as(WmsShipmentConfirmed)
        for e in wh.due_work(T0 + timedelta(seconds=60))
        if e.type.startswith("wms.ship")
    ]
    assert shipment.lines[0].quantity == 4


def test_with_a_picking_time_an_order_that_comes_due_is_picked_first_then_ships() -> None:
    wh = warehouse(picking_s=30.0)
    create = order_create("#1001", [("MUG", 2)])
    wh.handle(create, T0)
    before = wh.quiet_changes
    assert wh.due_work(T0 + timedelta(seconds=60)) == []  # picking starts, nothing is told
    assert wh.quiet_changes == before + 1
    assert wh.order(SHOP, "#1001").picking_since == T0 + timedelta(seconds=60)

    [refused] = wh.handle(order_reduce(create, [(0, 1)]), T0 + timedelta(seconds=70))
    assert result_of([refused]).outcome == "refused"
    assert wh.due_work(T0 + timedelta(seconds=89)) == []
    shipped = wh.due_work(T0 + timedelta(seconds=90))
    assert shipped[0].type == "wms.shipment.confirmed"
    assert wh.order(SHOP, "#1001").picking_since is None


def test_each_part_of_a_split_order_is_picked_before_it_leaves_and_refuses_reduces() -> None:
    wh = warehouse(split_probability=1.0, picking_s=10.0)
    create = order_create("#1001", [("MUG", 4)])
    wh.handle(create, T0)
    wh.due_work(T0 + timedelta(seconds=60))  # first part: picking
    wh.due_work(T0 + timedelta(seconds=70))  # first part leaves
    order = wh.order(SHOP, "#1001")
    assert order.status is OrderStatus.PARTIALLY_SHIPPED and order.picking_since is None

    [event] = wh.handle(order_reduce(create, [(0, 1)]), T0 + timedelta(seconds=71))
    result = result_of([event])
    assert result.outcome == "refused"
    assert result.reason is not None
    assert result.reason.startswith(
        f"picking started: {order.shipped_units} of 4 units already shipped in "
    )


def test_a_shipped_order_refuses_a_reduce_naming_its_shipments() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 1)])
    wh.handle(create, T0)
    [shipment, *_] = wh.ship_now(SHOP, "#1001", T0)
    [event] = wh.handle(order_reduce(create, [(0, 1)]), T0)
    result = result_of([event])
    assert result.outcome == "refused"
    assert (
        result.reason == f"already shipped ({shipment.data_as(WmsShipmentConfirmed).shipment_id})"
    )
    assert wh.state.stock[str(WH1)]["MUG"].model_dump() == {"available": 9, "on_hand": 9}


def test_an_unknown_order_is_refused() -> None:
    wh = warehouse()
    elsewhere = order_create("#404", [("MUG", 1)])  # never sent to this warehouse
    [event] = wh.handle(order_reduce(elsewhere, [(0, 1)]), T0)
    result = result_of([event])
    assert (result.outcome, result.reason) == ("refused", "unknown order #404")
    assert result.wms_order_ref == "#404"


def test_more_units_than_the_line_holds_is_refused_and_nothing_is_taken() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 2), ("CAP", 1)])
    wh.handle(create, T0)
    [event] = wh.handle(order_reduce(create, [(1, 1), (0, 3)]), T0)
    result = result_of([event])
    assert result.outcome == "refused"
    ref = create.data_as(WmsOrderCreate).lines[0].line_ref
    assert result.reason == f"line {ref} (MUG) holds 2 units, cannot take out 3"
    # All or nothing: the CAP line that could have been taken is still there.
    assert [line.open_units for line in wh.order(SHOP, "#1001").lines] == [2, 1]
    assert available(wh, "MUG") == 8 and available(wh, "CAP") == 4

    # Units taken earlier are no longer on the line.
    wh.handle(order_reduce(create, [(0, 1)]), T0)
    [again] = wh.handle(order_reduce(create, [(0, 2)]), T0)
    assert result_of([again]).reason == f"line {ref} (MUG) holds 1 units, cannot take out 2"


def test_a_line_ref_the_warehouse_does_not_know_is_matched_by_sku() -> None:
    # Shopify renumbers fulfillment order lines when it splits or moves them.
    wh = warehouse()
    create = order_create("#1001", [("MUG", 2), ("CAP", 1), ("MUG", 3)])
    wh.handle(create, T0)
    renumbered = "gid://shopify/FulfillmentOrderLineItem/1"
    reduce = command_about(
        create,
        "wms.order.reduce",
        lines=[{"line_ref": renumbered, "sku": "MUG", "quantity": 4}],
        reason="split",
        requested_at="2026-11-22T11:00:00Z",
    )
    [result, adjusted] = wh.handle(reduce, T0)
    assert result_of([result]).outcome == "reduced"
    assert [line.open_units for line in wh.order(SHOP, "#1001").lines] == [0, 1, 1]
    assert adjusted.data_as(WmsInventoryAdjusted).available == 9

    too_many = reduce.model_copy(update={"id": uuid4()})  # asked again, as a new command
    [refused] = wh.handle(too_many, T0)
    reason = result_of([refused]).reason
    assert reason == "SKU MUG holds 1 units on order #1001, cannot take out 4"


def test_a_line_of_another_sku_or_a_sku_not_on_the_order_is_refused() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 2)])
    wh.handle(create, T0)
    ref = create.data_as(WmsOrderCreate).lines[0].line_ref

    def reduce(line_ref: str, sku: str) -> Envelope:
        return command_about(
            create,
            "wms.order.reduce",
            lines=[{"line_ref": line_ref, "sku": sku, "quantity": 1}],
            reason="edited",
            requested_at="2026-11-22T11:00:00Z",
        )

    [wrong_sku] = wh.handle(reduce(ref, "CAP"), T0)
    assert result_of([wrong_sku]).reason == f"line {ref} is SKU MUG, not CAP"
    [absent] = wh.handle(reduce("gid://shopify/FulfillmentOrderLineItem/5", "CAP"), T0)
    assert result_of([absent]).reason == (
        "order #1001 has no line gid://shopify/FulfillmentOrderLineItem/5 and no line of SKU CAP"
    )
    assert available(wh, "MUG") == 8


def test_the_same_reduce_delivered_twice_takes_the_units_out_once() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 4)])
    wh.handle(create, T0)
    reduce = order_reduce(create, [(0, 1)])
    assert result_of(wh.handle(reduce, T0)).outcome == "reduced"
    assert wh.handle(reduce, T0) == []
    assert wh.order(SHOP, "#1001").lines[0].open_units == 3
    assert available(wh, "MUG") == 7


def test_a_rejected_or_cancelled_order_has_nothing_to_ship_so_the_reduce_is_granted() -> None:
    wh = warehouse()
    rejected = order_create("#1", [("MUG", 1)], facility="WH9")
    wh.handle(rejected, T0)
    [event] = wh.handle(order_reduce(rejected, [(0, 1)]), T0)
    result = result_of([event])
    assert (result.outcome, result.reason) == (
        "reduced",
        "the order was rejected, nothing was going to ship",
    )

    cancelled = order_create("#2", [("MUG", 2)])
    wh.handle(cancelled, T0)
    wh.cancel_on_own(SHOP, "#2", T0)
    [event] = wh.handle(order_reduce(cancelled, [(0, 2)]), T0)
    result = result_of([event])
    assert (result.outcome, result.reason) == ("reduced", "already cancelled")
    assert available(wh, "MUG") == 10  # given back once, by the cancel


def test_units_that_shipped_before_a_cancel_cannot_be_reduced() -> None:
    wh = warehouse(split_probability=1.0)
    create = order_create("#1001", [("MUG", 5)])
    wh.handle(create, T0)
    [shipment, *_] = wh.ship_now(SHOP, "#1001", T0)
    shipped = shipment.data_as(WmsShipmentConfirmed).lines[0].quantity
    wh.cancel_on_own(SHOP, "#1001", T0)
    [event] = wh.handle(order_reduce(create, [(0, 5)]), T0)
    result = result_of([event])
    assert result.outcome == "refused"
    assert result.reason is not None
    assert f"holds {5 - shipped} units, cannot take out 5" in result.reason


def test_a_warehouse_told_to_ignore_changes_never_answers_a_reduce_and_changes_nothing() -> None:
    wh = warehouse(answer_changes=False)
    create = order_create("#1001", [("MUG", 4)])
    wh.handle(create, T0)
    assert wh.handle(order_reduce(create, [(0, 1)]), T0) == []
    assert wh.order(SHOP, "#1001").lines[0].open_units == 4
    assert available(wh, "MUG") == 6


def test_a_silent_warehouse_does_not_answer_cancels_either_until_told_to_answer_again() -> None:
    wh = warehouse(answer_changes=False)
    create = order_create("#1001", [("MUG", 4)])
    wh.handle(create, T0)
    cancel = command_about(create, "wms.order.cancel", reason="moved", requested_at=T0)
    assert wh.handle(cancel, T0) == []
    assert wh.order(SHOP, "#1001").status is OrderStatus.ACCEPTED

    wh.answers_changes = True
    again = command_about(create, "wms.order.cancel", reason="moved", requested_at=T0)
    [result, *_] = wh.handle(again, T0)
    assert result.type == "wms.order.cancel_result"
    assert result.data_as(WmsOrderCancelResult).outcome == "cancelled"


def test_a_cancel_is_refused_once_picking_started_like_a_reduce() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 4)])
    wh.handle(create, T0)
    wh.start_picking(SHOP, "#1001", T0)
    cancel = command_about(create, "wms.order.cancel", reason="moved", requested_at=T0)
    [event] = wh.handle(cancel, T0)
    result = event.data_as(WmsOrderCancelResult)
    assert result.outcome == "refused"
    assert result.reason is not None and "picking started" in result.reason
    assert wh.order(SHOP, "#1001").lines[0].open_units == 4


def test_a_reduce_after_part_of_a_split_was_reduced_ships_the_rest_in_one_go() -> None:
    wh = warehouse(split_probability=1.0)
    create = order_create("#1001", [("MUG", 3)])
    wh.handle(create, T0)
    assert wh.order(SHOP, "#1001").first_shipment_units is not None
    wh.handle(order_reduce(create, [(0, 2)]), T0)
    events = wh.due_work(T0 + timedelta(seconds=60))
    [shipment] = shipments_in(events)
    assert shipment.lines[0].quantity == 1
    assert wh.order(SHOP, "#1001").status is OrderStatus.SHIPPED


def test_reduce_answers_are_valid_wire_messages() -> None:
    wh = warehouse()
    create = order_create("#1001", [("MUG", 2)])
    wh.handle(create, T0)
    events = wh.handle(order_reduce(create, [(0, 1)]), T0)
    events += wh.handle(order_reduce(create, [(0, 9)]), T0)
    for event in events:
        assert parse_envelope(event.to_json()) == event
