"""Shopify's mandatory compliance webhooks: what `customers/data_request`, `customers/redact`
and `shop/redact` ask of the app.

The bodies are small and REST-shaped (see shared/shopify/webhooks/customers__redact.json):
numeric customer and order ids, the customer's email and phone. Only the order ids tie the
request to what the services hold; email and phone are used to find records that name the
customer without an order id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CustomerRequest", "customer_request", "order_gid"]


@dataclass(frozen=True)
class CustomerRequest:
    """One customer's data request or redaction, as the services need it."""

    customer_id: int | None
    email: str | None
    phone: str | None
    order_gids: tuple[str, ...]
    """The orders Shopify names (`orders_requested` / `orders_to_redact`), as GIDs."""
    data_request_id: str | None = None
    """`data_request.id` of a customers/data_request; None for a redaction."""

    @property
    def contacts(self) -> tuple[str, ...]:
        """The customer's email and phone, where given: strings that identify the person."""
        return tuple(value for value in (self.email, self.phone) if value)


def order_gid(order_id: object) -> str | None:
    """`299938` or `"gid://shopify/Order/299938"` -> the GID; None for anything else."""
    if isinstance(order_id, str) and order_id.startswith("gid://shopify/Order/"):
        return order_id
    if isinstance(order_id, int) and not isinstance(order_id, bool):
        return f"gid://shopify/Order/{order_id}"
    if isinstance(order_id, str) and order_id.isdigit():
        return f"gid://shopify/Order/{order_id}"
    return None


def customer_request(payload: Mapping[str, Any]) -> CustomerRequest:
    """Read a customers/data_request or customers/redact body; ValueError if it is neither."""
    customer = payload.get("customer")
    if not isinstance(customer, Mapping):
        raise ValueError("compliance webhook without a customer")
    raw_orders = payload.get("orders_to_redact", payload.get("orders_requested", []))
    if not isinstance(raw_orders, list):
        raise ValueError("compliance webhook whose order list is not a list")
    gids = [order_gid(order_id) for order_id in raw_orders]
    if any(gid is None for gid in gids):
        raise ValueError(f"compliance webhook with an order id that is not one: {raw_orders}")
    request = payload.get("data_request")
    request_id = request.get("id") if isinstance(request, Mapping) else None
    customer_id = customer.get("id")
    return CustomerRequest(
        customer_id=customer_id if isinstance(customer_id, int) else None,
        email=_text(customer.get("email")),
        phone=_text(customer.get("phone")),
        order_gids=tuple(gid for gid in gids if gid is not None),
        data_request_id=None if request_id is None else str(request_id),
    )


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
