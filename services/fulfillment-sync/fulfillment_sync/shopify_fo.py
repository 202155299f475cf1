"""Reading the FULFILLMENT_ORDER query's answer (shopify_admin.operations) into domain types.

Pure: JSON in, dataclasses out.
"""

from collections.abc import Mapping
from typing import Any

from fulfillment_sync.domain import (
    ExistingFulfillment,
    FulfillmentOrderLine,
    FulfillmentOrderState,
)

Json = Mapping[str, Any]


class FulfillmentOrderParseError(ValueError):
    """The JSON is not the answer of a FULFILLMENT_ORDER query."""


def parse_fulfillment_order(data: Json) -> FulfillmentOrderState | None:
    """The `data` of a FULFILLMENT_ORDER answer; None when Shopify has no such FO."""
    node = data.get("fulfillmentOrder")
    if node is None:
        return None
    try:
        fulfillments = node.get("fulfillments") or {}
        return FulfillmentOrderState(
            id=node["id"],
            status=node["status"],
            order_cancelled=bool((node.get("order") or {}).get("cancelledAt")),
            request_status=node.get("requestStatus") or "UNSUBMITTED",
            hold_reasons=tuple(
                h.get("reasonNotes") or h.get("reason") or "OTHER"
                for h in node.get("fulfillmentHolds") or ()
            ),
            lines=tuple(
                FulfillmentOrderLine(
                    id=line["id"],
                    line_item_id=line["lineItem"]["id"],
                    remaining_quantity=int(line["remainingQuantity"]),
                )
                for line in (node.get("lineItems") or {}).get("nodes") or ()
            ),
            fulfillments=tuple(_fulfillment(f) for f in fulfillments.get("nodes") or ()),
            all_fulfillments_read=not _has_next_page(fulfillments),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FulfillmentOrderParseError(
            f"not a FulfillmentOrder answer: {type(exc).__name__}: {exc}"
        ) from exc


def _fulfillment(node: Json) -> ExistingFulfillment:
    lines = node.get("fulfillmentLineItems") or {}
    quantities: dict[str, int] = {}
    for line in lines.get("nodes") or ():
        line_item = line["lineItem"]["id"]
        quantities[line_item] = quantities.get(line_item, 0) + int(line["quantity"])
    return ExistingFulfillment(
        id=node["id"],
        tracking_numbers=frozenset(
            t["number"] for t in node.get("trackingInfo") or () if t.get("number")
        ),
        quantities=quantities,
        all_lines_read=not _has_next_page(lines),
    )


def _has_next_page(connection: Json) -> bool:
    return bool((connection.get("pageInfo") or {}).get("hasNextPage"))
