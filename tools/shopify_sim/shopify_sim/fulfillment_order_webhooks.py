"""Bodies of the fulfillment_orders/* and fulfillments/* webhooks, shaped as Shopify's samples.

fulfillment_orders/* bodies are small (shared/shopify/webhooks/README.md): GID ids, lowercase
statuses, a few fields each; `merged` alone uses numeric ids and an object, not a list.

The fulfillment-service topics follow their samples' keys but carry the FO's real status and
request status (the samples show a submitted FO as "unsubmitted", a cancellation request as
"cancellation_request" and leave request_status out of cancellation_request_accepted).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shopify_sim.clock import rest_time
from shopify_sim.events import ShopEvent
from shopify_sim.ids import gid
from shopify_sim.resolvers.context import RequestContext
from shopify_sim.state.models import (
    Fulfillment,
    FulfillmentHold,
    FulfillmentOrder,
    FulfillmentService,
    MerchantRequest,
)
from shopify_sim.state.repository import ShopState
from shopify_sim.webhook_payloads import address_body, line_item_body

Body = dict[str, Any]


NOTIFICATION_PATH = "/fulfillment_order_notification"
NOTIFICATION_LABEL = "fulfillment_order_notification"  # how the delivery log names them


def emit(ctx: RequestContext, topic: str, body: Body) -> None:
    ctx.events.append(ShopEvent(ctx.shop.domain, topic, body, ctx.shop.now()))


def notify_service(ctx: RequestContext, service: FulfillmentService, kind: str) -> None:
    """POST `{"kind": ...}` to `<callbackUrl>/fulfillment_order_notification` (FULFILLMENT_REQUEST
    or CANCELLATION_REQUEST); a service without a callbackUrl is told nothing and must poll."""
    if not service.callback_url:
        return
    ctx.events.append(
        ShopEvent(
            ctx.shop.domain,
            NOTIFICATION_LABEL,
            {"kind": kind},
            ctx.shop.now(),
            notification_uri=service.callback_url.rstrip("/") + NOTIFICATION_PATH,
        )
    )


def fo_ref(fo: FulfillmentOrder | None) -> Body | None:
    if fo is None:
        return None
    return {"id": gid("FulfillmentOrder", fo.id), "status": fo.status.lower()}


def fo_request_ref(fo: FulfillmentOrder) -> Body:
    return {
        "id": gid("FulfillmentOrder", fo.id),
        "status": fo.status.lower(),
        "request_status": fo.request_status.lower(),
    }


def merchant_request_ref(request: MerchantRequest) -> Body:
    return {
        "id": gid("FulfillmentOrderMerchantRequest", request.id),
        "message": request.message,
    }


def fulfillment_request_submitted_body(
    original: FulfillmentOrder, submitted: FulfillmentOrder, request: MerchantRequest
) -> Body:
    return {
        "original_fulfillment_order": fo_request_ref(original),
        "submitted_fulfillment_order": fo_request_ref(submitted),
        "fulfillment_order_merchant_request": merchant_request_ref(request),
    }


def cancellation_request_submitted_body(fo: FulfillmentOrder, request: MerchantRequest) -> Body:
    return {
        "fulfillment_order": fo_request_ref(fo),
        "fulfillment_order_merchant_request": merchant_request_ref(request),
    }


def service_answer_body(fo: FulfillmentOrder, message: str | None) -> Body:
    """fulfillment_request_accepted|rejected, cancellation_request_accepted|rejected and
    fulfillment_service_failed_to_complete: the FO and the service's message."""
    return {"fulfillment_order": fo_request_ref(fo), "message": message}


def line_refs(units: Iterable[tuple[int, int]]) -> list[Body]:
    return [
        {"id": gid("FulfillmentOrderLineItem", line_id), "quantity": quantity}
        for line_id, quantity in units
    ]


def moved_body(
    original: FulfillmentOrder,
    moved: FulfillmentOrder,
    source_location_id: int,
    requested: Iterable[tuple[int, int]],
) -> Body:
    return {
        "original_fulfillment_order": {
            **(fo_ref(original) or {}),
            "assigned_location_id": gid("Location", original.location_id),
        },
        "moved_fulfillment_order": {
            **(fo_ref(moved) or {}),
            "assigned_location_id": gid("Location", moved.location_id),
        },
        "destination_location_id": gid("Location", moved.location_id),
        "fulfillment_order_line_items_requested": line_refs(requested),
        # Since 2023-04: the move may change the original's location, so say where it was.
        "source_location": {"id": gid("Location", source_location_id)},
    }


def split_body(
    original: FulfillmentOrder, remaining: FulfillmentOrder, split: Iterable[tuple[int, int]]
) -> Body:
    return {
        "split_line_items": line_refs(split),
        "fulfillment_order": fo_ref(original),
        "remaining_fulfillment_order": fo_ref(remaining),
        "replacement_fulfillment_order": None,
    }


def merged_body(
    intents: Iterable[tuple[int, Iterable[tuple[int, int]]]], survivor: FulfillmentOrder
) -> Body:
    return {
        "merge_intents": [
            {
                "fulfillment_order_id": fo_id,
                "fulfillment_order_line_items": [
                    {"id": line_id, "quantity": quantity} for line_id, quantity in units
                ],
            }
            for fo_id, units in intents
        ],
        "fulfillment_order_merges": {"fulfillment_order": fo_ref(survivor)},
    }


def _hold_body(hold: FulfillmentHold) -> Body:
    return {
        "id": gid("FulfillmentHold", hold.id),
        "reason": hold.reason.lower(),
        "reason_notes": hold.reason_notes,
        "held_by_requesting_app": True,
        "handle": hold.handle,
        "held_by_app": None,
    }


def placed_on_hold_body(
    fo: FulfillmentOrder, remaining: FulfillmentOrder | None, created: FulfillmentHold
) -> Body:
    return {
        "fulfillment_order": {
            **(fo_ref(fo) or {}),
            "fulfillment_holds": [_hold_body(h) for h in fo.holds],
        },
        "remaining_fulfillment_order": fo_ref(remaining),
        "held_fulfillment_order_line_items": line_refs(
            (line.id, line.remaining_quantity) for line in fo.line_items
        ),
        "created_fulfillment_hold": _hold_body(created),
    }


def hold_released_body(fo: FulfillmentOrder) -> Body:
    return {"fulfillment_order": fo_ref(fo)}


def progress_reported_body(fo: FulfillmentOrder, reason_notes: str | None, initial: str) -> Body:
    return {
        "fulfillment_order": fo_ref(fo),
        "progress_report": {
            "reason_notes": reason_notes,
            "progress_reported_by_app": None,
            "progress_reported_by_user": None,
        },
        "initial_status": initial.lower(),
    }


def cancelled_body(fo: FulfillmentOrder, replacement: FulfillmentOrder) -> Body:
    return {"fulfillment_order": fo_ref(fo), "replacement_fulfillment_order": fo_ref(replacement)}


def fulfillment_body(shop: ShopState, fulfillment: Fulfillment) -> Body:
    """fulfillments/create|update (sample fulfillments__update.json), without the customer."""
    order = shop.orders[fulfillment.order_id]
    lines = {line.id: line for line in order.line_items}
    first = fulfillment.tracking[0] if fulfillment.tracking else None
    return {
        "id": fulfillment.id,
        "admin_graphql_api_id": gid("Fulfillment", fulfillment.id),
        "order_id": order.id,
        "name": fulfillment.name,
        "status": "success" if fulfillment.status == "SUCCESS" else fulfillment.status.lower(),
        "created_at": rest_time(fulfillment.created_at),
        "updated_at": rest_time(fulfillment.updated_at),
        "service": "manual",
        "shipment_status": None,
        "location_id": fulfillment.location_id,
        "origin_address": None,
        "email": order.email,
        "destination": address_body(order.shipping_address),
        "tracking_company": first.company if first else None,
        "tracking_number": first.number if first else None,
        "tracking_numbers": [t.number for t in fulfillment.tracking if t.number],
        "tracking_url": first.url if first else None,
        "tracking_urls": [t.url for t in fulfillment.tracking if t.url],
        "line_items": [
            {**line_item_body(shop, order, lines[item.line_item_id]), "quantity": item.quantity}
            for item in fulfillment.line_items
            if item.line_item_id in lines
        ],
        "receipt": {},
    }
