"""Which `supportedActions` Shopify offers on a fulfillment order, from its state alone.

Shopify documents no action-per-state matrix; this follows the recorded responses
(captures/fulfillment-order-lifecycle.json, fulfillment-order-hold-multi-line.json) for
merchant-managed locations, the REST examples quoted in
shared/shopify/fulfillment_order_lifecycle.md §1 for fulfillment-service request states, and
live 2026-04 captures at a fulfillment-service location (shopify-draft-proxy
fulfillment-order-close-state: an UNSUBMITTED FO and an INCOMPLETE/CLOSED one both offer
REQUEST_FULFILLMENT, CREATE_FULFILLMENT, HOLD, MOVE, in that order).
The order of the list is the order Shopify returns them in.
"""

from __future__ import annotations

from collections.abc import Sequence

from shopify_sim.domain.order_status import FINAL_FO_STATUSES
from shopify_sim.state.models import FulfillmentOrder

# requestStatus -> actions while a fulfillment service holds the FO (digest §1, RB examples).
_ACTIONS_BY_REQUEST_STATUS: dict[str, list[str]] = {
    "SUBMITTED": ["CANCEL_FULFILLMENT_ORDER"],
    "ACCEPTED": ["CREATE_FULFILLMENT", "REQUEST_CANCELLATION"],
    "CANCELLATION_REQUESTED": ["CREATE_FULFILLMENT", "CANCEL_FULFILLMENT_ORDER"],
    "CANCELLATION_REJECTED": ["CREATE_FULFILLMENT"],
}


# Request statuses in which the work is back with the merchant at a service location: the
# merchant may request fulfillment (again), fulfil, hold or move.
_MERCHANT_REQUEST_STATUSES = frozenset({"UNSUBMITTED", "REJECTED", "CLOSED"})


def creates_fulfillment(fo: FulfillmentOrder) -> bool:
    """Whether the request status lets anyone create a fulfillment (SUBMITTED does not: the
    service has not accepted yet)."""
    pinned = _ACTIONS_BY_REQUEST_STATUS.get(fo.request_status)
    return pinned is None or "CREATE_FULFILLMENT" in pinned


def remaining_units(fo: FulfillmentOrder) -> int:
    return sum(line.remaining_quantity for line in fo.line_items)


def is_mergeable(fo: FulfillmentOrder) -> bool:
    """An FO whose unfulfilled units can join another FO (OPEN, untouched by a service)."""
    return (
        fo.status == "OPEN"
        and fo.request_status == "UNSUBMITTED"
        and not fo.progress_reported
        and not fo.holds
        and remaining_units(fo) > 0
    )


def merge_partners(fo: FulfillmentOrder, siblings: Sequence[FulfillmentOrder]) -> list[int]:
    """Ids of the order's other FOs this one could merge with: same location, both mergeable."""
    if not is_mergeable(fo):
        return []
    return [
        other.id
        for other in siblings
        if other.id != fo.id and other.location_id == fo.location_id and is_mergeable(other)
    ]


def supported_actions(
    fo: FulfillmentOrder, siblings: Sequence[FulfillmentOrder], *, at_service: bool = False
) -> list[str]:
    """`siblings`: all FOs of the same order (the FO itself may be among them); `at_service`:
    the FO is assigned to a fulfillment-service location."""
    if fo.status in FINAL_FO_STATUSES:
        return []
    if fo.request_status in _ACTIONS_BY_REQUEST_STATUS:
        return list(_ACTIONS_BY_REQUEST_STATUS[fo.request_status])
    if fo.status == "ON_HOLD":
        # captures: a held FO, split or not, offers exactly these three.
        return ["RELEASE_HOLD", "HOLD", "MOVE"]
    if fo.status == "SCHEDULED":
        return ["MARK_AS_OPEN"]
    if at_service and fo.request_status in _MERCHANT_REQUEST_STATUSES:
        service_actions = ["REQUEST_FULFILLMENT", "CREATE_FULFILLMENT", "HOLD", "MOVE"]
        if remaining_units(fo) > 1:
            service_actions.append("SPLIT")
        if merge_partners(fo, siblings):
            service_actions.append("MERGE")
        return service_actions
    if fo.progress_reported:
        # capture scheduleProgressOpenClose/reportProgress: no MOVE, MARK_AS_OPEN undoes it.
        return ["CREATE_FULFILLMENT", "REPORT_PROGRESS", "HOLD", "MARK_AS_OPEN"]
    actions = ["CREATE_FULFILLMENT", "REPORT_PROGRESS", "MOVE", "HOLD"]
    if remaining_units(fo) > 1:
        actions.append("SPLIT")
    if merge_partners(fo, siblings):
        actions.append("MERGE")
    return actions
