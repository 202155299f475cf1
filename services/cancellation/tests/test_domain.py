"""cancellation's decisions and Shopify parsing, without I/O."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cancellation import domain
from cancellation.domain import (
    AwaitingJob,
    CancelInShopify,
    ConfirmedCancelled,
    ForOperator,
    OrderNotFound,
    ShopifyFulfillmentOrder,
    ShopifyOrderState,
    WarehouseCancellation,
    WmsOrder,
)
from cancellation.settings import CancellationSettings
from cancellation.shopify_payloads import (
    PayloadError,
    cancellation_from_webhook,
    order_state,
    request_state,
)
from shop_config import Cancellation
from shopify_admin.mutations import OrderCancelReason
from shopify_admin.reference import shopify_dir

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
ORDER = "gid://shopify/Order/1"
WH1_LOCATION, WH2_LOCATION, POPUP = (f"gid://shopify/Location/{n}" for n in (11, 12, 13))
FACILITIES = {WH1_LOCATION: "WH1", WH2_LOCATION: "WH2"}


def wms_order(ref: str = "#1001", fo: int = 101, **changes: Any) -> WmsOrder:
    order = WmsOrder(
        ref=ref,
        order_gid=ORDER,
        order_name="#1001",
        fulfillment_order_id=f"gid://shopify/FulfillmentOrder/{fo}",
        facility="WH1",
        location_id=WH1_LOCATION,
        ordered={"MUG": 3, "CAP": 1},
        shipped={},
    )
    return replace(order, **changes)


def cancelled(order: WmsOrder | None = None, **changes: Any) -> WarehouseCancellation:
    c = WarehouseCancellation(
        order=order or wms_order(),
        reason="out_of_stock",
        restock=True,
        note=None,
        state="pending",
        received_at=NOW,
    )
    return replace(c, **changes)


def shopify(*fos: tuple[int, str, str | None], **changes: Any) -> ShopifyOrderState:
    state = ShopifyOrderState(
        id=ORDER,
        name="#1001",
        cancelled_at=None,
        staff_note=None,
        fulfillment_orders=tuple(
            ShopifyFulfillmentOrder(f"gid://shopify/FulfillmentOrder/{n}", status, location)
            for n, status, location in fos
        ),
        more_fulfillment_orders=False,
    )
    return replace(state, **changes)


def decide(
    order: ShopifyOrderState | None,
    active: list[WarehouseCancellation],
    warehouse_fos: set[int] | None = None,
    settings: Cancellation | None = None,
) -> domain.ShopifyCancelDecision:
    fos = {c.order.fulfillment_order_id for c in active} | {
        f"gid://shopify/FulfillmentOrder/{n}" for n in warehouse_fos or ()
    }
    return domain.decide_shopify_cancel(
        order, active, frozenset(fos), settings or Cancellation(), FACILITIES, max_confirmations=3
    )


# --- what a WMS order holds ----------------------------------------------------------------------


def test_unshipped_units_are_what_is_ordered_less_what_shipped_by_sku() -> None:
    order = wms_order(shipped=domain.units_by_sku([("MUG", 1), ("MUG", 1)]))
    assert order.unshipped == {"MUG": 1, "CAP": 1}
    assert not order.fully_shipped
    assert wms_order(shipped={"MUG": 3, "CAP": 1}).fully_shipped
    # fulfillment-sync said the fulfillment order is complete: nothing is left, whatever we saw.
    assert wms_order(completed_by_shipment=True).unshipped == {}


def test_restock_lines_are_the_unshipped_units_and_none_for_a_rejected_order() -> None:
    order = wms_order(shipped={"MUG": 2})
    assert [(x.sku, x.quantity) for x in domain.restocked_lines(order)] == [("CAP", 1), ("MUG", 1)]
    assert domain.restocked_lines(replace(order, rejected=True)) == []
    assert domain.restock_id("s.myshopify.com", "#1001-2") == "s.myshopify.com|#1001-2|cancel"


@pytest.mark.parametrize(
    ("order", "asked", "by_warehouse", "step"),
    [
        (wms_order(), False, False, "ask_warehouse"),
        (wms_order(shipped={"MUG": 1}), False, False, "ask_warehouse"),  # partly shipped
        (wms_order(shipped={"MUG": 3, "CAP": 1}), False, False, "shipped_already"),
        (wms_order(), True, False, "asked_already"),
        (wms_order(rejected=True), False, False, "nothing_in_warehouse"),
        (wms_order(), False, True, "cancelled_by_warehouse"),
    ],
)
def test_what_one_wms_order_of_a_cancelled_shopify_order_needs(
    order: WmsOrder, asked: bool, by_warehouse: bool, step: str
) -> None:
    assert (
        domain.customer_cancel_step(order, asked_already=asked, cancelled_by_warehouse=by_warehouse)
        == step
    )


# --- WMS -> Shopify ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wms_reason", "shopify_reason"),
    [
        ("out_of_stock", "INVENTORY"),
        ("damaged", "INVENTORY"),
        ("address", "OTHER"),
        ("other", "OTHER"),
    ],
)
def test_a_warehouse_cancellation_alone_on_the_order_cancels_it_with_the_mapped_reason(
    wms_reason: str, shopify_reason: OrderCancelReason
) -> None:
    decision = decide(shopify((101, "OPEN", WH1_LOCATION)), [cancelled(reason=wms_reason)])
    assert decision == CancelInShopify(
        reason=shopify_reason,
        restock=True,
        notify_customer=True,
        refund_to_original_payment=True,
        staff_note=f"shipbridge: the warehouse cancelled #1001 at WH1: {wms_reason}",
    )


def test_the_shops_settings_and_the_warehouses_restock_are_what_is_sent() -> None:
    settings = Cancellation(refund_to_original_payment=False, notify_customer=False)
    first = cancelled(wms_order("#1001-1", 101), note="pallet crushed", reason="damaged")
    second = cancelled(
        wms_order("#1001-2", 102, facility="WH2", location_id=WH2_LOCATION),
        restock=False,
        received_at=NOW + timedelta(minutes=1),
    )
    decision = decide(
        shopify((101, "OPEN", WH1_LOCATION), (102, "IN_PROGRESS", WH2_LOCATION)),
        [second, first],
        settings=settings,
    )
    assert isinstance(decision, CancelInShopify)
    assert (decision.reason, decision.restock) == ("INVENTORY", False)  # the first one's reason
    assert (decision.notify_customer, decision.refund_to_original_payment) == (False, False)
    assert decision.staff_note == (
        "shipbridge: the warehouse cancelled #1001-1 at WH1: damaged (pallet crushed); "
        "#1001-2 at WH2: out_of_stock"
    )


def test_a_fulfillment_order_open_elsewhere_leaves_the_order_to_the_operator() -> None:
    decision = decide(
        shopify(
            (101, "OPEN", WH1_LOCATION),
            (102, "OPEN", WH2_LOCATION),
            (103, "ON_HOLD", POPUP),
            (104, "CLOSED", POPUP),
        ),
        [cancelled()],
    )
    assert isinstance(decision, ForOperator)
    assert "FulfillmentOrder/102 (OPEN) at gid://shopify/Location/12 (WH2)" in decision.detail
    assert "FulfillmentOrder/103 (ON_HOLD) at gid://shopify/Location/13 (not a WMS location)" in (
        decision.detail
    )
    assert "104" not in decision.detail


def test_fulfillment_orders_the_warehouse_cancelled_too_do_not_block() -> None:
    # #1001-2 was cancelled by the warehouse earlier (left for the operator then): with #1001-1
    # cancelled too, nothing of the order is left to fulfil.
    decision = decide(
        shopify((101, "OPEN", WH1_LOCATION), (102, "OPEN", WH2_LOCATION)),
        [cancelled()],
        warehouse_fos={102},
    )
    assert isinstance(decision, CancelInShopify)


def test_a_partly_shipped_or_unreadable_order_is_left_to_the_operator() -> None:
    shipped = cancelled(wms_order(shipped={"MUG": 1}, shipment_ids=("SHP-1",)))
    decision = decide(shopify((101, "IN_PROGRESS", WH1_LOCATION)), [shipped])
    assert isinstance(decision, ForOperator) and "#1001 (SHP-1)" in decision.detail
    truncated = shopify((101, "OPEN", WH1_LOCATION), more_fulfillment_orders=True)
    assert isinstance(decide(truncated, [cancelled()]), ForOperator)


def test_an_order_already_cancelled_is_confirmed_and_never_cancelled_again() -> None:
    by_merchant = shopify(cancelled_at=NOW, staff_note="customer changed their mind")
    assert decide(by_merchant, [cancelled()]) == ConfirmedCancelled(
        by_us=False, restocked_in_shopify=domain.ASSUMED_MERCHANT_RESTOCK
    )
    by_us = shopify(cancelled_at=NOW, staff_note="shipbridge: the warehouse cancelled #1001")
    # Our answer was lost (nothing recorded): it carried what we would send now.
    assert decide(by_us, [cancelled(restock=False)]) == ConfirmedCancelled(True, False)
    submitted = cancelled(state="submitted", shopify_restock=True)
    assert decide(by_us, [submitted]) == ConfirmedCancelled(True, True)


def test_a_submitted_cancel_is_awaited_then_given_up() -> None:
    waiting = shopify((101, "OPEN", WH1_LOCATION))
    assert decide(waiting, [cancelled(state="submitted", attempts=0)]) == AwaitingJob(False)
    assert decide(waiting, [cancelled(state="submitted", attempts=2)]) == AwaitingJob(True)
    assert decide(None, [cancelled()]) == OrderNotFound()


def test_retry_delays_grow_then_give_up() -> None:
    policy = CancellationSettings(retry_base_s=1.0, retry_max_s=5.0, max_attempts=5).retry_policy
    delays = [policy.after_failure(n) for n in range(5)]
    assert delays == [1.0, 2.0, 4.0, 5.0, None]


# --- parsing Shopify ------------------------------------------------------------------------------


def test_the_orders_cancelled_webhook_sample_reads_as_a_cancellation() -> None:
    body = json.loads((shopify_dir() / "webhooks" / "orders__cancelled.json").read_text())
    seen = cancellation_from_webhook(body, NOW)
    assert seen.order_gid == "gid://shopify/Order/820982911946154508"
    assert seen.reason == "CUSTOMER"
    assert seen.cancelled_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    assert seen.order_name == body["name"]


def test_a_webhook_with_only_a_numeric_id_or_no_id() -> None:
    seen = cancellation_from_webhook({"id": 42}, NOW)
    assert (seen.order_gid, seen.cancelled_at, seen.reason) == ("gid://shopify/Order/42", NOW, None)
    with pytest.raises(PayloadError, match="without an order id"):
        cancellation_from_webhook({"name": "#1001"}, NOW)


def test_the_order_state_query_answer() -> None:
    data = {
        "order": {
            "id": ORDER,
            "name": "#1001",
            "cancelledAt": "2026-11-22T10:00:00Z",
            "cancellation": {"staffNote": "shipbridge: x"},
            "fulfillmentOrders": {
                "nodes": [
                    {
                        "id": "gid://shopify/FulfillmentOrder/1",
                        "status": "CLOSED",
                        "assignedLocation": {"location": {"id": WH1_LOCATION}},
                    },
                    {
                        "id": "gid://shopify/FulfillmentOrder/2",
                        "status": "OPEN",
                        "assignedLocation": None,
                    },
                ],
                "pageInfo": {"hasNextPage": True},
            },
        }
    }
    state = order_state(data)
    assert state is not None and state.cancelled_by_us and state.more_fulfillment_orders
    assert state.cancelled_at == NOW
    assert [(fo.status, fo.location_id) for fo in state.fulfillment_orders] == [
        ("CLOSED", WH1_LOCATION),
        ("OPEN", None),
    ]
    assert order_state({"order": None}) is None
    with pytest.raises(PayloadError):
        order_state({"order": {"id": ORDER}})


# --- WMS orders order-intake changed after sending them ----------------------------------------


def test_a_wms_order_counts_with_what_it_holds_now() -> None:
    sent_at = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    sent = {"ABC-1": 3, "XYZ-9": 1}
    cut = domain.Reduction(False, {"ABC-1": 1}, sent_at + timedelta(minutes=1))
    assert domain.holding_now(sent, sent_at, cut) == ({"ABC-1": 1}, False)
    gone = domain.Reduction(True, {}, sent_at + timedelta(minutes=1))
    assert domain.holding_now(sent, sent_at, gone) == ({}, True)
    # Confirmed before this send: it reduced an earlier send of the ref (rejected, re-sent).
    stale = replace(cut, confirmed_at=sent_at - timedelta(minutes=1))
    assert domain.holding_now(sent, sent_at, stale) == (sent, False)

    withdrawn = wms_order(ordered={}, withdrawn=True)
    assert domain.restocked_lines(withdrawn) == []
    step = domain.customer_cancel_step(withdrawn, asked_already=False, cancelled_by_warehouse=False)
    assert step == "withdrawn"
    reduced_and_shipped = wms_order(ordered={"ABC-1": 1}, shipped={"ABC-1": 1})
    step = domain.customer_cancel_step(
        reduced_and_shipped, asked_already=False, cancelled_by_warehouse=False
    )
    assert step == "shipped_already"


def test_a_rejection_counts_for_a_re_sent_order_only_if_it_came_after_the_re_send() -> None:
    first = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    again = first + timedelta(hours=1)
    assert domain.rejection_counts(None, sent_at=first, first_sent_at=first)
    assert domain.rejection_counts(first - timedelta(hours=1), sent_at=first, first_sent_at=first)
    assert not domain.rejection_counts(
        first + timedelta(seconds=1), sent_at=again, first_sent_at=first
    )
    assert not domain.rejection_counts(None, sent_at=again, first_sent_at=first)
    assert domain.rejection_counts(again + timedelta(seconds=1), sent_at=again, first_sent_at=first)


# --- a facility connected as a fulfillment service: its fulfillment order is closed -------------


def fo_state(status: str, request_status: str) -> domain.FulfillmentOrderRequestState:
    return domain.FulfillmentOrderRequestState(
        "gid://shopify/FulfillmentOrder/101", status, request_status
    )


def test_the_close_message_carries_the_warehouses_reason_and_note() -> None:
    at_service = cancelled(wms_order(facility="WH2"), reason="damaged", note="forklift")
    assert domain.close_message(at_service) == (
        "shipbridge: the warehouse cancelled #1001 at WH2: damaged (forklift)"
    )
    assert domain.close_message(cancelled(wms_order(facility="WH2"))) == (
        "shipbridge: the warehouse cancelled #1001 at WH2: out_of_stock"
    )


@pytest.mark.parametrize(
    ("status", "request_status", "expected"),
    [
        # Our earlier close ran and its answer was lost: the repeat is refused, and it is done.
        ("INCOMPLETE", "CLOSED", domain.ClosedInShopify),
        ("CLOSED", "CLOSED", domain.ClosedInShopify),
        # The merchant cancelled it, or order-intake answered the request: nothing to close.
        ("CANCELLED", "CANCELLATION_ACCEPTED", domain.NoLongerOurs),
        ("OPEN", "REJECTED", domain.NoLongerOurs),
        # The warehouse cancelled before order-intake's accept reached Shopify: wait for it.
        ("OPEN", "SUBMITTED", domain.NotAcceptedYet),
        # Anything else: Shopify's refusal stands, shown with the state it was in.
        ("IN_PROGRESS", "ACCEPTED", domain.CloseRefused),
    ],
)
def test_a_refused_close_is_judged_on_the_fulfillment_order_read_back(
    status: str, request_status: str, expected: type
) -> None:
    outcome = domain.judge_refused_close(fo_state(status, request_status), "Nope (INVALID)")
    assert isinstance(outcome, expected)
    if isinstance(outcome, domain.ClosedInShopify):
        assert not outcome.by_us and status in outcome.detail
    if isinstance(outcome, domain.CloseRefused):
        assert outcome.detail == "Nope (INVALID) (fulfillment order IN_PROGRESS, request ACCEPTED)"
    assert isinstance(domain.judge_refused_close(None, "gone"), OrderNotFound)


def test_the_request_state_answer_is_read() -> None:
    data = {
        "fulfillmentOrder": {
            "id": "gid://shopify/FulfillmentOrder/7",
            "status": "INCOMPLETE",
            "requestStatus": "CLOSED",
        }
    }
    assert request_state(data) == domain.FulfillmentOrderRequestState(
        "gid://shopify/FulfillmentOrder/7", "INCOMPLETE", "CLOSED"
    )
    assert request_state({"fulfillmentOrder": None}) is None
    with pytest.raises(PayloadError):
        request_state({"fulfillmentOrder": {"id": "gid://shopify/FulfillmentOrder/7"}})


def test_a_fulfillment_order_closed_at_a_service_keeps_the_order_from_being_cancelled() -> None:
    # WH1 (a location) cancelled its part; WH2's fulfillment order, at a fulfillment service,
    # was closed as incomplete: it went back to the merchant, who may still move or re-request
    # it, so the whole order is not cancelled. The worker leaves closed service FOs out of the
    # warehouse-cancelled set for exactly this.
    located = cancelled(wms_order("#1001-1", fo=101))
    decision = decide(
        shopify((101, "IN_PROGRESS", WH1_LOCATION), (102, "INCOMPLETE", WH2_LOCATION)),
        [located],
        warehouse_fos={101},
    )
    assert isinstance(decision, ForOperator)
    assert "gid://shopify/FulfillmentOrder/102 (INCOMPLETE)" in decision.detail
