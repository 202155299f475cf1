"""Reading the GraphQL `ShipbridgeOrder` fragment (shopify_admin.operations) into domain.Order.

Pure: JSON in, dataclasses out. Shopify's nullable fields stay None here; deciding what a
missing value means is domain.py's job.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from contracts.wms import ShippingMethod
from order_intake.domain import (
    FulfillmentHold,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Order,
    ShippingAddress,
)

Json = Mapping[str, Any]


class OrderParseError(ValueError):
    """The JSON is not a ShipbridgeOrder (a required field is missing or malformed)."""


def parse_order(node: Json) -> Order:
    """The whole order; refused when `node` holds only part of it (order_reads.complete_order
    reads the rest first: parsing part of an order would send part of it)."""
    if is_partial(node):
        raise OrderParseError("order read only in part: more fulfillment orders or lines")
    try:
        fulfillment_orders = node.get("fulfillmentOrders") or {}
        fo_nodes = [_fulfillment_order(fo) for fo in fulfillment_orders.get("nodes") or []]
        risk = node.get("risk") or {}
        return Order(
            id=node["id"],
            name=node["name"],
            created_at=_datetime(node["createdAt"]),
            updated_at=_datetime(node["updatedAt"]),
            processed_at=_datetime(node.get("processedAt") or node["createdAt"]),
            cancelled_at=_optional_datetime(node.get("cancelledAt")),
            cancel_reason=node.get("cancelReason"),
            test=bool(node.get("test")),
            financial_status=node.get("displayFinancialStatus"),
            fulfillment_status=node.get("displayFulfillmentStatus"),
            payment_gateways=tuple(node.get("paymentGatewayNames") or ()),
            tags=tuple(node.get("tags") or ()),
            note=node.get("note") or None,
            source_name=node.get("sourceName"),
            email=node.get("email"),
            risk_recommendation=risk.get("recommendation"),
            risk_levels=tuple(
                a["riskLevel"] for a in risk.get("assessments") or () if a.get("riskLevel")
            ),
            shipping_address=_address(node.get("shippingAddress")),
            shipping_method=_shipping_method(node.get("shippingLine")),
            fulfillment_orders=tuple(fo_nodes),
            closed=bool(node.get("closed")),
            billing_address=_address(node.get("billingAddress")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise OrderParseError(f"not a ShipbridgeOrder: {type(exc).__name__}: {exc}") from exc


def _fulfillment_order(node: Json) -> FulfillmentOrder:
    assigned = (node.get("assignedLocation") or {}).get("location") or {}
    line_items = node.get("lineItems") or {}
    return FulfillmentOrder(
        id=node["id"],
        status=node["status"],
        location_id=assigned.get("id"),
        fulfill_by=_optional_datetime(node.get("fulfillBy")),
        holds=tuple(
            FulfillmentHold(reason=h.get("reason") or "OTHER", notes=h.get("reasonNotes") or None)
            for h in node.get("fulfillmentHolds") or ()
        ),
        lines=tuple(_line(line) for line in line_items.get("nodes") or ()),
        request_status=node.get("requestStatus") or "UNSUBMITTED",
        updated_at=_optional_datetime(node.get("updatedAt")),
    )


def _line(node: Json) -> FulfillmentOrderLine:
    line_item = node.get("lineItem") or {}
    return FulfillmentOrderLine(
        id=node["id"],
        sku=line_item.get("sku") or None,
        title=line_item.get("name") or "",
        requires_shipping=bool(line_item.get("requiresShipping")),
        remaining_quantity=int(node["remainingQuantity"]),
        total_quantity=int(node.get("totalQuantity", node["remainingQuantity"])),
        line_item_id=line_item.get("id"),
    )


def _address(node: Json | None) -> ShippingAddress | None:
    if not node:
        return None
    return ShippingAddress(
        name=_text(node.get("name")),
        company=_text(node.get("company")),
        address1=_text(node.get("address1")),
        address2=_text(node.get("address2")),
        city=_text(node.get("city")),
        province_code=_text(node.get("provinceCode")),
        postal_code=_text(node.get("zip")),
        country_code=_text(node.get("countryCodeV2")),
        phone=_text(node.get("phone")),
    )


def _shipping_method(node: Json | None) -> ShippingMethod | None:
    if not node:
        return None
    return ShippingMethod(code=node.get("code") or "", title=node.get("title") or "")


def _text(value: Any) -> str | None:
    # Shopify sends "" as readily as null for an empty address field: both mean absent.
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None


def is_partial(node: Json) -> bool:
    """Whether Shopify has more fulfillment orders, or more lines of one, than `node` holds."""
    fulfillment_orders = node.get("fulfillmentOrders") or {}
    return has_next_page(fulfillment_orders) or any(
        has_next_page(fo.get("lineItems") or {})
        for fo in fulfillment_orders.get("nodes") or []
        if isinstance(fo, Mapping)
    )


def has_next_page(connection: Json) -> bool:
    return bool((connection.get("pageInfo") or {}).get("hasNextPage"))


def _datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a timezone: {value!r}")
    return parsed


def _optional_datetime(value: str | None) -> datetime | None:
    return _datetime(value) if value else None
