"""Shopify's cost-based leaky bucket and the response shapes that report it.

Pure logic: the clock is injected, so tests move time by hand. One bucket per
shop (Shopify keeps one per app and store; the simulator serves one app).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "MAX_QUERY_COST",
    "PLANS",
    "LeakyBucket",
    "Plan",
    "cost_extension",
    "max_cost_exceeded_response",
    "throttled_response",
]

# Shopify refuses any single query that requests more (MAX_COST_EXCEEDED).
MAX_QUERY_COST: Final = 1000
RATE_LIMITS_DOCUMENTATION: Final = "https://shopify.dev/api/usage/rate-limits"

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    bucket_size: float
    restore_rate: float  # points per second


# Bucket sizes are 20x the restore rate, as seen in real throttleStatus values.
PLANS: Final[Mapping[str, Plan]] = {
    "standard": Plan("standard", 2000, 100),
    "advanced": Plan("advanced", 4000, 200),
    "plus": Plan("plus", 20000, 1000),
    "enterprise": Plan("enterprise", 40000, 2000),
}


class LeakyBucket:
    """Points available to one shop: drained by requests, refilled continuously."""

    def __init__(self, plan: Plan, clock: Callable[[], float] = time.monotonic) -> None:
        self._plan = plan
        self._clock = clock
        self._available = float(plan.bucket_size)
        self._updated_at = clock()

    @property
    def plan(self) -> Plan:
        return self._plan

    def try_consume(self, requested: int) -> bool:
        """Take `requested` points if the bucket holds them all; otherwise take nothing.

        Shopify checks the requested cost, not the actual one: a query that would
        end up cheap is still throttled when its worst case does not fit.
        """
        self._refill()
        if requested > self._available:
            return False
        self._available -= requested
        return True

    def refund(self, amount: int) -> None:
        """Give back what a query requested but did not use (requested - actual)."""
        if amount < 0:
            raise ValueError(f"cannot refund a negative amount ({amount})")
        self._refill()
        self._available = min(self._plan.bucket_size, self._available + amount)

    def set_plan(self, plan: Plan) -> None:
        """Switch plans: points already restored stay, up to the new bucket size."""
        self._refill()
        self._plan = plan
        self._available = min(float(plan.bucket_size), self._available)

    def status(self) -> Json:
        """The `throttleStatus` object, with the integers Shopify sends."""
        self._refill()
        return {
            "maximumAvailable": _whole(self._plan.bucket_size),
            # Round down: never advertise a point that has not been restored yet.
            "currentlyAvailable": math.floor(self._available),
            "restoreRate": _whole(self._plan.restore_rate),
        }

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated_at)
        self._updated_at = now
        self._available = min(
            float(self._plan.bucket_size), self._available + elapsed * self._plan.restore_rate
        )


def _whole(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def cost_extension(requested: int, actual: int | None, bucket: LeakyBucket) -> Json:
    """`extensions.cost` of a response; `actual` is None when the query did not run."""
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": bucket.status(),
    }


def throttled_response(requested: int, bucket: LeakyBucket) -> Json:
    """The body Shopify sends (with HTTP 200) when the bucket cannot cover `requested`."""
    return {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": RATE_LIMITS_DOCUMENTATION},
            }
        ],
        "extensions": {"cost": cost_extension(requested, None, bucket)},
    }


def max_cost_exceeded_response(requested: int) -> Json:
    """The body Shopify sends (with HTTP 200) for a query requesting over 1000 points."""
    message = (
        f"Query cost is {requested}, which exceeds the single query max cost limit "
        f"({MAX_QUERY_COST}).\n\n"
        "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
        "cost of a query is calculated.\n\n"
        "To query larger amounts of data with fewer limits, bulk operations should be used "
        "instead.\n"
        "See https://shopify.dev/api/usage/bulk-operations/queries for usage details.\n"
    )
    return {
        "errors": [
            {
                "message": message,
                "extensions": {
                    "code": "MAX_COST_EXCEEDED",
                    "cost": requested,
                    "maxCost": MAX_QUERY_COST,
                    "documentation": RATE_LIMITS_DOCUMENTATION,
                },
            }
        ]
    }
