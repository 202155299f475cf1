"""What fulfillment-sync tells the other services (through the outbox, in the caller's
transaction)."""

from collections.abc import Sequence
from uuid import UUID

from contracts import (
    Envelope,
    FulfillmentOrderLineRef,
    ShipmentSynced,
    WmsOrderSent,
    new_envelope,
    order_correlation_id,
)


def synced_event(
    shop: str,
    order: WmsOrderSent,
    *,
    shipment_id: str,
    fulfillment_id: str,
    lines: Sequence[FulfillmentOrderLineRef],
    complete: bool,
    causation_id: UUID | None,
) -> Envelope:
    """`fulfillments.shipment.synced` for one shipment of a WMS order; `complete`: nothing is
    left to ship on the WMS order (what it holds now has all shipped, or it was cancelled)."""
    return new_envelope(
        "fulfillments.shipment.synced",
        ShipmentSynced(
            shipment_id=shipment_id,
            wms_order_ref=order.wms_order_ref,
            shopify_order_id=order.shopify_order_id,
            fulfillment_order_id=order.fulfillment_order_id,
            fulfillment_id=fulfillment_id,
            lines=list(lines),
            fulfillment_order_complete=complete,
        ),
        shop=shop,
        correlation_id=order_correlation_id(shop, order.shopify_order_id),
        causation_id=causation_id,
    )
