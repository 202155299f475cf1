"""Runtime fault injection: 5xx, 429 with Retry-After, THROTTLED storms, latency, and answers
lost or delayed after the request ran.

`decide` and `answer_lost` are pure (randomness injected) so the mix of faults is testable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["none", "server_error", "too_many_requests", "throttled"]


@dataclass
class FaultSettings:
    server_error_fraction: float = 0.0
    too_many_requests_fraction: float = 0.0
    retry_after_seconds: float = 1.0
    latency_seconds: float = 0.0
    # monotonic time until which every GraphQL call is answered THROTTLED
    throttled_until: float = 0.0
    # After the request ran (a mutation took effect): the answer is lost on its way back (a 504
    # from the edge, as when Shopify's front end times out), or held this long before it is sent
    # (time for a test to kill the client between Shopify's answer and the client's commit).
    lost_answer_fraction: float = 0.0
    answer_delay_seconds: float = 0.0
    # Operations (by name, e.g. "FulfillmentServiceCreate") whose every answer is lost after
    # they ran: a test of exactly-once that must not depend on chance.
    lost_answer_operations: frozenset[str] = frozenset()

    def update(self, changes: dict[str, Any], now: float) -> None:
        for name in (
            "server_error_fraction",
            "too_many_requests_fraction",
            "retry_after_seconds",
            "latency_seconds",
            "lost_answer_fraction",
            "answer_delay_seconds",
        ):
            if name in changes:
                setattr(self, name, float(changes[name]))
        if "throttle_seconds" in changes:
            self.throttled_until = now + float(changes["throttle_seconds"])
        if "lost_answer_operations" in changes:
            self.lost_answer_operations = frozenset(map(str, changes["lost_answer_operations"]))

    def as_json(self, now: float) -> dict[str, Any]:
        return {
            "server_error_fraction": self.server_error_fraction,
            "too_many_requests_fraction": self.too_many_requests_fraction,
            "retry_after_seconds": self.retry_after_seconds,
            "latency_seconds": self.latency_seconds,
            "lost_answer_fraction": self.lost_answer_fraction,
            "answer_delay_seconds": self.answer_delay_seconds,
            "lost_answer_operations": sorted(self.lost_answer_operations),
            "throttle_seconds_left": max(0.0, self.throttled_until - now),
        }


def decide(settings: FaultSettings, now: float, rng: random.Random) -> FaultKind:
    if now < settings.throttled_until:
        return "throttled"
    roll = rng.random()
    if roll < settings.server_error_fraction:
        return "server_error"
    if roll < settings.server_error_fraction + settings.too_many_requests_fraction:
        return "too_many_requests"
    return "none"


def answer_lost(
    settings: FaultSettings, rng: random.Random, operation_name: str | None = None
) -> bool:
    """Whether the answer of a request that already ran is lost (the client sees a 504)."""
    if operation_name is not None and operation_name in settings.lost_answer_operations:
        return True
    return settings.lost_answer_fraction > 0 and rng.random() < settings.lost_answer_fraction
