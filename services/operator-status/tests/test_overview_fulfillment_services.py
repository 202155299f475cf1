"""Facilities connected as Shopify fulfillment services on the status document and page:
a service missing, failing or deleted by an operator is a problem, as are rejected requests,
refused cancellations and answers Shopify did not take; requests waiting for the warehouse are
listed, not a problem. Pure, and it works with order-intake's sections absent or empty."""

from typing import Any

from operator_status.overview import overview
from operator_status.page import render

READY = {"up": True, "database": True, "broker": True, "dead_letters": {"open": 0, "recent": []}}
SHOP = "a.myshopify.com"


def intake(**section: Any) -> dict[str, dict[str, Any]]:
    return {"order-intake": {**READY, **section}}


def service(facility: str, state: str, problem: str | None, **more: Any) -> dict[str, Any]:
    return {"shop": SHOP, "facility": facility, "name": f"Acme {facility}", "state": state,
            "reason": None, "service_id": None, "location_id": None, "configured": True,
            "last_checked_at": "2026-11-22T10:00:00+00:00", "last_error": None,
            "problem": problem, **more}  # fmt: skip


def request(order: str, **more: Any) -> dict[str, Any]:
    return {"shop": SHOP, "order_name": order, "fulfillment_order_id": f"gid://shopify/FO/{order}",
            "wms_order_ref": order, "since": "2026-11-22T09:00:00+00:00", **more}  # fmt: skip


SERVICES = [
    service("WH2", "registered", None, service_id="gid://shopify/FulfillmentService/1",
            location_id="gid://shopify/Location/91"),
    service("WH3", "deleted_by_operator", "deleted by an operator; still in the shops file",
            service_id="gid://shopify/FulfillmentService/2"),
    service("WH4", "missing", "missing: fulfillmentServiceCreate refused: Name is reserved"),
]  # fmt: skip
REQUESTS = {
    "waiting_for_wms_count": 3,
    "waiting_for_wms": [request("#1001", facility="WH2"), request("#1002", facility="WH2")],
    "rejected": [request("#1003", reason="OTHER", message="SKU unknown at the warehouse")],
    "refused_cancellations": [request("#1004", reason=None, message="already picked")],
    "failed_answers": [request("#1005", kind="accept_fulfillment", reason="HTTP 503",
                               message="accepted by the warehouse")],
    "answer_worker": {"claimed": 4},
}  # fmt: skip


def test_missing_services_and_answered_requests_are_problems_waiting_ones_are_listed() -> None:
    doc = overview(intake(fulfillment_services=SERVICES, fulfillment_requests=REQUESTS))
    assert doc["healthy"] is False
    by_kind = {p["kind"]: p for p in doc["problems"]}
    assert set(by_kind) == {
        "fulfillment_services",
        "rejected_requests",
        "refused_cancellations",
        "failed_request_answers",
    }
    services = by_kind["fulfillment_services"]
    assert services["title"] == "2 fulfillment services not registered as configured"
    assert [(r["facility"], r["problem"]) for r in services["rows"]] == [
        ("WH3", "deleted by an operator; still in the shops file"),
        ("WH4", "missing: fulfillmentServiceCreate refused: Name is reserved"),
    ]
    [rejected] = by_kind["rejected_requests"]["rows"]
    assert (rejected["order"], rejected["reason"], rejected["message"]) == (
        "#1003", "OTHER", "SKU unknown at the warehouse",
    )  # fmt: skip
    assert by_kind["refused_cancellations"]["title"] == (
        "1 cancellation request the warehouse refused"
    )
    [failed] = by_kind["failed_request_answers"]["rows"]
    assert (failed["answer"], failed["reason"]) == ("accept fulfillment", "HTTP 503")

    assert [s["facility"] for s in doc["fulfillment_services"]] == ["WH2", "WH3", "WH4"]
    assert doc["fulfillment_services"][0]["location_id"] == "gid://shopify/Location/91"
    waiting = doc["requests_waiting_for_wms"]
    assert waiting["count"] == 3
    assert [r["order"] for r in waiting["oldest"]] == ["#1001", "#1002"]

    page = render(doc, "2026-11-22T10:00:00Z")
    assert page.index("id='problems'") < page.index("id='fulfillment-services'")
    assert "data-kind='fulfillment_services'" in page
    assert "gid://shopify/Location/91" in page
    assert "<td class='ok'>registered</td>" in page
    assert "<td class='bad'>deleted by operator</td>" in page
    assert "3 fulfillment requests waiting for the warehouse" in page


def test_only_waiting_requests_and_registered_services_are_healthy() -> None:
    requests = {"waiting_for_wms": [request("#1001")], "rejected": [], "failed_answers": []}
    doc = overview(intake(fulfillment_services=SERVICES[:1], fulfillment_requests=requests))
    assert doc["healthy"] is True, doc["problems"]
    assert doc["requests_waiting_for_wms"]["count"] == 1
    assert "1 fulfillment request waiting for the warehouse" in render(doc, "2026-11-22T10:00:00Z")


def test_without_fulfillment_services_nothing_changes() -> None:
    for section in ({}, {"fulfillment_services": [], "fulfillment_requests": {}}):
        doc = overview(intake(**section))
        assert doc["healthy"] is True
        assert doc["fulfillment_services"] == []
        assert doc["requests_waiting_for_wms"] == {"count": 0, "oldest": []}
        assert "id='fulfillment-services'" not in render(doc, "2026-11-22T10:00:00Z")
    down = overview({"order-intake": {"up": False, "error": "refused"}})
    assert down["fulfillment_services"] == []
    assert "id='fulfillment-services'" not in render(down, "2026-11-22T10:00:00Z")


def test_a_service_no_longer_configured_is_shown_without_a_problem() -> None:
    gone = service("OLD", "registered", None, configured=False)
    doc = overview(intake(fulfillment_services=[gone]))
    assert doc["healthy"] is True
    assert doc["fulfillment_services"][0]["facility"] == "OLD"
