"""The pure rules: supportedActions per state, and the refusals of move/split/merge/hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shopify_sim.domain import fulfillment_changes as rules
from shopify_sim.domain.fulfillment_actions import supported_actions
from shopify_sim.state.models import FulfillmentHold, FulfillmentOrder, FulfillmentOrderLineItem

NOW = datetime(2026, 7, 10, tzinfo=UTC)


def _fo(fo_id=1, *lines, status="OPEN", location=10, **extra):
    fo = FulfillmentOrder(fo_id, 100, location, status, NOW, NOW, NOW, **extra)
    fo.line_items = [
        FulfillmentOrderLineItem(line_id, line_id + 1000, t, r) for line_id, t, r in lines
    ]
    return fo


def _hold(handle="h"):
    return FulfillmentHold(99, "OTHER", None, handle, None)


@pytest.mark.parametrize(
    ("fo", "expected"),
    [
        (_fo(1, (11, 2, 2)), ["CREATE_FULFILLMENT", "REPORT_PROGRESS", "MOVE", "HOLD", "SPLIT"]),
        (_fo(1, (11, 1, 1)), ["CREATE_FULFILLMENT", "REPORT_PROGRESS", "MOVE", "HOLD"]),
        (_fo(1, (11, 2, 2), status="ON_HOLD"), ["RELEASE_HOLD", "HOLD", "MOVE"]),
        (_fo(1, (11, 1, 1), status="CLOSED"), []),
        (_fo(1, (11, 1, 1), status="SCHEDULED"), ["MARK_AS_OPEN"]),
        (
            _fo(1, (11, 1, 1), status="IN_PROGRESS", progress_reported=True),
            ["CREATE_FULFILLMENT", "REPORT_PROGRESS", "HOLD", "MARK_AS_OPEN"],
        ),
        (_fo(1, (11, 1, 1), request_status="SUBMITTED"), ["CANCEL_FULFILLMENT_ORDER"]),
        (
            _fo(1, (11, 1, 1), status="IN_PROGRESS", request_status="ACCEPTED"),
            ["CREATE_FULFILLMENT", "REQUEST_CANCELLATION"],
        ),
    ],
)
def test_supported_actions_per_state(fo, expected):
    assert supported_actions(fo, [fo]) == expected


def test_merge_is_offered_only_with_an_open_sibling_at_the_same_location():
    original, split_off = _fo(1, (11, 2, 2)), _fo(2, (12, 1, 1))
    assert supported_actions(original, [original, split_off])[-1] == "MERGE"
    assert supported_actions(split_off, [original, split_off])[-1] == "MERGE"
    elsewhere = _fo(3, (13, 1, 1), location=20)
    assert "MERGE" not in supported_actions(elsewhere, [original, elsewhere])
    held = _fo(4, (14, 1, 1), status="ON_HOLD")
    assert "MERGE" not in supported_actions(split_off, [split_off, held])


def test_move_refusals_in_documented_order():
    assert rules.move_errors(_fo(1, (11, 1, 0), status="CLOSED"), 20)[0]["field"] is None
    submitted = rules.move_errors(_fo(1, (11, 1, 1), request_status="SUBMITTED"), 20)
    assert submitted[0]["message"] == (
        "Cannot move submitted fulfillment order that is at a 3PL fulfillment service."
    )
    progress = rules.move_errors(_fo(1, (11, 1, 1), progress_reported=True), 20)
    assert progress[0]["code"] == "CANNOT_MOVE_FULFILLMENT_ORDER_WITH_REPORTED_PROGRESS"
    for status in rules.MOVE_BLOCKING_REQUEST_STATUSES:
        assert rules.move_errors(_fo(1, (11, 1, 1), request_status=status), 20)
    assert rules.move_errors(_fo(1, (11, 1, 1)), 10)[0]["field"] == ["newLocationId"]
    assert rules.move_errors(_fo(1, (11, 1, 1), status="ON_HOLD"), 20) == []


def test_whole_move_only_without_fulfilled_units_and_all_units():
    fresh = _fo(1, (11, 2, 2), (12, 1, 1))
    assert rules.is_whole_move(fresh, {11: 2, 12: 1})
    assert not rules.is_whole_move(fresh, {11: 1, 12: 1})
    partly = _fo(1, (11, 2, 1))
    assert not rules.is_whole_move(partly, {11: 1})


def test_split_errors():
    fo = _fo(1, (11, 3, 3))
    assert rules.split_units(None, {}, 0)[0]["code"] == "FULFILLMENT_ORDER_NOT_FOUND"
    assert rules.split_units(fo, {"fulfillmentOrderLineItems": []}, 0)[0]["code"] == (
        "NO_LINE_ITEMS_PROVIDED_TO_SPLIT"
    )

    def split(quantity, line="gid://shopify/FulfillmentOrderLineItem/11"):
        return rules.split_units(
            fo, {"fulfillmentOrderLineItems": [{"id": line, "quantity": quantity}]}, 2
        )

    zero = split(0)[0]
    assert zero["code"] == "GREATER_THAN"
    assert zero["field"] == [
        "fulfillmentOrderSplits",
        "2",
        "fulfillmentOrderLineItems",
        "0",
        "quantity",
    ]
    assert split(4)[0]["code"] == "INVALID_LINE_ITEM_QUANTITY"
    assert split(3)[0]["code"] == "INVALID_LINE_ITEM_QUANTITY"  # nothing would remain
    assert split(1, "gid://shopify/FulfillmentOrderLineItem/999")[0]["code"] == (
        "INVALID_LINE_ITEM_QUANTITY"
    )
    assert split(1) == {11: 1}


def test_merge_plan_keeps_the_first_intent_and_refuses_strangers():
    a, b = _fo(1, (11, 2, 2)), _fo(2, (12, 1, 1))
    intents = [{"fulfillmentOrderId": "x"}, {"fulfillmentOrderId": "y"}]
    plan = rules.plan_merge(intents, [b, a], 0)
    assert isinstance(plan, rules.MergePlan)
    assert plan.survivor is b and plan.absorbed == [(a, {11: 2})]
    assert rules.plan_merge(intents, [a, None], 0)[0]["code"] == "FULFILLMENT_ORDER_NOT_FOUND"
    assert rules.plan_merge(intents, [a, _fo(3, (13, 1, 1), location=20)], 0)[0]["field"] == [
        "fulfillmentOrderMergeInputs",
        "0",
        "mergeIntents",
    ]
    assert rules.plan_merge(intents, [a, a], 0)
    held = _fo(4, (14, 1, 1), status="ON_HOLD")
    assert isinstance(rules.plan_merge(intents, [a, held], 0), list)


def test_hold_rules():
    line = "gid://shopify/FulfillmentOrderLineItem/11"
    fo = _fo(1, (11, 3, 3))
    assert rules.hold_errors(fo, {"reason": "OTHER"}) is None
    assert rules.hold_errors(fo, {"fulfillmentOrderLineItems": [{"id": line, "quantity": 2}]}) == {
        11: 2
    }
    twice = {
        "fulfillmentOrderLineItems": [{"id": line, "quantity": 1}, {"id": line, "quantity": 1}]
    }
    assert rules.hold_errors(fo, twice)[0]["code"] == "DUPLICATED_FULFILLMENT_ORDER_LINE_ITEMS"
    zero = {"fulfillmentOrderLineItems": [{"id": line, "quantity": 0}]}
    assert rules.hold_errors(fo, zero)[0]["code"] == "GREATER_THAN_ZERO"
    held = _fo(1, (11, 3, 3), status="ON_HOLD", holds=[_hold()])
    partial = {"fulfillmentOrderLineItems": [{"id": line, "quantity": 1}]}
    assert rules.hold_errors(held, partial)[0]["code"] == "FULFILLMENT_ORDER_NOT_SPLITTABLE"
    assert (
        rules.hold_errors(held, {"handle": "h"})[0]["code"] == "DUPLICATE_FULFILLMENT_HOLD_HANDLE"
    )
    full = _fo(1, (11, 3, 3), status="ON_HOLD", holds=[_hold(str(i)) for i in range(10)])
    assert rules.hold_errors(full, {})[0]["code"] == "FULFILLMENT_ORDER_HOLD_LIMIT_REACHED"


def test_progress_and_open_rules():
    assert rules.report_progress_errors(_fo(1, (11, 1, 1))) == []
    assert rules.report_progress_errors(_fo(1, (11, 2, 1), status="IN_PROGRESS")) == []
    assert rules.report_progress_errors(_fo(1, (11, 1, 1), status="ON_HOLD"))[0]["code"] == (
        "FULFILLMENT_ORDER_STATUS_INVALID"
    )
    assert rules.open_errors(_fo(1, (11, 1, 1)))[0]["message"] == (
        "Expected fulfillment order status to be valid but it was open."
    )
    assert rules.open_errors(_fo(1, (11, 1, 1), status="IN_PROGRESS", progress_reported=True)) == []
    assert rules.status_without_progress(_fo(1, (11, 2, 1))) == "IN_PROGRESS"
