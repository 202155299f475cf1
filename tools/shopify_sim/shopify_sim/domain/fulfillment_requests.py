"""The fulfillment-service protocol on a fulfillment order: the merchant's requests, the service's
answers, and which fulfillment orders a service sees (assignedFulfillmentOrders).

Pure: each check takes the records and answers with userErrors or a plan; the resolvers in
resolvers/fulfillment_requests.py apply them.

Sources (shared/shopify/fulfillment_order_lifecycle.md §1 and §7 for the transitions):
- "The fulfillment order's assigned fulfillment service must be of api type": Shopify's answer to
  a request at a merchant-managed location (live captures: fulfillmentOrderSubmitFulfillmentRequest
  with field ["id"], fulfillmentOrderClose with field null).
- "The fulfillment order is not in an in progress state.": fulfillmentOrderClose on an OPEN
  fulfillment order at a service location (recorded in the shopify-draft-proxy notes, field not
  recorded; null here as in the other close refusal).
- Every other wrong-state refusal: Shopify documents the rule but no message; the wording is the
  simulator's (marked "simulator wording"), always on ["id"].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shopify_sim.domain import fulfillment_actions
from shopify_sim.domain.fulfillment_changes import (
    LineRequest,
    Units,
    all_remaining,
    requested_units,
    status_without_progress,
)
from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.state.models import FulfillmentOrder

API_TYPE_REQUIRED = "The fulfillment order's assigned fulfillment service must be of api type"
NOT_IN_PROGRESS = "The fulfillment order is not in an in progress state."
# simulator wording: Shopify scopes these mutations to the app that manages the location.
NOT_THE_SERVICE = "The fulfillment order is not assigned to a fulfillment service of this app."

# Request statuses in which a fulfillment service holds the work; orderCancel waits for them.
HELD_BY_SERVICE = frozenset({"ACCEPTED", "CANCELLATION_REQUESTED", "CANCELLATION_REJECTED"})

# FulfillmentOrderAssignmentStatus -> the request statuses it selects (enum descriptions).
# FULFILLMENT_ACCEPTED ("fulfillments can be created") includes a rejected cancellation: the
# request is still accepted and the service still has to ship it (simulator reading).
ASSIGNMENT_STATUSES: dict[str, frozenset[str]] = {
    "FULFILLMENT_REQUESTED": frozenset({"SUBMITTED"}),
    "FULFILLMENT_ACCEPTED": frozenset({"ACCEPTED", "CANCELLATION_REJECTED"}),
    "CANCELLATION_REQUESTED": frozenset({"CANCELLATION_REQUESTED"}),
    "FULFILLMENT_UNSUBMITTED": frozenset({"UNSUBMITTED"}),
}


def is_assigned_match(fo: FulfillmentOrder, assignment_status: str | None) -> bool:
    """assignedFulfillmentOrders returns "all assigned fulfillment orders (except those with the
    CLOSED status)" without a filter; a filter keeps CLOSED ones out too (there is no work left)."""
    if fo.status == "CLOSED":
        return False
    if assignment_status is None:
        return True
    return fo.request_status in ASSIGNMENT_STATUSES[assignment_status]


def order_cancel_blocked(fos: Sequence[FulfillmentOrder], at_service: Sequence[bool]) -> bool:
    """INFERENCE (Shopify's docs are silent, digest §8): orderCancel is refused while a
    fulfillment service holds an FO of the order (accepted, or a cancellation pending or
    rejected). The admin hides "Cancel order" then and asks for a cancellation request first."""
    return any(
        service
        and fo.request_status in HELD_BY_SERVICE
        and fo.status not in ("CLOSED", "CANCELLED")
        for fo, service in zip(fos, at_service, strict=True)
    )


# --- the merchant's side -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubmitPlan:
    """Which units go to the service and whether they stay on the request's FO.

    `in_place`: the FO itself becomes SUBMITTED with `submitted` (the rest, if any, moves to a new
    UNSUBMITTED FO). Otherwise (an INCOMPLETE FO, which the payload docs name as an exception)
    the submitted units move to a new FO and the original keeps only what was fulfilled.
    """

    submitted: Units
    rest: Units
    in_place: bool


def submit_errors(
    fo: FulfillmentOrder, siblings: Sequence[FulfillmentOrder], *, at_service: bool
) -> list[UserError]:
    if not at_service:
        return [user_error(["id"], API_TYPE_REQUIRED)]
    if "REQUEST_FULFILLMENT" not in fulfillment_actions.supported_actions(
        fo, siblings, at_service=True
    ):
        # simulator wording: the FO does not offer REQUEST_FULFILLMENT in this state.
        return [
            user_error(
                ["id"],
                "Cannot request fulfillment for a fulfillment order with status "
                f"{fo.status.lower()} and request status {fo.request_status.lower()}.",
            )
        ]
    return []


def plan_submit(
    fo: FulfillmentOrder, requests: Sequence[LineRequest]
) -> SubmitPlan | list[UserError]:
    """Blank lines request "all line items of the fulfillment order"."""
    remaining = all_remaining(fo)
    if requests:
        units = requested_units(
            fo,
            requests,
            ["fulfillmentOrderLineItems"],
            non_positive_code=None,
            invalid_code=None,
        )
        if isinstance(units, list):
            return units
    else:
        units = dict(remaining)
    rest = {line: quantity - units.get(line, 0) for line, quantity in remaining.items()}
    rest = {line: quantity for line, quantity in rest.items() if quantity}
    return SubmitPlan(submitted=units, rest=rest, in_place=fo.status != "INCOMPLETE")


def cancellation_request_errors(
    fo: FulfillmentOrder, siblings: Sequence[FulfillmentOrder], *, at_service: bool
) -> list[UserError]:
    if not at_service:
        return [user_error(["id"], API_TYPE_REQUIRED)]
    if "REQUEST_CANCELLATION" not in fulfillment_actions.supported_actions(
        fo, siblings, at_service=True
    ):
        # simulator wording: only an accepted request can be asked to be cancelled.
        return [
            user_error(
                ["id"],
                "Cannot request cancellation for a fulfillment order with request status "
                f"{fo.request_status.lower()}.",
            )
        ]
    return []


# --- the service's answers -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """One of the service's answers: when it is valid and what it makes of the FO."""

    name: str  # how the simulator's refusal names it
    expects: frozenset[str]  # request statuses it answers
    statuses: frozenset[str]  # FO statuses it is valid in
    request_status: str  # the request status afterwards
    topic: str  # the webhook it raises
    response_kind: str  # how the merchant's side records it (state inspection)
    # fulfillmentOrderClose's refusals carry a null field (capture); the others ["id"].
    field: tuple[str, ...] | None = ("id",)


ACCEPT_FULFILLMENT = Answer(
    "accept a fulfillment request",
    frozenset({"SUBMITTED"}),
    frozenset({"OPEN", "IN_PROGRESS"}),
    "ACCEPTED",
    "fulfillment_orders/fulfillment_request_accepted",
    "FULFILLMENT_REQUEST_ACCEPTED",
)
REJECT_FULFILLMENT = Answer(
    "reject a fulfillment request",
    frozenset({"SUBMITTED"}),
    frozenset({"OPEN", "IN_PROGRESS"}),
    "REJECTED",
    "fulfillment_orders/fulfillment_request_rejected",
    "FULFILLMENT_REQUEST_REJECTED",
)
ACCEPT_CANCELLATION = Answer(
    "accept a cancellation request",
    frozenset({"CANCELLATION_REQUESTED"}),
    frozenset({"IN_PROGRESS"}),
    "CANCELLATION_ACCEPTED",
    "fulfillment_orders/cancellation_request_accepted",
    "CANCELLATION_REQUEST_ACCEPTED",
)
REJECT_CANCELLATION = Answer(
    "reject a cancellation request",
    frozenset({"CANCELLATION_REQUESTED"}),
    frozenset({"IN_PROGRESS"}),
    "CANCELLATION_REJECTED",
    "fulfillment_orders/cancellation_request_rejected",
    "CANCELLATION_REQUEST_REJECTED",
)
# "Assigned to a fulfillment service location, the fulfillment request has been accepted, the
# fulfillment order status is IN_PROGRESS" (fulfillmentOrderClose docs); a rejected
# cancellation leaves the request accepted.
CLOSE = Answer(
    "close",
    frozenset({"ACCEPTED", "CANCELLATION_REJECTED"}),
    frozenset({"IN_PROGRESS"}),
    "CLOSED",
    "fulfillment_orders/fulfillment_service_failed_to_complete",
    "CLOSED",
    field=None,
)


def answer_errors(
    fo: FulfillmentOrder, answer: Answer, *, at_service: bool, owned: bool
) -> list[UserError]:
    field = list(answer.field) if answer.field is not None else None
    if not at_service:
        return [user_error(field, API_TYPE_REQUIRED)]
    if not owned:
        return [user_error(["id"], NOT_THE_SERVICE)]
    if answer is CLOSE and fo.status != "IN_PROGRESS":
        return [user_error(field, NOT_IN_PROGRESS)]
    if fo.request_status not in answer.expects or fo.status not in answer.statuses:
        # simulator wording
        return [
            user_error(
                field,
                f"Cannot {answer.name} for a fulfillment order with status {fo.status.lower()} "
                f"and request status {fo.request_status.lower()}.",
            )
        ]
    return []


def status_after(fo: FulfillmentOrder, answer: Answer, cancellation_accepted_status: str) -> str:
    """The FO's status once the answer applies (digest §1; close: INCOMPLETE as captured)."""
    if answer is ACCEPT_FULFILLMENT or answer is REJECT_CANCELLATION:
        return "IN_PROGRESS"
    if answer is REJECT_FULFILLMENT:
        return status_without_progress(fo)
    if answer is ACCEPT_CANCELLATION:
        return cancellation_accepted_status
    return "INCOMPLETE"


def rejected_line_errors(
    fo: FulfillmentOrder, line_numbers: Sequence[int | None]
) -> list[UserError]:
    """fulfillmentOrderRejectFulfillmentRequest(lineItems:) must name this FO's lines.

    simulator wording: Shopify documents the argument, not its refusal."""
    own = {line.id for line in fo.line_items}
    for index, number in enumerate(line_numbers):
        if number not in own:
            return [
                user_error(
                    ["lineItems", str(index), "fulfillmentOrderLineItemId"],
                    "The fulfillment order line item does not belong to the fulfillment order.",
                )
            ]
    return []
