"""The leaky bucket under a hand-driven clock, and the shapes it reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from shopify_admin.reference import shopify_dir
from shopify_sim.throttle import (
    MAX_QUERY_COST,
    PLANS,
    LeakyBucket,
    cost_extension,
    max_cost_exceeded_response,
    throttled_response,
)

STANDARD = PLANS["standard"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bucket(clock: FakeClock) -> LeakyBucket:
    return LeakyBucket(STANDARD, clock)


def available(bucket: LeakyBucket) -> int:
    value = bucket.status()["currentlyAvailable"]
    assert isinstance(value, int)
    return value


def test_plans_restore_at_shopifys_rates_into_buckets_twenty_times_larger() -> None:
    rates = {name: plan.restore_rate for name, plan in PLANS.items()}
    assert rates == {"standard": 100, "advanced": 200, "plus": 1000, "enterprise": 2000}
    assert all(plan.bucket_size == 20 * plan.restore_rate for plan in PLANS.values())


def test_a_new_bucket_is_full(bucket: LeakyBucket) -> None:
    assert bucket.status() == {
        "maximumAvailable": 2000,
        "currentlyAvailable": 2000,
        "restoreRate": 100,
    }


def test_consuming_drains_and_time_refills_at_the_restore_rate(
    bucket: LeakyBucket, clock: FakeClock
) -> None:
    assert bucket.try_consume(1500)
    assert available(bucket) == 500
    clock.advance(2.5)
    assert available(bucket) == 750
    clock.advance(0.004)  # 0.4 points restored: not advertised until whole
    assert available(bucket) == 750


def test_refill_stops_at_the_bucket_size(bucket: LeakyBucket, clock: FakeClock) -> None:
    assert bucket.try_consume(300)
    clock.advance(60)
    assert available(bucket) == 2000
    # Idle time beyond full is not banked.
    assert bucket.try_consume(2000)
    assert not bucket.try_consume(1)


def test_throttled_on_the_requested_cost_even_if_the_actual_would_fit(
    bucket: LeakyBucket,
) -> None:
    assert bucket.try_consume(1950)
    # A query requesting 64 that would actually cost 15 still does not run.
    assert not bucket.try_consume(64)
    assert available(bucket) == 50, "a refused request takes nothing"
    assert bucket.try_consume(50)
    assert available(bucket) == 0


def test_refund_returns_the_unused_part_capped_at_the_maximum(bucket: LeakyBucket) -> None:
    assert bucket.try_consume(64)
    bucket.refund(64 - 15)
    assert available(bucket) == 2000 - 15
    bucket.refund(500)
    assert available(bucket) == 2000
    with pytest.raises(ValueError, match="negative"):
        bucket.refund(-1)


def test_plan_switch_keeps_the_points_and_changes_rate_and_cap(
    bucket: LeakyBucket, clock: FakeClock
) -> None:
    assert bucket.try_consume(1000)
    clock.advance(1)  # +100 under standard
    bucket.set_plan(PLANS["plus"])
    assert bucket.status() == {
        "maximumAvailable": 20000,
        "currentlyAvailable": 1100,
        "restoreRate": 1000,
    }
    clock.advance(1)
    assert available(bucket) == 2100
    clock.advance(30)
    assert available(bucket) == 20000
    bucket.set_plan(STANDARD)
    assert available(bucket) == 2000
    assert bucket.plan is STANDARD


def _captured_costs() -> Iterator[dict[str, Any]]:
    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            cost = node.get("cost")
            if isinstance(cost, dict) and "throttleStatus" in cost:
                yield cost
            for child in node.values():
                yield from walk(child)
        elif isinstance(node, list):
            for child in node:
                yield from walk(child)

    for file in sorted((shopify_dir() / "captures").glob("*.json")):
        yield from walk(json.loads(file.read_text()))


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(child) for key, child in value.items()}
    return type(value).__name__


def test_cost_extension_has_the_shape_of_every_captured_one(bucket: LeakyBucket) -> None:
    captured = list(_captured_costs())
    assert len(captured) > 100
    assert bucket.try_consume(64)
    bucket.refund(49)
    ours = cost_extension(64, 15, bucket)
    assert ours == {
        "requestedQueryCost": 64,
        "actualQueryCost": 15,
        "throttleStatus": {
            "maximumAvailable": 2000,
            "currentlyAvailable": 1985,
            "restoreRate": 100,
        },
    }
    assert all(_shape(cost) == _shape(ours) for cost in captured)
    # The standard plan's figures are exactly what the captured shops reported.
    assert {cost["throttleStatus"]["maximumAvailable"] for cost in captured} == {2000}
    assert {cost["throttleStatus"]["restoreRate"] for cost in captured} == {100}


def test_throttled_response_reports_the_bucket_and_no_actual_cost(
    bucket: LeakyBucket,
) -> None:
    assert bucket.try_consume(1990)
    assert throttled_response(70, bucket) == {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ],
        "extensions": {
            "cost": {
                "requestedQueryCost": 70,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": 2000,
                    "currentlyAvailable": 10,
                    "restoreRate": 100,
                },
            }
        },
    }
    assert "data" not in throttled_response(70, bucket)


def test_max_cost_exceeded_response() -> None:
    body = max_cost_exceeded_response(1002)
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "MAX_COST_EXCEEDED",
        "cost": 1002,
        "maxCost": MAX_QUERY_COST,
        "documentation": "https://shopify.dev/api/usage/rate-limits",
    }
    assert error["message"].startswith(
        "Query cost is 1002, which exceeds the single query max cost limit (1000)."
    )
    assert set(body) == {"errors"}
