"""Plain records of a simulated shop. Decisions about them live elsewhere (domain/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Shopify's inventory quantity names; `on_hand` is the sum of the states an item
# can be in while it is physically in the building.
QUANTITY_NAMES = (
    "available",
    "on_hand",
    "committed",
    "reserved",
    "incoming",
    "damaged",
    "safety_stock",
    "quality_control",
)


@dataclass(slots=True)
class Location:
    id: int
    name: str
    created_at: datetime
    updated_at: datetime
    fulfills_online_orders: bool = True
    is_active: bool = True
    country_code: str = "CA"
    city: str | None = "Toronto"
    province: str | None = "Ontario"
    address1: str | None = None
    zip: str | None = None


@dataclass(slots=True)
class Variant:
    """A product variant together with its inventory item (one to one in Shopify)."""

    id: int
    product_id: int
    product_title: str
    title: str
    sku: str
    price: str
    inventory_item_id: int
    created_at: datetime
    updated_at: datetime
    tracked: bool = True
    requires_shipping: bool = True
    grams: int = 100
    barcode: str | None = None


@dataclass(slots=True)
class InventoryLevel:
    id: int
    inventory_item_id: int
    location_id: int
    created_at: datetime
    updated_at: datetime
    quantities: dict[str, int] = field(default_factory=lambda: dict.fromkeys(QUANTITY_NAMES, 0))
    quantity_updated_at: dict[str, datetime | None] = field(default_factory=dict)


@dataclass(slots=True)
class LineItem:
    id: int
    title: str
    quantity: int
    price: str
    sku: str | None
    variant_id: int | None
    product_id: int | None
    location_id: int
    requires_shipping: bool = True
    taxable: bool = True
    properties: list[dict[str, str]] = field(default_factory=list)
    variant_title: str | None = None
    # True when orderCreate took the units out of `available` into `committed`,
    # so fulfilment and restock know which bucket to move them from.
    inventory_committed: bool = False
    # Units still on the order after order edits (Shopify's `currentQuantity`); `quantity`
    # keeps what was ever ordered, so a removed line stays with current_quantity 0.
    current_quantity: int | None = None

    @property
    def live_quantity(self) -> int:
        return self.quantity if self.current_quantity is None else self.current_quantity


@dataclass(slots=True)
class FulfillmentOrderLineItem:
    id: int
    line_item_id: int
    total_quantity: int
    remaining_quantity: int


@dataclass(slots=True)
class FulfillmentHold:
    id: int
    reason: str
    reason_notes: str | None
    handle: str | None
    external_id: str | None


@dataclass(slots=True)
class FulfillmentOrder:
    id: int
    order_id: int
    location_id: int
    status: str
    created_at: datetime
    updated_at: datetime
    fulfill_at: datetime
    line_items: list[FulfillmentOrderLineItem] = field(default_factory=list)
    holds: list[FulfillmentHold] = field(default_factory=list)
    # The FO a partial hold split this one off from; releasing the hold merges back.
    split_from_id: int | None = None
    # Where this FO ships to when it no longer follows the order's shipping address
    # (orderUpdate moves only OPEN/ON_HOLD/SCHEDULED FOs; the others keep this snapshot).
    destination_snapshot: dict[str, Any] | None = None
    # FulfillmentOrderRequestStatus; only fulfillment-service locations leave UNSUBMITTED.
    request_status: str = "UNSUBMITTED"
    # fulfillmentOrderReportProgress was called (merchant-managed "manually reported
    # progress"): blocks move and cancel until fulfillmentOrderOpen clears it.
    progress_reported: bool = False


@dataclass(slots=True)
class TrackingInfo:
    company: str | None
    number: str | None
    url: str | None


@dataclass(slots=True)
class FulfillmentLineItem:
    id: int
    line_item_id: int
    quantity: int


@dataclass(slots=True)
class Fulfillment:
    id: int
    order_id: int
    name: str
    location_id: int
    created_at: datetime
    updated_at: datetime
    status: str = "SUCCESS"
    tracking: list[TrackingInfo] = field(default_factory=list)
    line_items: list[FulfillmentLineItem] = field(default_factory=list)
    fulfillment_order_ids: list[int] = field(default_factory=list)
    notify_customer: bool = False
    # FO line item id -> units this fulfillment took from it, so fulfillmentCancel
    # can give exactly those units back.
    fulfillment_order_line_quantities: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class OrderCancellation:
    """What orderCancel was asked to do (Shopify shows the staff note as `Order.cancellation`)."""

    staff_note: str | None
    restock: bool
    notify_customer: bool
    refunded: bool


@dataclass(slots=True)
class Order:
    id: int
    number: int
    name: str
    created_at: datetime
    processed_at: datetime
    updated_at: datetime
    currency: str
    financial_status: str | None
    email: str | None = None
    phone: str | None = None
    note: str | None = None
    tags: list[str] = field(default_factory=list)
    source_name: str | None = "shopify_draft_order"
    test: bool = False
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    shipping_line: dict[str, Any] | None = None
    custom_attributes: list[dict[str, str]] = field(default_factory=list)
    line_items: list[LineItem] = field(default_factory=list)
    fulfillment_order_ids: list[int] = field(default_factory=list)
    fulfillment_ids: list[int] = field(default_factory=list)
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    cancellation: OrderCancellation | None = None
    closed_at: datetime | None = None
    risk_level: str = "LOW"
    po_number: str | None = None
    # An order edit was committed (Shopify's `Order.edited`).
    edited: bool = False


@dataclass(slots=True)
class WebhookSubscription:
    id: int
    topic: str
    uri: str
    created_at: datetime
    updated_at: datetime
    format: str = "JSON"
    filter: str | None = None
    include_fields: list[str] = field(default_factory=list)
    name: str | None = None
