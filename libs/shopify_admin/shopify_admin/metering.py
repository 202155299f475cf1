"""Counting what Shopify work costs: calls and points, per piece of work.

`metered()` opens a `CostMeter` for the code inside it (and the tasks it starts); every
request the client sends meanwhile adds one call and its points to it. A context variable
rather than a counter on the client: many orders of one shop are read at once through one
client, and each wants its own figures ("calls and points per 300-line order").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["CostMeter", "metered", "record_request"]


@dataclass
class CostMeter:
    calls: int = 0
    """HTTP requests sent (a retried request counts each attempt)."""
    points: int = 0
    """Points charged: Shopify's actualQueryCost, or the requested cost when it gave none."""

    def add(self, calls: int, points: int) -> None:
        self.calls += calls
        self.points += points


_current: ContextVar[tuple[CostMeter, ...]] = ContextVar("shopify_cost_meters", default=())


@contextmanager
def metered(meter: CostMeter | None = None) -> Iterator[CostMeter]:
    """Count into `meter` (a new one by default) every request sent inside; meters nest, and
    an outer meter counts what inner ones do too."""
    meter = meter if meter is not None else CostMeter()
    token = _current.set((*_current.get(), meter))
    try:
        yield meter
    finally:
        _current.reset(token)


def record_request(points: int) -> None:
    """Called by the client after each request it sent."""
    for meter in _current.get():
        meter.add(1, points)
