"""Plain records of an order edit in progress (a CalculatedOrder) until it is committed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class AddedLine:
    """A variant orderEditAddVariant staged; it becomes a LineItem on commit."""

    key: str  # the uuid tail of its CalculatedLineItem GID, as Shopify shows
    variant_id: int
    location_id: int
    quantity: int


@dataclass(slots=True)
class StagedQuantity:
    """orderEditSetQuantity on an existing line: its new current quantity."""

    quantity: int
    restock: bool


@dataclass(slots=True)
class CalculatedOrder:
    id: int
    order_id: int
    created_at: datetime
    staged: dict[int, StagedQuantity] = field(default_factory=dict)
    added: list[AddedLine] = field(default_factory=list)
    committed: bool = False
