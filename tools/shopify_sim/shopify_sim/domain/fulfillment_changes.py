"""Rules for changing fulfillment orders after hand-off: move, split, merge, holds, progress.

Pure: each check takes the records and the mutation's input and answers with userErrors or a
plan of which FO line gives how many units; resolvers/fulfillment_changes.py applies plans.

Messages: copied from the captures where Shopify was recorded answering; otherwise Shopify's
own description of the error code (its enum reference), marked "enum wording"; where Shopify
documents the refusal but neither a message nor a code, the wording is the simulator's and
marked so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shopify_sim.domain.fulfillment_actions import is_mergeable, remaining_units
from shopify_sim.domain.order_status import FINAL_FO_STATUSES
from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.ids import gid_number
from shopify_sim.state.models import FulfillmentOrder

# fulfillmentOrderMerge: which FO keeps its id. The capture (residualSplitDeadlineMerge) merges
# [original, split-off] and answers with the original's id, which is both the first intent
# and the oldest FO; the docs are silent. "FIRST_INTENT" keeps the first intent's FO.
MERGE_SURVIVOR = "FIRST_INTENT"

# Releasing the hold that split an FO folds the untouched split-off FO back into it:
# capture holdRelease/releaseHold answers the held FO with its full quantity (2 of 2).
RELEASE_MERGES_SPLIT_BACK = True

# A partial move whose destination already has an active FO of the same order: the docs
# allow both "all line items can be moved to an existing fulfillment order" and "a new
# fulfillment order is created"; the simulator merges into the existing one.
MOVE_JOINS_EXISTING_DESTINATION_FO = True

# Request statuses that pin an FO to its fulfillment service (fulfillmentOrderMove docs).
MOVE_BLOCKING_REQUEST_STATUSES = frozenset(
    {"SUBMITTED", "ACCEPTED", "CANCELLATION_REQUESTED", "CANCELLATION_REJECTED"}
)
MAX_HOLDS_PER_APP = 10  # "Each app can place up to 10 active holds per fulfillment order"

# FO line item id -> units.
Units = dict[int, int]


@dataclass(frozen=True, slots=True)
class LineRequest:
    """One `FulfillmentOrderLineItemInput`, its place in the input, and what it names."""

    index: int
    line_id: int | None
    quantity: int


def line_requests(items: Sequence[Mapping[str, Any]] | None) -> list[LineRequest]:
    return [
        LineRequest(i, gid_number(item.get("id"), "FulfillmentOrderLineItem"), item["quantity"])
        for i, item in enumerate(items or [])
    ]


def all_remaining(fo: FulfillmentOrder) -> Units:
    return {line.id: line.remaining_quantity for line in fo.line_items if line.remaining_quantity}


def has_fulfilled_units(fo: FulfillmentOrder) -> bool:
    return any(line.remaining_quantity < line.total_quantity for line in fo.line_items)


def requested_units(
    fo: FulfillmentOrder,
    requests: Sequence[LineRequest],
    path: list[str],
    *,
    non_positive_code: str | None,
    invalid_code: str | None,
) -> Units | list[UserError]:
    """Units per FO line, or the first error: quantity ≤ 0, unknown line, too many units."""
    remaining = {line.id: line.remaining_quantity for line in fo.line_items}
    units: Units = {}
    for request in requests:
        at = [*path, str(request.index), "quantity"]
        if request.quantity <= 0:
            return [
                user_error(
                    at,
                    "The fulfillment order line item quantity must be greater than 0.",
                    non_positive_code,
                )
            ]
        if request.line_id not in remaining:
            return [
                user_error(at, "The fulfillment order line item quantity is invalid.", invalid_code)
            ]
        total = units.get(request.line_id, 0) + request.quantity
        if total > remaining[request.line_id]:
            return [
                user_error(at, "The fulfillment order line item quantity is invalid.", invalid_code)
            ]
        units[request.line_id] = total
    return units


# --- move ---------------------------------------------------------------------------------


# Live 2026-04 answers of fulfillmentOrderMove (shopify-draft-proxy capture
# fulfillment-order-move-validation): a closed FO, one with reported progress, a SUBMITTED one at
# a fulfillment service.
MOVE_CLOSED = "Cannot change location."
MOVE_PROGRESS_REPORTED = (
    "Cannot move a fulfillment order that has had progress reported. To move a fulfillment order "
    "that has had progress reported, the fulfillment order must first be marked as open "
    "resolving the ongoing progress state."
)
MOVE_SUBMITTED = "Cannot move submitted fulfillment order that is at a 3PL fulfillment service."


def move_errors(fo: FulfillmentOrder, new_location_id: int) -> list[UserError]:
    """The FO-level refusals of fulfillmentOrderMove, in the order the docs list them."""
    if fo.status in FINAL_FO_STATUSES:
        return [user_error(None, MOVE_CLOSED)]
    if fo.progress_reported:
        return [
            user_error(
                ["id"],
                MOVE_PROGRESS_REPORTED,
                "CANNOT_MOVE_FULFILLMENT_ORDER_WITH_REPORTED_PROGRESS",
            )
        ]
    if fo.request_status == "SUBMITTED":
        return [user_error(None, MOVE_SUBMITTED)]
    if fo.request_status in MOVE_BLOCKING_REQUEST_STATUSES:
        # simulator wording for the documented rule (only SUBMITTED's answer was recorded).
        return [
            user_error(
                None,
                "Cannot move a fulfillment order with request status "
                f"{fo.request_status.lower()} that is at a 3PL fulfillment service. Its "
                "cancellation must be requested and accepted first.",
            )
        ]
    if fo.location_id == new_location_id:
        # simulator wording: Shopify lists the current location as not movable (locationsForMove).
        return [
            user_error(
                ["newLocationId"], "The fulfillment order is already assigned to this location."
            )
        ]
    return []


def unstocked_error(sku: str | None) -> UserError:
    # simulator wording for "the destination location doesn't stock the requested item".
    return user_error(
        ["newLocationId"],
        f"The new location does not stock the inventory item{f' {sku}' if sku else ''}.",
    )


def is_whole_move(fo: FulfillmentOrder, units: Units) -> bool:
    """The FO moves as it is (keeps its id): nothing fulfilled and every unit requested."""
    return not has_fulfilled_units(fo) and units == all_remaining(fo)


def destination_fo(
    fo: FulfillmentOrder, siblings: Sequence[FulfillmentOrder], new_location_id: int
) -> FulfillmentOrder | None:
    """An active FO of the same order already at the destination that moved units can join."""
    if not MOVE_JOINS_EXISTING_DESTINATION_FO:
        return None
    return next(
        (
            other
            for other in siblings
            if other.id != fo.id and other.location_id == new_location_id and is_mergeable(other)
        ),
        None,
    )


# --- split ---------------------------------------------------------------------------------


def split_units(
    fo: FulfillmentOrder | None, split: Mapping[str, Any], index: int
) -> Units | list[UserError]:
    path = ["fulfillmentOrderSplits", str(index)]
    if fo is None:
        return [
            user_error(
                [*path, "fulfillmentOrderId"],
                "The fulfillment order could not be found.",  # enum wording
                "FULFILLMENT_ORDER_NOT_FOUND",
            )
        ]
    requests = line_requests(split.get("fulfillmentOrderLineItems"))
    if not requests:
        return [
            user_error(
                [*path, "fulfillmentOrderLineItems"],
                "The fulfillment order must have at least one line item input to split.",
                "NO_LINE_ITEMS_PROVIDED_TO_SPLIT",
            )
        ]
    if (
        fo.status not in ("OPEN", "IN_PROGRESS", "INCOMPLETE")
        or fo.request_status in MOVE_BLOCKING_REQUEST_STATUSES
    ):
        # simulator wording; Shopify would create a replacement FO here (not simulated).
        return [
            user_error(
                [*path, "fulfillmentOrderId"],
                f"The fulfillment order cannot be split in status {fo.status.lower()}.",
            )
        ]
    units = requested_units(
        fo,
        requests,
        [*path, "fulfillmentOrderLineItems"],
        non_positive_code="GREATER_THAN",
        invalid_code="INVALID_LINE_ITEM_QUANTITY",
    )
    if isinstance(units, list):
        return units
    if sum(units.values()) >= remaining_units(fo):
        # Splitting off every unit would leave an empty original: not a split.
        return [
            user_error(
                [*path, "fulfillmentOrderLineItems"],
                "The fulfillment order line item quantity is invalid.",
                "INVALID_LINE_ITEM_QUANTITY",
            )
        ]
    return units


# --- merge ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MergePlan:
    survivor: FulfillmentOrder
    # (absorbed FO, units it gives the survivor); the survivor's own intent is not listed.
    absorbed: list[tuple[FulfillmentOrder, Units]]


def plan_merge(
    intents: Sequence[Mapping[str, Any]],
    found: Sequence[FulfillmentOrder | None],
    input_index: int,
) -> MergePlan | list[UserError]:
    path = ["fulfillmentOrderMergeInputs", str(input_index), "mergeIntents"]
    pairs: list[tuple[FulfillmentOrder, Units]] = []
    for index, (intent, fo) in enumerate(zip(intents, found, strict=True)):
        at = [*path, str(index)]
        if fo is None:
            return [
                user_error(
                    [*at, "fulfillmentOrderId"],
                    "The fulfillment order could not be found.",  # enum wording
                    "FULFILLMENT_ORDER_NOT_FOUND",
                )
            ]
        requests = line_requests(intent.get("fulfillmentOrderLineItems"))
        units = (
            requested_units(
                fo,
                requests,
                [*at, "fulfillmentOrderLineItems"],
                non_positive_code="GREATER_THAN",
                invalid_code="INVALID_LINE_ITEM_QUANTITY",
            )
            if requests
            else all_remaining(fo)
        )
        if isinstance(units, list):
            return units
        pairs.append((fo, units))
    if len({fo.id for fo, _ in pairs}) < 2:
        # simulator wording: a merge needs two different FOs.
        return [user_error(path, "At least two fulfillment orders are required to merge.")]
    first = pairs[0][0]
    for fo, _ in pairs:
        if fo.order_id != first.order_id or fo.location_id != first.location_id:
            # simulator wording; fulfillmentOrdersForMerge lists only same-order, same-location FOs.
            return [
                user_error(
                    path,
                    "Fulfillment orders must belong to the same order and be assigned to the "
                    "same location to be merged.",
                )
            ]
        if not is_mergeable(fo):
            return [
                user_error(
                    path,
                    f"Fulfillment order {fo.id} cannot be merged in status {fo.status.lower()}.",
                )
            ]
    survivor = (
        first
        if MERGE_SURVIVOR == "FIRST_INTENT"
        else min((fo for fo, _ in pairs), key=lambda f: f.id)
    )
    return MergePlan(survivor, [(fo, units) for fo, units in pairs if fo.id != survivor.id])


# --- holds -----------------------------------------------------------------------------------


def hold_errors(fo: FulfillmentOrder, hold: Mapping[str, Any]) -> list[UserError] | Units | None:
    """userErrors, or the units to hold (None: the whole FO)."""
    if fo.status in FINAL_FO_STATUSES:
        return [
            user_error(
                ["id"], f"Fulfillment order {fo.id} has an unholdable status= {fo.status.lower()}."
            )
        ]
    requests = line_requests(hold.get("fulfillmentOrderLineItems"))
    lines_path = ["fulfillmentHold", "fulfillmentOrderLineItems"]
    if requests and fo.status == "ON_HOLD":
        return [
            user_error(
                lines_path,
                "The fulfillment order is not in a splittable state.",  # enum wording
                "FULFILLMENT_ORDER_NOT_SPLITTABLE",
            )
        ]
    if len(fo.holds) >= MAX_HOLDS_PER_APP:
        return [
            user_error(
                ["id"],
                "The maximum number of fulfillment holds for this fulfillment order has "
                "been reached for this app.",
                "FULFILLMENT_ORDER_HOLD_LIMIT_REACHED",
            )
        ]
    if hold.get("handle") and any(h.handle == hold["handle"] for h in fo.holds):
        return [
            user_error(
                ["fulfillmentHold", "handle"],
                "The handle provided for the fulfillment hold is already in use by this app "
                "for another hold on this fulfillment order.",
                "DUPLICATE_FULFILLMENT_HOLD_HANDLE",
            )
        ]
    if not requests:
        return None
    named = [r.line_id for r in requests]
    if len(set(named)) < len(named):
        return [
            user_error(
                lines_path,
                "The fulfillment order line items are not unique.",  # enum wording
                "DUPLICATED_FULFILLMENT_ORDER_LINE_ITEMS",
            )
        ]
    for request in requests:
        if request.quantity <= 0:
            return [
                user_error(
                    [*lines_path, str(request.index), "quantity"],
                    "You must select at least one item to place on partial hold.",
                    "GREATER_THAN_ZERO",
                )
            ]
    units = requested_units(
        fo,
        requests,
        lines_path,
        non_positive_code="GREATER_THAN_ZERO",
        invalid_code="INVALID_LINE_ITEM_QUANTITY",
    )
    return units


# --- progress ----------------------------------------------------------------------------------


def report_progress_errors(fo: FulfillmentOrder) -> list[UserError]:
    """Merchant-managed FOs report from OPEN or IN_PROGRESS (2026-04 changelog)."""
    if fo.status not in ("OPEN", "IN_PROGRESS") or fo.request_status != "UNSUBMITTED":
        return [
            user_error(
                ["id"],
                "The fulfillment order status is invalid.",  # enum wording
                "FULFILLMENT_ORDER_STATUS_INVALID",
            )
        ]
    return []


def open_errors(fo: FulfillmentOrder) -> list[UserError]:
    """fulfillmentOrderOpen: SCHEDULED, or (2026-01+) manually reported progress."""
    if fo.status == "SCHEDULED" or fo.progress_reported:
        return []
    # capture scheduleProgressOpenClose/openAgain
    return [
        user_error(
            None, f"Expected fulfillment order status to be valid but it was {fo.status.lower()}."
        )
    ]


def status_without_progress(fo: FulfillmentOrder) -> str:
    """What an FO is once reported progress is withdrawn: fulfilled units keep it IN_PROGRESS."""
    return "IN_PROGRESS" if has_fulfilled_units(fo) else "OPEN"
