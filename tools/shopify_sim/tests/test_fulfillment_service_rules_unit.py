"""The pure rules of the fulfillment-service protocol: handles and names, callback URLs, delete
arguments, supportedActions at a service location, answers, and assignment filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shopify_sim.domain import fulfillment_requests as requests
from shopify_sim.domain import fulfillment_services as services
from shopify_sim.domain.fulfillment_actions import creates_fulfillment, supported_actions
from shopify_sim.domain.fulfillment_changes import LineRequest
from shopify_sim.domain.inventory_activate import activate_errors
from shopify_sim.state.models import FulfillmentOrder, FulfillmentOrderLineItem, FulfillmentService

NOW = datetime(2026, 7, 10, tzinfo=UTC)


def _fo(*lines, status="OPEN", request_status="UNSUBMITTED", fo_id=1):
    fo = FulfillmentOrder(fo_id, 100, 10, status, NOW, NOW, NOW, request_status=request_status)
    fo.line_items = [
        FulfillmentOrderLineItem(line_id, line_id + 1000, t, r) for line_id, t, r in lines
    ]
    return fo


def _service(name):
    return FulfillmentService(1, name, services.service_handle(name), 2, "app", NOW, NOW)


@pytest.mark.parametrize(
    ("name", "handle"),
    [
        ("Hermes FS moeompnx", "hermes-fs-moeompnx"),
        ("FS Unique Café__3PL fsuniq-mqcxjtib!!!", "fs-unique-cafe__3pl-fsuniq-mqcxjtib"),
        ("Gift_Card", "gift_card"),
        ("  A  b  ", "a-b"),
    ],
)
def test_handles_as_shopify_derives_them(name, handle):
    assert services.service_handle(name) == handle


def test_name_errors():
    existing = [_service("FS Unique AB x")]
    assert services.name_errors("", existing)[0]["message"] == "Name can't be blank"
    assert services.name_errors("fs unique ab x", existing)[0]["message"] == (
        "Name has already been taken"
    )
    assert services.name_errors("fs-unique-ab-x", existing)[0]["message"] == (
        "Name has already been taken"
    )
    assert services.name_errors("Amazon", existing)[0]["message"] == "Name is reserved"
    assert [e["message"] for e in services.name_errors(" x ", existing)] == [
        "Name cannot begin with a whitespace character",
        "Name cannot end with a whitespace character",
    ]
    assert services.name_errors("Another", existing) == []


def test_callback_url_errors():
    assert services.callback_url_errors(None, ["mock.shop"]) == []
    assert services.callback_url_errors("https://mock.shop/cb", None) == []
    assert services.callback_url_errors("http://a.mock.shop/cb", ["mock.shop"]) == []
    assert services.callback_url_errors("https://example.com/cb", ["mock.shop"]) == [
        {"field": ["callbackUrl"], "message": "Callback url is not allowed"}
    ]
    assert services.callback_url_errors("ftp://mock.shop/cb", None) == [
        {"field": ["callbackUrl"], "message": "Callback url protocol ftp:// is not supported"}
    ]
    assert services.callback_url_errors("not a url", None)[0]["message"] == (
        "Callback url is not allowed"
    )


def test_delete_errors():
    assert services.delete_errors("KEEP", True, True)[0]["field"] == ["inventoryAction"]
    assert services.delete_errors("DELETE", False, False) == []
    assert services.delete_errors("TRANSFER", True, False) == [
        {"field": None, "message": "Invalid destination location."}
    ]
    assert services.delete_errors("TRANSFER", True, True) == []


UNREQUESTED = ["REQUEST_FULFILLMENT", "CREATE_FULFILLMENT", "HOLD", "MOVE"]


@pytest.mark.parametrize(
    ("fo", "expected"),
    [
        (_fo((11, 1, 1)), UNREQUESTED),
        (_fo((11, 2, 2)), [*UNREQUESTED, "SPLIT"]),
        (_fo((11, 1, 1), request_status="REJECTED"), UNREQUESTED),
        (_fo((11, 1, 1), status="INCOMPLETE", request_status="CLOSED"), UNREQUESTED),
        (_fo((11, 1, 1), request_status="SUBMITTED"), ["CANCEL_FULFILLMENT_ORDER"]),
        (
            _fo((11, 1, 1), status="IN_PROGRESS", request_status="CANCELLATION_REQUESTED"),
            ["CREATE_FULFILLMENT", "CANCEL_FULFILLMENT_ORDER"],
        ),
        (
            _fo((11, 1, 1), status="IN_PROGRESS", request_status="CANCELLATION_REJECTED"),
            ["CREATE_FULFILLMENT"],
        ),
        (_fo((11, 1, 0), status="CLOSED", request_status="CANCELLATION_ACCEPTED"), []),
        (_fo((11, 1, 1), status="ON_HOLD"), ["RELEASE_HOLD", "HOLD", "MOVE"]),
    ],
)
def test_supported_actions_at_a_service_location(fo, expected):
    assert supported_actions(fo, [fo], at_service=True) == expected


def test_merge_at_a_service_location_comes_last():
    one, two = _fo((11, 1, 1)), _fo((12, 1, 1), fo_id=2)
    assert supported_actions(one, [one, two], at_service=True) == [*UNREQUESTED, "MERGE"]


def test_only_a_submitted_request_blocks_fulfilment():
    assert not creates_fulfillment(_fo((11, 1, 1), request_status="SUBMITTED"))
    for status in ("UNSUBMITTED", "ACCEPTED", "CANCELLATION_REQUESTED", "CANCELLATION_REJECTED"):
        assert creates_fulfillment(_fo((11, 1, 1), request_status=status))


def test_submit_plans():
    fo = _fo((11, 2, 2), (12, 1, 1))
    whole = requests.plan_submit(fo, [])
    assert whole == requests.SubmitPlan({11: 2, 12: 1}, {}, in_place=True)
    part = requests.plan_submit(fo, [LineRequest(0, 11, 1)])
    assert part == requests.SubmitPlan({11: 1}, {11: 1, 12: 1}, in_place=True)
    incomplete = _fo((11, 2, 1), status="INCOMPLETE", request_status="CLOSED")
    assert requests.plan_submit(incomplete, []) == requests.SubmitPlan({11: 1}, {}, False)
    bad = requests.plan_submit(fo, [LineRequest(0, 11, 0)])
    assert isinstance(bad, list) and bad[0]["field"] == [
        "fulfillmentOrderLineItems",
        "0",
        "quantity",
    ]
    assert requests.submit_errors(fo, [fo], at_service=False)[0]["message"] == (
        requests.API_TYPE_REQUIRED
    )


def test_answers():
    submitted = _fo((11, 1, 1), request_status="SUBMITTED")
    assert (
        requests.answer_errors(submitted, requests.ACCEPT_FULFILLMENT, at_service=True, owned=True)
        == []
    )
    assert (
        requests.answer_errors(
            submitted, requests.ACCEPT_FULFILLMENT, at_service=True, owned=False
        )[0]["message"]
        == requests.NOT_THE_SERVICE
    )
    assert requests.answer_errors(submitted, requests.CLOSE, at_service=False, owned=True) == [
        {"field": None, "message": requests.API_TYPE_REQUIRED}
    ]
    assert requests.answer_errors(submitted, requests.CLOSE, at_service=True, owned=True) == [
        {"field": None, "message": requests.NOT_IN_PROGRESS}
    ]
    accepted = _fo((11, 1, 1), status="IN_PROGRESS", request_status="ACCEPTED")
    assert requests.answer_errors(accepted, requests.CLOSE, at_service=True, owned=True) == []
    assert requests.status_after(accepted, requests.ACCEPT_CANCELLATION, "CANCELLED") == (
        "CANCELLED"
    )
    assert requests.status_after(accepted, requests.CLOSE, "CLOSED") == "INCOMPLETE"


def test_assignment_filters_and_order_cancel_rule():
    closed = _fo((11, 1, 0), status="CLOSED", request_status="ACCEPTED")
    accepted = _fo((11, 1, 1), status="IN_PROGRESS", request_status="ACCEPTED")
    rejected = _fo((11, 1, 1), status="IN_PROGRESS", request_status="CANCELLATION_REJECTED")
    assert not requests.is_assigned_match(closed, None)
    assert not requests.is_assigned_match(closed, "FULFILLMENT_ACCEPTED")
    assert requests.is_assigned_match(accepted, "FULFILLMENT_ACCEPTED")
    assert requests.is_assigned_match(rejected, "FULFILLMENT_ACCEPTED")
    assert not requests.is_assigned_match(accepted, "FULFILLMENT_REQUESTED")
    assert requests.order_cancel_blocked([accepted], [True])
    assert not requests.order_cancel_blocked([accepted], [False])
    assert not requests.order_cancel_blocked([closed], [True])


def test_inventory_activate_errors():
    assert activate_errors("L", {"available": 1, "onHand": None}, already_active=False) == []
    both = activate_errors("L", {"available": 1, "onHand": 2}, already_active=False)
    assert [e["field"] for e in both] == [["available"], ["onHand"]]
    huge = activate_errors("L", {"available": None, "onHand": 10**9 + 1}, already_active=False)
    assert huge[0]["message"].endswith("between -1 billion and 1 billion.")
    active = activate_errors("L", {"available": None, "onHand": 5}, already_active=True)
    assert active == [
        {
            "field": ["onHand"],
            "message": "Not allowed to set an on_hand quantity when the item "
            "is already active at the location.",
        }
    ]
    assert activate_errors("L", {"available": None, "onHand": None}, already_active=True) == []
