"""Reading what Shopify sends: the `orders/cancelled` webhook body and the OrderCancellationState
and FulfillmentOrderRequestState queries. Pure: JSON in, values out; only the fields a
cancellation needs (no personal data)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cancellation.domain import (
    FulfillmentOrderRequestState,
    ShopifyFulfillmentOrder,
    ShopifyOrderState,
)

Json = Mapping[str, Any]


class PayloadError(ValueError):
    """The body lacks what a cancellation needs; retrying cannot fix it."""


@dataclass(frozen=True)
class SeenCancellation:
    """A Shopify order seen cancelled, by webhook or by order-intake."""

    order_gid: str
    order_name: str | None
    cancelled_at: datetime
    reason: str | None


def cancellation_from_webhook(body: Json, received_at: datetime) -> SeenCancellation:
    """The REST-shaped `orders/cancelled` body (snake_case, numeric id beside the GID)."""
    gid = body.get("admin_graphql_api_id")
    if not (isinstance(gid, str) and gid.startswith("gid://shopify/Order/")):
        number = body.get("id")
        if not (isinstance(number, int) or (isinstance(number, str) and number.isdigit())):
            raise PayloadError("orders/cancelled webhook without an order id")
        gid = f"gid://shopify/Order/{number}"
    cancelled_at = body.get("cancelled_at")
    name = body.get("name")
    reason = body.get("cancel_reason")
    return SeenCancellation(
        order_gid=gid,
        order_name=name if isinstance(name, str) else None,
        cancelled_at=_datetime(cancelled_at) if isinstance(cancelled_at, str) else received_at,
        reason=reason.upper() if isinstance(reason, str) else None,
    )


def order_state(data: Json) -> ShopifyOrderState | None:
    """The `data` of OrderCancellationState; None when Shopify has no such order (or hides it)."""
    node = data.get("order")
    if not node:
        return None
    try:
        connection = node.get("fulfillmentOrders") or {}
        cancelled_at = node.get("cancelledAt")
        return ShopifyOrderState(
            id=node["id"],
            name=node["name"],
            cancelled_at=_datetime(cancelled_at) if cancelled_at else None,
            staff_note=(node.get("cancellation") or {}).get("staffNote"),
            fulfillment_orders=tuple(
                ShopifyFulfillmentOrder(
                    id=fo["id"],
                    status=fo["status"],
                    location_id=((fo.get("assignedLocation") or {}).get("location") or {}).get(
                        "id"
                    ),
                )
                for fo in connection.get("nodes") or ()
            ),
            more_fulfillment_orders=bool((connection.get("pageInfo") or {}).get("hasNextPage")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PayloadError(f"not an OrderCancellationState answer: {exc!r}") from exc


def request_state(data: Json) -> FulfillmentOrderRequestState | None:
    """The `data` of FulfillmentOrderRequestState; None when Shopify has no such fulfillment
    order."""
    node = data.get("fulfillmentOrder")
    if not node:
        return None
    try:
        return FulfillmentOrderRequestState(
            id=node["id"], status=node["status"], request_status=node["requestStatus"]
        )
    except (KeyError, TypeError) as exc:
        raise PayloadError(f"not a FulfillmentOrderRequestState answer: {exc!r}") from exc


def _datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise PayloadError(f"timestamp without a timezone: {value!r}")
    return parsed
