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
    # The FulfillmentService this location belongs to (Shopify creates one per service).
    fulfillment_service_id: int | None = None
    # fulfillmentServiceDelete(TRANSFER|DELETE) removes the location: reads answer null, but the
    # record stays so fulfillment orders that were assigned to it still render.
    deleted: bool = False


@dataclass(slots=True)
class FulfillmentService:
    """A third-party fulfillment service an app registered (fulfillmentServiceCreate)."""

    id: int
    name: str
    handle: str
    location_id: int
    # The app that created it: only that app may answer requests for its location's FOs.
    owner: str
    created_at: datetime
    updated_at: datetime
    callback_url: str | None = None
    tracking_support: bool = False
    inventory_management: bool = False
    requires_shipping_method: bool = True


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
    # `grams` is what order bodies carry; the weight as entered (value and unit) is what
    # InventoryItem.measurement answers. set_weight() keeps the two in step.
    grams: int = 100
    barcode: str | None = None
    weight_value: float | None = None
    weight_unit: str = "KILOGRAMS"
    harmonized_system_code: str | None = None
    country_code_of_origin: str | None = None
    image_url: str | None = None
    position: int = 1

    def weight(self) -> tuple[float, str]:
        """(value, unit) as InventoryItem.measurement.weight answers it."""
        if self.weight_value is None:
            return self.grams / 1000, "KILOGRAMS"
        return self.weight_value, self.weight_unit

    def set_weight(self, value: float, unit: str) -> None:
        self.weight_value, self.weight_unit = float(value), unit
        self.grams = round(float(value) * GRAMS_PER_UNIT[unit])


# WeightUnit -> grams, to keep Variant.grams (REST bodies) in step with the entered weight.
GRAMS_PER_UNIT = {"GRAMS": 1.0, "KILOGRAMS": 1000.0, "OUNCES": 28.349523125, "POUNDS": 453.59237}


@dataclass(slots=True)
class Product:
    """A product; its variants are ShopState.variants_by_product[id] (sorted by position)."""

    id: int
    title: str
    handle: str
    created_at: datetime
    updated_at: datetime
    status: str = "ACTIVE"
    vendor: str = ""
    product_type: str = ""
    tags: list[str] = field(default_factory=list)
    description_html: str = ""
    image_url: str | None = None
    # Ids of media and image records are part of the product (MediaImage / Image GIDs).
    image_id: int | None = None


# BulkOperationStatus values after which an operation never changes again.
BULK_FINAL_STATUSES = ("COMPLETED", "FAILED", "CANCELED", "EXPIRED")


@dataclass(slots=True)
class BulkOperation:
    """A bulkOperationRunQuery: its query, state and the JSONL file it wrote."""

    id: int
    query: str
    created_at: datetime
    type: str = "QUERY"
    status: str = "CREATED"
    error_code: str | None = None
    completed_at: datetime | None = None
    object_count: int = 0
    root_object_count: int = 0
    file_size: int | None = None
    url: str | None = None
    partial_data_url: str | None = None
    group_objects: bool = False
    cancel_requested: bool = False


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
class MerchantRequest:
    """A FulfillmentOrderMerchantRequest: a fulfillment or cancellation request to a service."""

    id: int
    kind: str  # FULFILLMENT_REQUEST | CANCELLATION_REQUEST
    message: str | None
    request_options: dict[str, Any]
    sent_at: datetime
    # Shopify leaves it null even after the service answers with a message (capture
    # fulfillment-order-request-lifecycle); the answers are kept in ServiceResponse.
    response_data: dict[str, Any] | None = None


@dataclass(slots=True)
class ServiceResponse:
    """What the fulfillment service answered (accept/reject/close), as the merchant sees it."""

    kind: str  # e.g. FULFILLMENT_REQUEST_ACCEPTED, CANCELLATION_REQUEST_REJECTED, CLOSED
    message: str | None
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)


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
    # Requests the merchant sent to the location's fulfillment service, oldest first.
    merchant_requests: list[MerchantRequest] = field(default_factory=list)
    # The service's answers, oldest first (state inspection; Shopify shows them to the merchant).
    service_responses: list[ServiceResponse] = field(default_factory=list)


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


# The status an FO ends in when its service accepts a cancellation request: a live 2026-04 capture
# (fulfillment-order-request-lifecycle) and the webhook sample show CLOSED; Shopify's older REST
# example shows CANCELLED. ShopSettings chooses; CLOSED is the default.
CANCELLATION_ACCEPTED_STATUSES = ("CLOSED", "CANCELLED")


@dataclass(slots=True)
class ShopSettings:
    """Simulator options of one shop (POST /_sim/shops/<domain>/settings)."""

    # The merchant's automation (a Flow "submit fulfillment request" workflow): once an order is
    # paid and has an FO at a fulfillment-service location, the simulator submits the request.
    auto_request_fulfillment: bool = False
    cancellation_accepted_status: str = "CLOSED"
    # Hosts a fulfillment service's callbackUrl may use ("Callback url is not allowed" for
    # others), as Shopify limits them to the app's own hosts; None allows any http(s) host.
    callback_url_hosts: list[str] | None = None


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
