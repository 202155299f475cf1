"""Payloads of the WMS boundary (SPEC section 3): commands we send, events the WMS sends."""

from typing import Literal, Self

from pydantic import Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from contracts.fields import (
    CountryCode,
    FulfillmentOrderGid,
    FulfillmentOrderLineItemGid,
    InventoryItemGid,
    OrderGid,
    Payload,
    PositiveQuantity,
    ProductVariantGid,
    Quantity,
    RequiredText,
    SignedQuantity,
    UtcDatetime,
)

WmsOrderRef = RequiredText
"""Our reference of a WMS order: unique per shop and stable."""

# --- commands (wms.commands) ---------------------------------------------------------------


class ShippingMethod(Payload):
    """How the customer chose to have the order shipped."""

    code: str
    title: str


class Address(Payload):
    """A postal address with only the personal data the warehouse needs to ship.

    `province_code` and `postal_code` may be null: Shopify leaves them empty for countries
    that have no provinces or no postal codes.
    """

    name: RequiredText
    company: str | None = None
    address1: RequiredText
    address2: str | None = None
    city: str
    province_code: str | None = None
    postal_code: str | None = None
    country_code: CountryCode
    phone: str | None = None
    email: str | None = None


class OrderLine(Payload):
    """One fulfillment-order line to pick."""

    line_ref: FulfillmentOrderLineItemGid
    """The Shopify fulfillment order line item; echoed back in shipment lines."""
    sku: RequiredText
    quantity: PositiveQuantity
    title: str


class WmsOrderCreate(Payload):
    """Create one WMS order for one Shopify fulfillment order assigned to a mapped location.

    No prices are sent.
    """

    wms_order_ref: WmsOrderRef
    """The Shopify order name, suffixed (`#1001-2`) only when the order has more than one
    fulfillment order sent to the WMS."""
    shopify_order_id: OrderGid
    shopify_order_name: RequiredText
    fulfillment_order_id: FulfillmentOrderGid
    facility: RequiredText
    """The WMS facility code the fulfillment order's location maps to."""
    placed_at: UtcDatetime
    on_hold: StrictBool
    hold_reason: str | None = None
    ship_by: UtcDatetime | None = None
    cash_on_delivery: StrictBool
    shipping_method: ShippingMethod
    ship_to: Address
    bill_to: Address | None = None
    note: str | None = None
    tags: list[str] = []
    lines: list[OrderLine] = Field(min_length=1)


class WmsOrderCancel(Payload):
    """Ask the WMS to cancel an order; it answers with `wms.order.cancel_result`."""

    wms_order_ref: WmsOrderRef
    reason: str
    requested_at: UtcDatetime


class ReduceLine(Payload):
    """Units of one line to take out of an order already sent."""

    line_ref: FulfillmentOrderLineItemGid
    """The line as it was sent in `wms.order.create`."""
    sku: RequiredText
    quantity: PositiveQuantity
    """Units to remove (not the units left)."""


class WmsOrderReduce(Payload):
    """Take units out of an order already sent: they left it in Shopify (moved to another
    location, split off, merged away, edited out, cancelled). The WMS answers with
    `wms.order.reduce_result`; units that left are sent to another WMS order only after it."""

    wms_order_ref: WmsOrderRef
    lines: list[ReduceLine] = Field(min_length=1)
    reason: str
    requested_at: UtcDatetime


class WmsOrderHold(Payload):
    """Ask the WMS not to ship an order until it is released."""

    wms_order_ref: WmsOrderRef
    reason: str


class WmsOrderRelease(Payload):
    """Lift a hold placed with `wms.order.hold`."""

    wms_order_ref: WmsOrderRef


class WmsOrderUpdate(Payload):
    """The only change to an order already sent that the WMS is told about."""

    wms_order_ref: WmsOrderRef
    ship_by: UtcDatetime | None
    """The new ship-by date; null removes it."""


# --- events (wms.events) -------------------------------------------------------------------


class WmsOrderAccepted(Payload):
    """The WMS took the order."""

    wms_order_ref: WmsOrderRef


class WmsOrderRejected(Payload):
    """The WMS refused the order."""

    wms_order_ref: WmsOrderRef
    reason: str


class ShipmentLine(Payload):
    """Units of one line that left the warehouse in this shipment."""

    line_ref: FulfillmentOrderLineItemGid | None = None
    """Absent when the WMS does not keep it; the line is then matched by `sku`."""
    sku: RequiredText
    quantity: PositiveQuantity


class WmsShipmentConfirmed(Payload):
    """A shipment left the warehouse; it may cover only part of the order."""

    shipment_id: RequiredText
    """The WMS's own key: the same shipment never makes two fulfillments."""
    wms_order_ref: WmsOrderRef
    shipped_at: UtcDatetime
    carrier: str
    tracking_numbers: list[str] = []
    tracking_urls: list[str] = []
    lines: list[ShipmentLine] = Field(min_length=1)


class WmsOrderCancelResult(Payload):
    """The WMS's answer to `wms.order.cancel`."""

    wms_order_ref: WmsOrderRef
    outcome: Literal["cancelled", "refused"]
    reason: str | None = None
    """Why the cancellation was refused (typically: already shipped); may be null."""


class WmsOrderReduceResult(Payload):
    """The WMS's answer to `wms.order.reduce`: all the lines asked for are taken out, or none
    (refused, typically because picking has started)."""

    wms_order_ref: WmsOrderRef
    outcome: Literal["reduced", "refused"]
    lines: list[ReduceLine] = []
    """The lines of the request, as the WMS applied (or would have applied) them."""
    reason: str | None = None


class WmsOrderCancelled(Payload):
    """The warehouse cancelled an order on its own (seller cancellation)."""

    wms_order_ref: WmsOrderRef
    reason: Literal["out_of_stock", "damaged", "address", "other"]
    restock: StrictBool
    note: str | None = None


class SnapshotItem(Payload):
    """Stock of one SKU at the facility.

    `available` may be negative: some WMSs report oversold stock that way. The contract accepts
    it so the message is not dead-lettered; inventory-sync decides what to do with it.
    """

    sku: RequiredText
    available: SignedQuantity
    on_hand: Quantity


class WmsInventorySnapshot(Payload):
    """One part of the full stock feed of one facility; all parts share `snapshot_id`."""

    snapshot_id: RequiredText
    facility: RequiredText
    as_of: UtcDatetime
    part: PositiveQuantity
    parts: PositiveQuantity
    items: list[SnapshotItem] = []

    @model_validator(mode="after")
    def _part_within_parts(self) -> Self:
        if self.part > self.parts:
            raise PydanticCustomError(
                "part_out_of_range",
                "part {part} is beyond parts {parts}",
                {"part": self.part, "parts": self.parts},
            )
        return self

    # A SKU listed twice (in one part, or in two parts of the snapshot) is not refused here:
    # refusing the part would dead-letter every other row with it. The receiver sets the SKU's
    # rows aside and applies the rest (inventory-sync: `duplicate_in_snapshot`).


class WmsInventoryAdjusted(Payload):
    """One SKU changed (realtime feed). Absolute values, not deltas, so a repeat is harmless.

    `available` may be negative, as in snapshots; inventory-sync decides what to do with it.
    """

    facility: RequiredText
    sku: RequiredText
    available: SignedQuantity
    on_hand: Quantity
    as_of: UtcDatetime


# --- the catalog: what the shop sells, sent before orders need it (SPEC section 3) ---------------

WeightUnit = Literal["GRAMS", "KILOGRAMS", "OUNCES", "POUNDS"]
"""Shopify's WeightUnit, as Shopify names it."""


class ItemWeight(Payload):
    value: float = Field(ge=0)
    unit: WeightUnit


class WmsItemUpsert(Payload):
    """An item the shop sells (a Shopify variant that requires shipping and has a SKU), sent
    before orders need it and again when it changes; the WMS keeps the one with the latest
    `updated_at`."""

    sku: RequiredText
    title: RequiredText
    """Product title, then the variant's when it has one: `Blue mug - Large`."""
    barcode: str | None = None
    weight: ItemWeight | None = None
    hs_code: str | None = None
    """Harmonized System code, for customs."""
    country_of_origin: CountryCode | None = None
    image_url: str | None = None
    shopify_variant_id: ProductVariantGid
    shopify_inventory_item_id: InventoryItemGid
    updated_at: UtcDatetime


class WmsItemDiscontinued(Payload):
    """The shop no longer sells this SKU (its variant or product was deleted, or it stopped
    requiring shipping)."""

    sku: RequiredText
    updated_at: UtcDatetime


class WmsItemRejected(Payload):
    """The WMS cannot take an item (for example a barcode it already holds for another SKU)."""

    sku: RequiredText
    reason: str
