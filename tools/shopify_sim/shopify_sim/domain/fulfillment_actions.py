"""Which `supportedActions` Shopify offers on a fulfillment order, from its state alone.

Shopify documents no action-per-state matrix; this follows the recorded responses
(captures/fulfillment-order-lifecycle.json, fulfillment-order-hold-multi-line.json) for
merchant-managed locations and the REST examples quoted in
shared/shopify/fulfillment_order_lifecycle.md §1 for fulfillment-service request states.
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


def supported_actions(fo: FulfillmentOrder, siblings: Sequence[FulfillmentOrder]) -> list[str]:
    """`siblings`: all FOs of the same order (the FO itself may be among them)."""
    if fo.status in FINAL_FO_STATUSES:
        return []
    if fo.request_status in _ACTIONS_BY_REQUEST_STATUS:
        return list(_ACTIONS_BY_REQUEST_STATUS[fo.request_status])
    if fo.status == "ON_HOLD":
        # captures: a held FO, split or not, offers exactly these three.
        return ["RELEASE_HOLD", "HOLD", "MOVE"]
    if fo.status == "SCHEDULED":
        return ["MARK_AS_OPEN"]
    if fo.progress_reported:
        # capture scheduleProgressOpenClose/reportProgress: no MOVE, MARK_AS_OPEN undoes it.
        return ["CREATE_FULFILLMENT", "REPORT_PROGRESS", "HOLD", "MARK_AS_OPEN"]
    actions = ["CREATE_FULFILLMENT", "REPORT_PROGRESS", "MOVE", "HOLD"]
    if remaining_units(fo) > 1:
        actions.append("SPLIT")
    if merge_partners(fo, siblings):
        actions.append("MERGE")
    return actions
