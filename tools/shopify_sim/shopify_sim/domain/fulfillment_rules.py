"""fulfillmentCreate's checks, in the order Shopify applies them (see captures)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shopify_sim.domain.fulfillment_actions import creates_fulfillment
from shopify_sim.domain.order_status import FULFILLABLE_FO_STATUSES
from shopify_sim.domain.user_errors import UserError, user_error
from shopify_sim.ids import gid_number
from shopify_sim.state.models import FulfillmentOrder, FulfillmentOrderLineItem


@dataclass(frozen=True, slots=True)
class FulfilmentPlan:
    """What a valid fulfillmentCreate will take from which FO lines."""

    order_id: int
    location_id: int
    takes: list[tuple[FulfillmentOrder, FulfillmentOrderLineItem, int]]


def plan_fulfilment(
    groups: Sequence[Mapping[str, Any]], fulfillment_orders: Mapping[int, FulfillmentOrder]
) -> FulfilmentPlan | list[UserError]:
    errors = _non_positive_quantities(groups)
    if errors:
        return errors
    found: list[tuple[FulfillmentOrder, Mapping[str, Any]]] = []
    for group in groups:
        fo_number = gid_number(group.get("fulfillmentOrderId"), "FulfillmentOrder")
        fo = fulfillment_orders.get(fo_number) if fo_number is not None else None
        if fo is None:
            return [user_error(["fulfillment"], "Fulfillment order does not exist.")]
        found.append((fo, group))
    order_ids = sorted({fo.order_id for fo, _ in found})
    if len(order_ids) > 1:
        return [
            user_error(
                ["fulfillment"],
                "All fulfillment orders must belong to the same order. "
                f"Multiple orders with ids [{', '.join(map(str, order_ids))}] were found.",
            )
        ]
    location_ids = sorted({fo.location_id for fo, _ in found})
    if len(location_ids) > 1:
        return [
            user_error(
                ["fulfillment"],
                "All fulfillment orders must be assigned to a single location. "
                f"Multiple locations with ids [{', '.join(map(str, location_ids))}] were found.",
            )
        ]
    for fo, _ in found:
        if fo.status not in FULFILLABLE_FO_STATUSES:
            # Not in the captures; the wording Shopify uses for FOs it will not fulfil.
            return [
                user_error(
                    ["fulfillment"],
                    f"Fulfillment order {fo.id} has an unfulfillable status= {fo.status.lower()}.",
                )
            ]
        if not creates_fulfillment(fo):
            # A request the service has not accepted yet (supportedActions offers no
            # CREATE_FULFILLMENT); simulator wording in the style of the status refusal above.
            return [
                user_error(
                    ["fulfillment"],
                    f"Fulfillment order {fo.id} has an unfulfillable request status= "
                    f"{fo.request_status.lower()}.",
                )
            ]
    takes: list[tuple[FulfillmentOrder, FulfillmentOrderLineItem, int]] = []
    for fo, group in found:
        requested = group.get("fulfillmentOrderLineItems")
        if not requested:
            takes.extend(
                (fo, line, line.remaining_quantity)
                for line in fo.line_items
                if line.remaining_quantity
            )
            continue
        by_id = {line.id: line for line in fo.line_items}
        for item in requested:
            line_number = gid_number(item.get("id"), "FulfillmentOrderLineItem")
            line = by_id.get(line_number) if line_number is not None else None
            if line is None:
                return [user_error(["fulfillment"], "Fulfillment order line item does not exist.")]
            if item["quantity"] > line.remaining_quantity:
                return [
                    user_error(
                        ["fulfillment"], "Invalid fulfillment order line item quantity requested."
                    )
                ]
            takes.append((fo, line, int(item["quantity"])))
    if not takes:
        return [
            user_error(["fulfillment"], "Invalid fulfillment order line item quantity requested.")
        ]
    return FulfilmentPlan(order_id=order_ids[0], location_id=location_ids[0], takes=takes)


def _non_positive_quantities(groups: Sequence[Mapping[str, Any]]) -> list[UserError]:
    errors = []
    for group_index, group in enumerate(groups):
        for line_index, item in enumerate(group.get("fulfillmentOrderLineItems") or []):
            if item.get("quantity", 0) <= 0:
                errors.append(
                    user_error(
                        [
                            "fulfillment",
                            "lineItemsByFulfillmentOrder",
                            str(group_index),
                            "fulfillmentOrderLineItems",
                            str(line_index),
                            "quantity",
                        ],
                        "Quantity must be greater than 0",
                    )
                )
    return errors


def tracking_entries(
    tracking: Mapping[str, Any] | None,
) -> list[tuple[str | None, str | None, str | None]]:
    """(company, number, url) per tracking number; `numbers`/`urls` win over the singulars."""
    if not tracking:
        return []
    company = tracking.get("company")
    numbers = list(
        tracking.get("numbers") or ([tracking["number"]] if tracking.get("number") else [])
    )
    urls = list(tracking.get("urls") or ([tracking["url"]] if tracking.get("url") else []))
    if not numbers:
        return [(company, None, urls[0] if urls else None)] if (company or urls) else []
    return [
        (company, number, urls[i] if i < len(urls) else None) for i, number in enumerate(numbers)
    ]
