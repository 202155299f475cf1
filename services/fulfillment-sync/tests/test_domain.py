"""The pure decisions: planning a fulfillment, recognising our own, judging the FO, carriers."""

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from contracts import FulfillmentOrderLineRef, WmsOrderSent, WmsShipmentConfirmed
from fulfillment_sync.carriers import KNOWN_CARRIERS, shopify_carrier
from fulfillment_sync.domain import (
    AlreadyFulfilled,
    AwaitingAcceptance,
    CreateNow,
    ExistingFulfillment,
    FulfillmentOrderLine,
    FulfillmentOrderState,
    FulfillmentRequest,
    Reduction,
    Refusal,
    Wait,
    holding_of,
    judge,
    order_complete_after,
    plan_fulfillment,
)
from fulfillment_sync.settings import FulfillmentSyncSettings
from fulfillment_sync.shopify_fo import parse_fulfillment_order
from shopify_admin.reference import schema_path

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FO = "gid://shopify/FulfillmentOrder/10"
LINE_A = "gid://shopify/FulfillmentOrderLineItem/11"
LINE_B = "gid://shopify/FulfillmentOrderLineItem/12"
LINE_A2 = "gid://shopify/FulfillmentOrderLineItem/13"
ITEM_A = "gid://shopify/LineItem/21"
ITEM_B = "gid://shopify/LineItem/22"


def order(*lines: tuple[str, str, int]) -> WmsOrderSent:
    return WmsOrderSent(
        wms_order_ref="#1001",
        shopify_order_id="gid://shopify/Order/1",
        shopify_order_name="#1001",
        fulfillment_order_id=FO,
        facility="WH1",
        location_id="gid://shopify/Location/1",
        placed_at=NOW,
        sent_at=NOW,
        lines=[FulfillmentOrderLineRef(line_ref=r, sku=s, quantity=q) for r, s, q in lines],
    )


def shipment(
    *lines: tuple[str | None, str, int], numbers: tuple[str, ...] = ("1Z1",)
) -> WmsShipmentConfirmed:
    return WmsShipmentConfirmed(
        shipment_id="SHP-1",
        wms_order_ref="#1001",
        shipped_at=NOW,
        carrier="fedex",
        tracking_numbers=list(numbers),
        tracking_urls=[f"https://t/{n}" for n in numbers],
        lines=[{"line_ref": r, "sku": s, "quantity": q} for r, s, q in lines],
    )


ORDER = order((LINE_A, "ABC-1", 3), (LINE_B, "XYZ-9", 1))


def planned(plan: FulfillmentRequest | Refusal) -> FulfillmentRequest:
    assert isinstance(plan, FulfillmentRequest), plan
    return plan


def quantities(plan: FulfillmentRequest | Refusal) -> dict[str, int]:
    return planned(plan).quantities


# --- planning ----------------------------------------------------------------------------------


def test_lines_named_by_line_ref_become_the_fulfillment_lines_with_normalised_tracking() -> None:
    plan = plan_fulfillment(shipment((LINE_A, "ABC-1", 2), (LINE_B, "XYZ-9", 1)), ORDER, {})
    assert isinstance(plan, FulfillmentRequest)
    assert plan.fulfillment_order_id == FO
    assert plan.quantities == {LINE_A: 2, LINE_B: 1}
    assert plan.tracking.company == "FedEx"
    assert plan.tracking.numbers == ("1Z1",)
    assert plan.tracking.urls == ("https://t/1Z1",)


def test_lines_without_line_ref_are_matched_by_sku_across_lines_of_that_sku() -> None:
    two_lines = order((LINE_A, "ABC-1", 2), (LINE_A2, "ABC-1", 2), (LINE_B, "XYZ-9", 1))
    plan = plan_fulfillment(shipment((None, "ABC-1", 3)), two_lines, {LINE_A: 1})
    assert quantities(plan) == {LINE_A: 1, LINE_A2: 2}


def test_named_lines_take_their_units_before_sku_matching_fills_the_rest() -> None:
    two_lines = order((LINE_A, "ABC-1", 2), (LINE_A2, "ABC-1", 2))
    plan = plan_fulfillment(shipment((None, "ABC-1", 2), (LINE_A, "ABC-1", 1)), two_lines, {})
    assert quantities(plan) == {LINE_A: 2, LINE_A2: 1}


def test_a_second_partial_shipment_ships_the_rest_and_completes_the_order() -> None:
    first = plan_fulfillment(shipment((LINE_A, "ABC-1", 1)), ORDER, {})
    assert isinstance(first, FulfillmentRequest)
    assert not order_complete_after(ORDER, {}, first)
    second = plan_fulfillment(shipment((None, "ABC-1", 2), (None, "XYZ-9", 1)), ORDER, {LINE_A: 1})
    assert isinstance(second, FulfillmentRequest)
    assert second.quantities == {LINE_A: 2, LINE_B: 1}
    assert order_complete_after(ORDER, {LINE_A: 1}, second)


@pytest.mark.parametrize(
    ("lines", "before", "code", "words"),
    [
        ([(LINE_A, "ABC-1", 4)], {}, "over_fulfilment", "shipment has 4 x ABC-1 but only 3"),
        ([(None, "ABC-1", 2)], {LINE_A: 2}, "over_fulfilment", "only 1 of WMS order #1001"),
        ([(LINE_A2, "ABC-1", 1)], {}, "unknown_line", f"line {LINE_A2} (ABC-1) is not part"),
        ([(None, "NOPE-1", 1)], {}, "unknown_line", "SKU NOPE-1 is not part of WMS order #1001"),
    ],
)
def test_shipments_that_cannot_be_a_fulfillment_are_refused_with_the_reason(
    lines: list[tuple[str | None, str, int]], before: dict[str, int], code: str, words: str
) -> None:
    refusal = plan_fulfillment(shipment(*lines), ORDER, before)
    assert isinstance(refusal, Refusal)
    assert refusal.code == code
    assert words in refusal.reason


def test_repeated_and_blank_tracking_numbers_are_dropped() -> None:
    plan = plan_fulfillment(
        shipment((LINE_B, "XYZ-9", 1), numbers=("A1", " ", "A1", "B2")), ORDER, {}
    )
    assert isinstance(plan, FulfillmentRequest)
    assert plan.tracking.numbers == ("A1", "B2")


# --- carriers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wms", "shopify"),
    [
        ("UPS", "UPS"),
        ("ups", "UPS"),
        ("Fedex", "FedEx"),
        ("FED-EX", "FedEx"),
        ("Federal Express", "FedEx"),
        ("dhl express", "DHL Express"),
        ("DHL", "DHL Express"),
        ("usps", "USPS"),
        ("United States Postal Service", "USPS"),
        ("royal  mail", "Royal Mail"),
        ("postnl", "PostNL"),
        ("Canada Post", "Canada Post"),
        ("Speedy Local Couriers", "Speedy Local Couriers"),
        ("  ", None),
    ],
)
def test_carriers_are_spelt_as_shopify_knows_them(wms: str, shopify: str | None) -> None:
    assert shopify_carrier(wms) == shopify


def test_every_known_carrier_is_in_shopifys_list_of_tracking_companies() -> None:
    schema = schema_path().read_text()
    section = schema[schema.index("### Supported tracking companies") :]
    section = section[: section.index('"""')]
    listed = set(re.findall(r"^\s*\* (.+?)\s*$", section, re.MULTILINE))
    assert set(KNOWN_CARRIERS) <= listed, set(KNOWN_CARRIERS) - listed


# --- judging the fulfillment order as Shopify has it ---------------------------------------------


REQUEST = planned(plan_fulfillment(shipment((LINE_A, "ABC-1", 2)), ORDER, {}))
LINES = (
    FulfillmentOrderLine(LINE_A, ITEM_A, remaining_quantity=3),
    FulfillmentOrderLine(LINE_B, ITEM_B, remaining_quantity=1),
)


def fo(
    status: str = "OPEN",
    *fulfillments: ExistingFulfillment,
    order_cancelled: bool = False,
    hold_reasons: tuple[str, ...] = (),
    lines: tuple[FulfillmentOrderLine, ...] = LINES,
    all_fulfillments_read: bool = True,
) -> FulfillmentOrderState:
    return FulfillmentOrderState(
        id=FO,
        status=status,
        order_cancelled=order_cancelled,
        hold_reasons=hold_reasons,
        lines=lines,
        fulfillments=fulfillments,
        all_fulfillments_read=all_fulfillments_read,
    )


def fulfillment(id_: str, numbers: set[str], units: dict[str, int]) -> ExistingFulfillment:
    return ExistingFulfillment(
        id=f"gid://shopify/Fulfillment/{id_}",
        tracking_numbers=frozenset(numbers),
        quantities=units,
    )


def test_an_open_fo_with_enough_units_left_is_fulfilled() -> None:
    assert judge(fo(), REQUEST) == CreateNow()


def test_our_earlier_fulfillment_is_recognised_by_tracking_number_and_units() -> None:
    other = fulfillment("1", {"OTHER"}, {ITEM_A: 2})
    ours = fulfillment("2", {"1Z1"}, {ITEM_A: 2})
    assert judge(fo("IN_PROGRESS", other, ours), REQUEST) == AlreadyFulfilled(ours.id)
    # Once closed by our own fulfillment, it is still ours, not "closed".
    assert judge(fo("CLOSED", ours), REQUEST) == AlreadyFulfilled(ours.id)


def test_a_fulfillment_already_recorded_for_another_shipment_is_not_ours() -> None:
    twin = fulfillment("3", {"1Z1"}, {ITEM_A: 2})
    assert judge(fo("IN_PROGRESS", twin), REQUEST, {twin.id}) == CreateNow()


def test_same_tracking_with_other_units_is_someone_elses_fulfillment() -> None:
    assert judge(fo("IN_PROGRESS", fulfillment("4", {"1Z1"}, {ITEM_A: 1})), REQUEST) == CreateNow()


def test_without_tracking_numbers_only_an_untracked_fulfillment_of_the_same_units_matches() -> None:
    untracked = plan_fulfillment(shipment((LINE_A, "ABC-1", 2), numbers=()), ORDER, {})
    assert isinstance(untracked, FulfillmentRequest)
    tracked = fulfillment("5", {"X"}, {ITEM_A: 2})
    bare = fulfillment("6", set(), {ITEM_A: 2})
    assert judge(fo("IN_PROGRESS", tracked), untracked) == CreateNow()
    assert judge(fo("IN_PROGRESS", tracked, bare), untracked) == AlreadyFulfilled(bare.id)


@pytest.mark.parametrize(
    ("state", "verdict"),
    [
        (fo("CLOSED"), Refusal),
        (fo("CANCELLED"), Refusal),
        (fo("CLOSED", order_cancelled=True), Refusal),
        (fo("INCOMPLETE"), Refusal),
        (fo("ON_HOLD", hold_reasons=("awaiting payment",)), Wait),
        (fo("SCHEDULED"), Wait),
        (None, Refusal),
    ],
)
def test_fos_that_cannot_take_the_fulfillment_now(
    state: FulfillmentOrderState | None, verdict: type
) -> None:
    assert isinstance(judge(state, REQUEST), verdict)


def test_refusals_and_waits_say_why() -> None:
    assert judge(fo("CLOSED", order_cancelled=True), REQUEST) == Refusal(
        "cancelled", "the order is cancelled in Shopify"
    )
    assert judge(fo("ON_HOLD", hold_reasons=("fraud check",)), REQUEST) == Wait(
        "on hold in Shopify (fraud check)"
    )
    short = fo(lines=(FulfillmentOrderLine(LINE_A, ITEM_A, remaining_quantity=1),))
    assert judge(short, REQUEST) == Refusal(
        "over_fulfilment", "shipment has 2 x ABC-1 but Shopify has 1 left to fulfil on that line"
    )
    unread = fo("IN_PROGRESS", all_fulfillments_read=False)
    verdict = judge(unread, REQUEST)
    assert isinstance(verdict, Refusal) and verdict.code == "cannot_verify"


def test_retry_delays_grow_and_stop_growing() -> None:
    policy = FulfillmentSyncSettings(retry_base_s=1.0, retry_max_s=10.0).retry_policy
    assert [policy.after_failure(n) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert policy.after_failure(1000) == 10.0  # Shopify being down is never given up on


def test_reading_the_fulfillment_order_answer() -> None:
    data = {
        "fulfillmentOrder": {
            "id": FO,
            "status": "IN_PROGRESS",
            "order": {"cancelledAt": None},
            "fulfillmentHolds": [],
            "lineItems": {
                "nodes": [{"id": LINE_A, "remainingQuantity": 1, "lineItem": {"id": ITEM_A}}]
            },
            "fulfillments": {
                "nodes": [
                    {
                        "id": "gid://shopify/Fulfillment/7",
                        "trackingInfo": [{"number": "1Z1"}, {"number": None}],
                        "fulfillmentLineItems": {
                            "nodes": [{"quantity": 2, "lineItem": {"id": ITEM_A}}],
                            "pageInfo": {"hasNextPage": False},
                        },
                    }
                ],
                "pageInfo": {"hasNextPage": False},
            },
        }
    }
    state = parse_fulfillment_order(data)
    assert state == fo(
        "IN_PROGRESS",
        fulfillment("7", {"1Z1"}, {ITEM_A: 2}),
        lines=(FulfillmentOrderLine(LINE_A, ITEM_A, 1),),
    )
    assert parse_fulfillment_order({"fulfillmentOrder": None}) is None


# --- a facility connected as a fulfillment service: requests must be accepted first -----------


def at_service(
    request_status: str, status: str = "OPEN", *fulfillments: ExistingFulfillment
) -> FulfillmentOrderState:
    return replace(fo(status, *fulfillments), request_status=request_status)


def test_a_request_not_accepted_yet_at_a_service_is_waited_for() -> None:
    verdict = judge(at_service("SUBMITTED"), REQUEST, at_service=True)
    assert verdict == AwaitingAcceptance(
        "the fulfillment request is SUBMITTED in Shopify, not accepted yet: waiting for "
        "order-intake to accept it"
    )
    # Accepted (or with a cancellation asked or refused since): Shopify takes fulfillments.
    for accepted in ("ACCEPTED", "CANCELLATION_REQUESTED", "CANCELLATION_REJECTED"):
        assert judge(at_service(accepted, "IN_PROGRESS"), REQUEST, at_service=True) == CreateNow()
    # Our fulfillment landed while the answer was lost: ours whatever the request says now.
    ours = fulfillment("8", {"1Z1"}, {ITEM_A: 2})
    found = judge(at_service("SUBMITTED", "IN_PROGRESS", ours), REQUEST, at_service=True)
    assert found == AlreadyFulfilled(ours.id)


def test_a_rejected_request_at_a_service_is_refused_and_a_location_is_judged_as_before() -> None:
    verdict = judge(at_service("REJECTED"), REQUEST, at_service=True)
    assert isinstance(verdict, Refusal) and verdict.code == "request_rejected"
    # A merchant-managed location has no requests: its request status is not looked at.
    assert judge(at_service("SUBMITTED"), REQUEST) == CreateNow()


def test_the_request_status_is_read() -> None:
    data = {
        "fulfillmentOrder": {
            "id": FO,
            "status": "OPEN",
            "requestStatus": "SUBMITTED",
            "order": {"cancelledAt": None},
            "lineItems": {"nodes": []},
            "fulfillments": {"nodes": [], "pageInfo": {"hasNextPage": False}},
        }
    }
    state = parse_fulfillment_order(data)
    assert state is not None and state.request_status == "SUBMITTED"


def test_acceptance_rechecks_grow_and_stay_bounded() -> None:
    policy = FulfillmentSyncSettings(
        acceptance_recheck_base_s=2.0, acceptance_recheck_max_s=60.0
    ).acceptance_policy
    assert [policy.after_failure(n) for n in range(7)] == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert policy.after_failure(10_000) == 60.0  # never given up: the accept is on its way


# --- what a WMS order holds after order-intake changed it ---------------------------------------


def test_a_reduction_limits_shipments_and_completion_to_what_the_wms_order_still_holds() -> None:
    cut = holding_of(ORDER, Reduction(False, {LINE_A: 1}, NOW))
    assert cut.units == {LINE_A: 1, LINE_B: 0}
    refusal = plan_fulfillment(shipment((LINE_A, "ABC-1", 2)), ORDER, {}, cut)
    assert isinstance(refusal, Refusal) and refusal.code == "over_fulfilment"
    refused_b = plan_fulfillment(shipment((LINE_B, "XYZ-9", 1)), ORDER, {}, cut)
    assert isinstance(refused_b, Refusal) and refused_b.code == "over_fulfilment"
    plan = plan_fulfillment(shipment((None, "ABC-1", 1)), ORDER, {}, cut)
    assert isinstance(plan, FulfillmentRequest)
    assert order_complete_after(ORDER, {}, plan, cut)
    assert not order_complete_after(ORDER, {}, plan)  # as sent, two more ABC-1 and the XYZ-9


def test_a_reduction_older_than_the_send_is_of_an_earlier_send_and_never_adds_units() -> None:
    earlier = Reduction(False, {LINE_A: 1}, NOW - timedelta(seconds=1))
    assert holding_of(ORDER, earlier).units == {LINE_A: 3, LINE_B: 1}
    assert holding_of(ORDER, Reduction(False, {LINE_A: 9, LINE_B: 1}, NOW)).units == {
        LINE_A: 3,
        LINE_B: 1,
    }


def test_a_cancelled_wms_order_is_complete_and_still_fulfils_what_shipped_before() -> None:
    gone = holding_of(ORDER, Reduction(True, {}, NOW))
    assert gone.cancelled and gone.complete_with({})
    plan = plan_fulfillment(shipment((LINE_A, "ABC-1", 2)), ORDER, {}, gone)
    assert isinstance(plan, FulfillmentRequest) and plan.quantities == {LINE_A: 2}
