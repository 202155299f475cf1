"""Everything the warehouse remembers, as plain models so it can be saved and loaded as JSON."""

import random
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from contracts import WmsItemUpsert


class OrderStatus(StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


OPEN_STATUSES = frozenset({OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_SHIPPED})


class StockLevel(BaseModel):
    available: int
    """On hand minus what accepted orders have allocated; negative when oversold."""
    on_hand: int = Field(ge=0)


class OrderLineState(BaseModel):
    line_ref: str
    sku: str
    quantity: int
    shipped: int = 0
    cancelled: int = 0
    reduced: int = 0
    """Units taken out at the project's request (`wms.order.reduce`): they left the order in
    Shopify, so they are neither shipped nor cancelled here."""

    @property
    def open_units(self) -> int:
        return self.quantity - self.shipped - self.cancelled - self.reduced


class WarehouseOrder(BaseModel):
    shop: str
    ref: str
    facility: str
    country_code: str
    correlation_id: UUID
    """The order's conversation: every event about it carries it."""
    created_by: UUID
    """The `wms.order.create` command's id: the cause of events nobody else asked for."""
    status: OrderStatus
    rejection_reason: str | None = None
    held: bool = False
    hold_reason: str | None = None
    ship_by: datetime | None = None
    lines: list[OrderLineState] = []
    ship_due_at: datetime | None = None
    """When the next shipment leaves by itself (or, with a picking time, when its picking
    starts); None: only when told."""
    picking_since: datetime | None = None
    """When picking of the next shipment started; None: not being picked. Once picking has
    started nothing can be taken out of the order any more (a reduce is refused)."""
    first_shipment_units: int | None = None
    """Set when the order leaves in two parts: units in the first one."""
    cancel_instead: bool = False
    """The warehouse will cancel it (out of stock) when it comes due, instead of shipping."""
    shipment_ids: list[str] = []

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def shipped_units(self) -> int:
        return sum(line.shipped for line in self.lines)

    @property
    def open_units(self) -> int:
        return sum(line.open_units for line in self.lines)


class ItemRecord(BaseModel):
    """The latest word the warehouse has on one SKU of one shop."""

    shop: str
    sku: str
    updated_at: datetime
    """Of the upsert or discontinuation applied last: anything not newer is ignored."""
    item: WmsItemUpsert | None = None
    """None: discontinued at `updated_at` (kept so an older upsert arriving late does not bring
    the item back)."""


class WarehouseState(BaseModel):
    orders: dict[str, WarehouseOrder] = {}
    """By `order_key(shop, ref)`: references are unique per shop, not across shops."""
    stock: dict[str, dict[str, StockLevel]] = {}
    """By facility (`shop:code`), then SKU."""
    items: dict[str, ItemRecord] = {}
    """By `item_key(shop, sku)`: what the project told the warehouse about each item."""
    processed_commands: set[UUID] = set()
    rng_state: list[Any] | None = None


def order_key(shop: str, ref: str) -> str:
    return f"{shop}/{ref}"


def item_key(shop: str, sku: str) -> str:
    return f"{shop}/{sku}"


def capture_rng(rng: random.Random) -> list[Any]:
    version, internal, gauss_next = rng.getstate()
    return [version, list(internal), gauss_next]


def restore_rng(rng: random.Random, saved: list[Any]) -> None:
    version, internal, gauss_next = saved
    rng.setstate((version, tuple(internal), gauss_next))
