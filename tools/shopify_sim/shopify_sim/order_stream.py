"""A stream of realistic orders at a given rate, created through orderCreate."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shopify_sim.state.repository import ShopState

ORDER_CREATE = """
mutation SimOrderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order { id name }
    userErrors { field message code }
  }
}
"""

CITIES = (
    ("Toronto", "ON", "CA", "M5H 2M9"),
    ("Montreal", "QC", "CA", "H2Y 1C6"),
    ("New York", "NY", "US", "10001"),
    ("Vancouver", "BC", "CA", "V6B 1A1"),
)
RunGraphQL = Callable[[ShopState, str, dict[str, Any]], dict[str, Any]]


def random_order_input(
    shop: ShopState,
    rng: random.Random,
    *,
    high_risk_fraction: float = 0.0,
    location: str | None = None,
) -> dict[str, Any]:
    """`location`: a Location GID every line ships from (the `_location` line property of
    domain/location_choice.py), e.g. a fulfillment service's location."""
    variants = list(shop.variants.values())
    if not variants:
        raise ValueError(f"shop {shop.domain} has no products; seed it first")
    city, province, country, postal = rng.choice(CITIES)
    n = rng.randint(1, 3)
    lines = [
        {"variantId": f"gid://shopify/ProductVariant/{v.id}", "quantity": rng.randint(1, 3)}
        for v in rng.sample(variants, min(n, len(variants)))
    ]
    if location is not None:
        for line in lines:
            line["properties"] = [{"name": "_location", "value": location}]
    order: dict[str, Any] = {
        "email": f"buyer{rng.randint(1, 10**6)}@example.com",
        "financialStatus": "PAID",
        "currency": "USD",
        "sourceName": "web",
        "tags": [],
        "lineItems": lines,
        "shippingAddress": {
            "firstName": "Sam",
            "lastName": "Buyer",
            "address1": "1 Main St",
            "city": city,
            "provinceCode": province,
            "countryCode": country,
            "zip": postal,
        },
        "shippingLines": [
            {
                "title": "Standard",
                "code": "standard",
                "source": "shopify",
                "priceSet": {"shopMoney": {"amount": "5.00", "currencyCode": "USD"}},
            }
        ],
    }
    if rng.random() < high_risk_fraction:
        order["customAttributes"] = [{"key": "_risk_level", "value": "HIGH"}]
    return order


@dataclass
class OrderStream:
    shop: ShopState
    rate_per_second: float
    duration_seconds: float
    run_graphql: RunGraphQL
    seed: int | None = None
    high_risk_fraction: float = 0.0
    location: str | None = None
    created: int = 0
    failed: int = 0
    done: bool = False
    errors: list[Any] = field(default_factory=list)

    async def run(self) -> None:
        rng = random.Random(self.seed)
        interval = 1.0 / self.rate_per_second
        started = time.monotonic()
        next_at = started
        try:
            while time.monotonic() - started < self.duration_seconds:
                variables = {
                    "order": random_order_input(
                        self.shop,
                        rng,
                        high_risk_fraction=self.high_risk_fraction,
                        location=self.location,
                    ),
                    "options": {"inventoryBehaviour": "DECREMENT_IGNORING_POLICY"},
                }
                result = self.run_graphql(self.shop, ORDER_CREATE, variables)
                payload = (result.get("data") or {}).get("orderCreate") or {}
                if payload.get("order"):
                    self.created += 1
                else:
                    self.failed += 1
                    self.errors.append(result.get("errors") or payload.get("userErrors"))
                # Absolute schedule so the rate does not drift with execution time.
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        finally:
            self.done = True

    def status(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "failed": self.failed,
            "done": self.done,
            "errors": self.errors[-5:],
        }
