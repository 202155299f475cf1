"""Typed front doors to the mutations in `operations.py`.

Each `*_variables` function is pure (builds the exact variables Shopify
expects) and each async helper sends them and returns a `MutationResult`:
userErrors are data for the caller to act on, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from shopify_admin.operations import (
    FULFILLMENT_CREATE,
    FULFILLMENT_ORDER_HOLD,
    FULFILLMENT_ORDER_RELEASE_HOLD,
    INVENTORY_SET_QUANTITIES,
    MAX_PAGE_SIZE,
    ORDER_CANCEL,
    WEBHOOK_SUBSCRIPTION_CREATE,
    Operation,
)
from shopify_admin.pagination import GraphQLExecutor
from shopify_admin.results import MutationResult

__all__ = [
    "FulfillmentLine",
    "MutationExecutor",
    "QuantitySetting",
    "Tracking",
    "cancel_order",
    "cancel_order_variables",
    "create_fulfillment",
    "create_webhook_subscription",
    "fulfillment_create_variables",
    "hold_fulfillment_order",
    "inventory_set_quantities_variables",
    "release_fulfillment_order_hold",
    "set_inventory_quantities",
    "webhook_topic",
]

STAFF_NOTE_MAX_LENGTH = 255  # Shopify's limit on orderCancel's staffNote

OrderCancelReason = Literal["CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"]
FulfillmentHoldReason = Literal[
    "AWAITING_PAYMENT",
    "HIGH_RISK_OF_FRAUD",
    "INCORRECT_ADDRESS",
    "INVENTORY_OUT_OF_STOCK",
    "UNKNOWN_DELIVERY_DATE",
    "ONLINE_STORE_POST_PURCHASE_CROSS_SELL",
    "AWAITING_RETURN_ITEMS",
    "OTHER",
]
QuantityName = Literal["available", "on_hand"]


class MutationExecutor(Protocol):
    async def execute_mutation(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> MutationResult: ...


class ShopifyExecutor(GraphQLExecutor, MutationExecutor, Protocol):
    """What a worker that reads and writes needs of a shop's client (ShopifyClient is one)."""


@dataclass(frozen=True)
class FulfillmentLine:
    """A quantity of one fulfillment order line item (`gid://shopify/FulfillmentOrderLineItem/…`)."""

    fulfillment_order_line_item_id: str
    quantity: int


@dataclass(frozen=True)
class Tracking:
    company: str | None = None
    numbers: Sequence[str] = ()
    urls: Sequence[str] = ()


def fulfillment_create_variables(
    lines_by_fulfillment_order: Mapping[str, Sequence[FulfillmentLine] | None],
    *,
    tracking: Tracking | None,
    notify_customer: bool,
    message: str | None = None,
) -> dict[str, Any]:
    """Variables for FULFILLMENT_CREATE.

    `None` lines for a fulfillment order fulfil all of its remaining items;
    a subset makes a partial fulfillment. All fulfillment orders must belong
    to one order and one location (Shopify refuses otherwise).
    """
    if not lines_by_fulfillment_order:
        raise ValueError("a fulfillment needs at least one fulfillment order")
    groups: list[dict[str, Any]] = []
    for fulfillment_order_id, lines in lines_by_fulfillment_order.items():
        group: dict[str, Any] = {"fulfillmentOrderId": fulfillment_order_id}
        if lines is not None:
            if any(line.quantity <= 0 for line in lines):
                raise ValueError("fulfillment quantities must be positive")
            group["fulfillmentOrderLineItems"] = [
                {"id": line.fulfillment_order_line_item_id, "quantity": line.quantity}
                for line in lines
            ]
        groups.append(group)
    fulfillment: dict[str, Any] = {
        "lineItemsByFulfillmentOrder": groups,
        "notifyCustomer": notify_customer,
    }
    if tracking is not None:
        fulfillment["trackingInfo"] = _tracking_input(tracking)
    return {"fulfillment": fulfillment, "message": message}


def _tracking_input(tracking: Tracking) -> dict[str, Any]:
    # Always the plural fields: Shopify wants either number/url or numbers/urls,
    # and the plural form carries one or many alike.
    tracking_input: dict[str, Any] = {}
    if tracking.company:
        tracking_input["company"] = tracking.company
    if tracking.numbers:
        tracking_input["numbers"] = list(tracking.numbers)
    if tracking.urls:
        tracking_input["urls"] = list(tracking.urls)
    return tracking_input


async def create_fulfillment(
    client: MutationExecutor,
    lines_by_fulfillment_order: Mapping[str, Sequence[FulfillmentLine] | None],
    *,
    tracking: Tracking | None = None,
    notify_customer: bool = False,
    message: str | None = None,
) -> MutationResult:
    """fulfillmentCreate. Not retried after an ambiguous failure: on
    ShopifyUnavailable(may_have_executed=True) read the fulfillment order back
    (FULFILLMENT_ORDER) before creating again."""
    variables = fulfillment_create_variables(
        lines_by_fulfillment_order,
        tracking=tracking,
        notify_customer=notify_customer,
        message=message,
    )
    return await client.execute_mutation(FULFILLMENT_CREATE, variables)


async def hold_fulfillment_order(
    client: MutationExecutor,
    fulfillment_order_id: str,
    *,
    handle: str,
    reason: FulfillmentHoldReason,
    reason_notes: str | None = None,
    notify_merchant: bool = False,
) -> MutationResult:
    """Hold a whole fulfillment order. `handle` must be stable for the cause of
    the hold (e.g. "shipbridge-fraud-risk"): it is what makes a repeat harmless."""
    if not handle.strip():
        raise ValueError("a hold needs a non-empty handle")
    return await client.execute_mutation(
        FULFILLMENT_ORDER_HOLD,
        {
            "id": fulfillment_order_id,
            "handle": handle,
            "reason": reason,
            "reasonNotes": reason_notes,
            "notifyMerchant": notify_merchant,
        },
    )


async def release_fulfillment_order_hold(
    client: MutationExecutor,
    fulfillment_order_id: str,
    *,
    hold_ids: Sequence[str],
    external_id: str | None = None,
) -> MutationResult:
    """Release the given holds only (never "all holds", which would also
    release holds placed by the merchant or other apps)."""
    if not hold_ids:
        raise ValueError("name the holds to release")
    return await client.execute_mutation(
        FULFILLMENT_ORDER_RELEASE_HOLD,
        {"id": fulfillment_order_id, "holdIds": list(hold_ids), "externalId": external_id},
    )


def cancel_order_variables(
    order_id: str,
    *,
    reason: OrderCancelReason,
    restock: bool,
    notify_customer: bool = False,
    staff_note: str | None = None,
    refund_to_original_payment: bool | None = None,
) -> dict[str, Any]:
    """Variables for ORDER_CANCEL. `refund_to_original_payment=None` leaves the
    refund decision to Shopify's default."""
    refund_method = (
        None
        if refund_to_original_payment is None
        else {"originalPaymentMethodsRefund": refund_to_original_payment}
    )
    return {
        "orderId": order_id,
        "reason": reason,
        "restock": restock,
        "notifyCustomer": notify_customer,
        "staffNote": staff_note[:STAFF_NOTE_MAX_LENGTH] if staff_note else None,
        "refundMethod": refund_method,
    }


async def cancel_order(
    client: MutationExecutor,
    order_id: str,
    *,
    reason: OrderCancelReason,
    restock: bool,
    notify_customer: bool = False,
    staff_note: str | None = None,
    refund_to_original_payment: bool | None = None,
) -> MutationResult:
    """orderCancel: irreversible, runs as a job; errors come in orderCancelUserErrors."""
    variables = cancel_order_variables(
        order_id,
        reason=reason,
        restock=restock,
        notify_customer=notify_customer,
        staff_note=staff_note,
        refund_to_original_payment=refund_to_original_payment,
    )
    return await client.execute_mutation(ORDER_CANCEL, variables)


@dataclass(frozen=True)
class QuantitySetting:
    """Set `quantity` for an item at a location.

    `change_from_quantity` is what we believe Shopify holds now: Shopify
    refuses the change (CHANGE_FROM_QUANTITY_STALE) if it has moved since,
    instead of losing a concurrent update. None skips that check.
    """

    inventory_item_id: str
    location_id: str
    quantity: int
    change_from_quantity: int | None


def inventory_set_quantities_variables(
    quantities: Sequence[QuantitySetting],
    *,
    name: QuantityName,
    reason: str,
    idempotency_key: str,
    reference_document_uri: str | None = None,
) -> dict[str, Any]:
    if not quantities:
        raise ValueError("nothing to set")
    if len(quantities) > MAX_PAGE_SIZE:
        raise ValueError(f"at most {MAX_PAGE_SIZE} quantities per call, got {len(quantities)}")
    if not idempotency_key.strip():
        raise ValueError("the idempotency key must not be blank")
    return {
        "input": {
            "name": name,
            "reason": reason,
            "referenceDocumentUri": reference_document_uri,
            # changeFromQuantity is sent even when None: since 2026-04 the key is
            # required, and an explicit null is how the check is skipped.
            "quantities": [
                {
                    "inventoryItemId": setting.inventory_item_id,
                    "locationId": setting.location_id,
                    "quantity": setting.quantity,
                    "changeFromQuantity": setting.change_from_quantity,
                }
                for setting in quantities
            ],
        },
        "idempotencyKey": idempotency_key,
    }


async def set_inventory_quantities(
    client: MutationExecutor,
    quantities: Sequence[QuantitySetting],
    *,
    name: QuantityName,
    reason: str,
    idempotency_key: str,
    reference_document_uri: str | None = None,
) -> MutationResult:
    """inventorySetQuantities for up to 250 item/location pairs at once. Reuse
    the same `idempotency_key` when repeating the same change."""
    variables = inventory_set_quantities_variables(
        quantities,
        name=name,
        reason=reason,
        idempotency_key=idempotency_key,
        reference_document_uri=reference_document_uri,
    )
    return await client.execute_mutation(INVENTORY_SET_QUANTITIES, variables)


def webhook_topic(topic: str) -> str:
    """The GraphQL enum of a webhook topic: "orders/create" -> "ORDERS_CREATE"."""
    return topic.strip().replace("/", "_").upper()


async def create_webhook_subscription(
    client: MutationExecutor,
    topic: str,
    *,
    uri: str,
    include_fields: Sequence[str] | None = None,
    filter_query: str | None = None,
) -> MutationResult:
    subscription: dict[str, Any] = {"uri": uri, "format": "JSON"}
    if include_fields:
        subscription["includeFields"] = list(include_fields)
    if filter_query:
        subscription["filter"] = filter_query
    return await client.execute_mutation(
        WEBHOOK_SUBSCRIPTION_CREATE,
        {"topic": webhook_topic(topic), "webhookSubscription": subscription},
    )
