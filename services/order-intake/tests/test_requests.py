"""Unit tests of answering fulfillment-service requests (order_intake/requests.py via decide)."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

from order_intake.domain import SentFulfillmentOrder, decide
from order_intake.reconcile import RefusedChange
from order_intake.requests import rejection_reason
from shop_config import ShopConfig

from .test_domain import ADDRESS, NOW, WH1_LOCATION, fo, line, order, sent_from

SERVICE_LOCATION = "gid://shopify/Location/77"
UNREGISTERED_LOCATION = "gid://shopify/Location/78"


def service_shop(**order_download: Any) -> ShopConfig:
    """WH1 a merchant-managed location, WH2 a fulfillment service registered at location 77."""
    return ShopConfig.model_validate(
        {
            "domain": "example.myshopify.com",
            "locations": {WH1_LOCATION: "WH1"},
            "facilities": {
                "WH2": {
                    "mode": "fulfillment_service",
                    "name": "Shipbridge WH2",
                    "callback_url": "https://connector.example.com",
                }
            },
            "order_download": order_download,
        }
    ).with_service_locations({SERVICE_LOCATION: "WH2"})


def at_service(n: int, request_status: str, *, status: str = "OPEN", **kw: Any) -> Any:
    return replace(
        fo(n, location=SERVICE_LOCATION, status=status, **kw), request_status=request_status
    )


def sent_for(the_order: Any, **fields: Any) -> list[SentFulfillmentOrder]:
    decision = decide(the_order, service_shop(), [], NOW)
    return [replace(w, **fields) for w in sent_from(decision)]


# --- fulfillment requests -------------------------------------------------------------------


def test_an_fo_at_the_service_goes_to_the_wms_only_once_the_merchant_requested_it() -> None:
    unsubmitted = decide(order(at_service(1, "UNSUBMITTED")), service_shop(), [], NOW)
    assert unsubmitted.creates == () and unsubmitted.answers == ()

    submitted = decide(order(at_service(1, "SUBMITTED")), service_shop(), [], NOW)
    [create] = submitted.creates
    assert create.facility == "WH2"
    assert submitted.answers == ()  # never accepted before the WMS answers


def test_an_fo_at_a_service_location_not_registered_is_left_alone() -> None:
    fo_elsewhere = replace(fo(1, location=UNREGISTERED_LOCATION), request_status="SUBMITTED")
    decision = decide(order(fo_elsewhere), service_shop(), [], NOW)
    assert decision.creates == () and decision.answers == ()


def test_the_request_is_accepted_once_the_wms_accepted_and_rejected_with_its_reason() -> None:
    the_order = order(at_service(1, "SUBMITTED"))
    waiting = decide(the_order, service_shop(), sent_for(the_order), NOW)
    assert waiting.creates == () and waiting.answers == ()

    accepted = decide(the_order, service_shop(), sent_for(the_order, wms_state="accepted"), NOW)
    [answer] = accepted.answers
    assert (answer.kind, answer.fulfillment_order_id) == (
        "accept_fulfillment",
        "gid://shopify/FulfillmentOrder/1",
    )
    assert answer.wms_order_ref == "#1001"

    rejected = decide(
        the_order,
        service_shop(),
        sent_for(the_order, wms_state="rejected", wms_reason="unknown SKU SKU-1"),
        NOW,
    )
    [answer] = rejected.answers
    assert answer.kind == "reject_fulfillment"
    assert answer.reason == "INVALID_SKU"
    assert "unknown SKU SKU-1" in answer.message


def test_a_request_failing_our_checks_is_rejected_with_the_problem_and_nothing_is_sent() -> None:
    no_address = order(at_service(1, "SUBMITTED"), shipping_address=replace(ADDRESS, city=None))
    decision = decide(no_address, service_shop(), [], NOW)
    assert decision.state == "rejected_by_checks" and decision.creates == ()
    [answer] = decision.answers
    assert answer.kind == "reject_fulfillment"
    assert answer.reason == "INCORRECT_ADDRESS"
    assert "shipping address has no city" in answer.message


def test_a_filtered_request_is_rejected_and_a_risk_held_one_waits() -> None:
    test_order = decide(order(at_service(1, "SUBMITTED"), test=True), service_shop(), [], NOW)
    [answer] = test_order.answers
    assert (answer.kind, answer.reason) == ("reject_fulfillment", "OTHER")
    assert "test order" in answer.message

    risky = decide(
        order(at_service(1, "SUBMITTED"), risk_recommendation="CANCEL"), service_shop(), [], NOW
    )
    assert risky.state == "held_risk" and risky.answers == () and risky.creates == ()


def test_a_request_made_again_after_our_rejection_sends_the_order_again_under_its_ref() -> None:
    answered_at = NOW - timedelta(minutes=2)
    told = sent_for(
        order(at_service(1, "SUBMITTED")),
        wms_state="rejected",
        wms_reason="no",
        request_answered="rejected",
        request_answered_at=answered_at,
    )
    requested_again = order(
        replace(at_service(1, "SUBMITTED"), updated_at=answered_at + timedelta(seconds=30))
    )
    decision = decide(requested_again, service_shop(), told, NOW)
    [create] = decision.creates
    assert create.wms_order_ref == "#1001" and decision.resent == {"#1001"}
    assert decision.answers == ()

    # A read made before our rejection landed shows the first request: nothing is re-sent.
    stale = order(
        replace(at_service(1, "SUBMITTED"), updated_at=answered_at - timedelta(seconds=5))
    )
    decision = decide(stale, service_shop(), told, NOW)
    assert decision.creates == ()
    the_order = stale

    # Rejected by the WMS but not yet told to Shopify: the rejection is owed, nothing re-sent.
    untold = sent_for(the_order, wms_state="rejected", wms_reason="no")
    decision = decide(the_order, service_shop(), untold, NOW)
    assert decision.creates == ()
    assert [a.kind for a in decision.answers] == ["reject_fulfillment"]


def test_accepted_and_rejected_requests_owe_nothing_more() -> None:
    for status, request_status in (("IN_PROGRESS", "ACCEPTED"), ("OPEN", "REJECTED")):
        the_order = order(at_service(1, request_status, status=status))
        sent = sent_for(order(at_service(1, "SUBMITTED")), wms_state="accepted")
        decision = decide(the_order, service_shop(), sent, NOW)
        assert decision.answers == () and decision.creates == ()
        assert decision.cancels == () and decision.reduces == ()


# --- cancellation requests ------------------------------------------------------------------


def test_a_cancellation_request_cancels_the_wms_order_then_is_accepted() -> None:
    sent = sent_for(order(at_service(1, "SUBMITTED")), wms_state="accepted")
    requested = order(at_service(1, "CANCELLATION_REQUESTED", status="IN_PROGRESS"))

    asked = decide(requested, service_shop(), sent, NOW)
    [cancel] = asked.cancels
    assert cancel.wms_order_ref == "#1001"
    assert "requested cancellation" in cancel.reason
    assert asked.answers == ()  # the warehouse answers first

    confirmed = [replace(w, cancelled=True) for w in sent]
    done = decide(requested, service_shop(), confirmed, NOW)
    assert done.cancels == ()
    [answer] = done.answers
    assert answer.kind == "accept_cancellation"


def test_a_cancellation_the_warehouse_refused_is_rejected_with_its_reason() -> None:
    sent = sent_for(order(at_service(1, "SUBMITTED")), wms_state="accepted")
    refused = [
        replace(w, refused=RefusedChange("cancel", "requested", "already packed", NOW))
        for w in sent
    ]
    requested = order(at_service(1, "CANCELLATION_REQUESTED", status="IN_PROGRESS"))
    decision = decide(requested, service_shop(), refused, NOW)
    [answer] = decision.answers
    assert answer.kind == "reject_cancellation"
    assert "already packed" in answer.message


def test_a_partly_shipped_fo_whose_cancellation_is_requested_gives_back_only_the_rest() -> None:
    the_line = line(10, remaining=3)
    submitted = replace(fo(1, the_line, location=SERVICE_LOCATION), request_status="SUBMITTED")
    sent = sent_for(order(submitted), wms_state="accepted")
    shipped_one = replace(the_line, remaining_quantity=2, total_quantity=3)
    requested = order(
        replace(
            fo(1, shipped_one, location=SERVICE_LOCATION, status="IN_PROGRESS"),
            request_status="CANCELLATION_REQUESTED",
        )
    )
    decision = decide(requested, service_shop(), sent, NOW)
    [reduce] = decision.reduces
    assert [(r.line_ref, r.quantity) for r in reduce.lines] == [(the_line.id, 2)]


def test_location_mode_is_untouched_by_request_statuses() -> None:
    the_order = order(fo(1))  # at WH1, a merchant-managed location, UNSUBMITTED as always
    decision = decide(the_order, service_shop(), [], NOW)
    assert len(decision.creates) == 1 and decision.answers == ()


def test_rejection_reasons_follow_the_words_of_the_reason() -> None:
    assert rejection_reason("SKU ABC-1 is not a known item") == "INVALID_SKU"
    assert rejection_reason("out of stock") == "INVENTORY_OUT_OF_STOCK"
    assert rejection_reason("shipping address has no postal code") == "INCORRECT_ADDRESS"
    assert rejection_reason("warehouse closed") == "OTHER"
    assert rejection_reason(None) == "OTHER"
