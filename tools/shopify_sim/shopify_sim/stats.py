"""Counters tests and benchmarks read: requests per operation, THROTTLED answers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ShopStats:
    requests_by_operation: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    max_cost_exceeded: int = 0
    injected_faults: Counter[str] = field(default_factory=Counter)
    cost_spent: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "requests_by_operation": dict(self.requests_by_operation),
            "requests": sum(self.requests_by_operation.values()),
            "throttled": self.throttled,
            "max_cost_exceeded": self.max_cost_exceeded,
            "injected_faults": dict(self.injected_faults),
            "cost_spent": self.cost_spent,
        }
