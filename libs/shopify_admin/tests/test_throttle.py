import asyncio

import pytest

from shopify_admin.testing import ManualClock
from shopify_admin.throttle import (
    CostBucket,
    QueryCost,
    Reservation,
    ShopThrottle,
    ThrottleRegistry,
    ThrottleStatus,
)


def test_before_any_response_a_full_standard_bucket_is_assumed() -> None:
    bucket = CostBucket()
    assert (bucket.maximum, bucket.restore_rate) == (2000, 100)
    assert bucket.projected_available(now=0) == 2000
    assert bucket.wait_needed(1000, now=0) == 0


def test_wait_is_exactly_the_deficit_over_the_restore_rate() -> None:
    bucket = CostBucket()
    bucket.observe(ThrottleStatus(2000, 344, 100), now=10.0)
    assert bucket.wait_needed(752, now=10.0) == pytest.approx((752 - 344) / 100)
    # Half a second later the bucket has restored 50 points.
    assert bucket.wait_needed(752, now=10.5) == pytest.approx((752 - 394) / 100)
    assert bucket.wait_needed(344, now=10.0) == 0


def test_restoring_never_exceeds_the_maximum() -> None:
    bucket = CostBucket()
    bucket.observe(ThrottleStatus(1000, 900, 50), now=0)
    assert bucket.available_at(now=3600) == 1000


def test_reservations_in_flight_count_against_the_budget() -> None:
    bucket = CostBucket(maximum=100, restore_rate=10)
    bucket.reserve(80)
    assert bucket.projected_available(now=0) == 20
    assert bucket.wait_needed(50, now=0) == pytest.approx(3.0)
    bucket.release(80)
    assert bucket.wait_needed(50, now=0) == 0


def test_a_cost_larger_than_the_bucket_waits_for_a_full_bucket_not_forever() -> None:
    bucket = CostBucket(maximum=100, restore_rate=10, available=0)
    assert bucket.wait_needed(5000, now=0) == pytest.approx(10.0)


def test_observed_status_replaces_plan_figures() -> None:
    bucket = CostBucket()
    bucket.observe(ThrottleStatus(20000, 19000, 1000), now=0)
    assert (bucket.maximum, bucket.restore_rate) == (20000, 1000)
    assert bucket.available_at(now=0.5) == 19500


def test_spend_without_status_deducts_from_the_restored_level() -> None:
    bucket = CostBucket(maximum=100, restore_rate=10, available=50, now=0)
    bucket.spend(30, now=2)  # 50 + 20 restored - 30
    assert bucket.available_at(now=2) == 40


def test_query_cost_reads_a_throttled_response() -> None:
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 752,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": 344,
                    "restoreRate": 100.0,
                },
            }
        },
    }
    cost = QueryCost.from_body(throttled)
    assert cost == QueryCost(752, None, ThrottleStatus(2000, 344, 100))


@pytest.mark.parametrize(
    "body",
    [None, "text", {}, {"extensions": None}, {"extensions": {"cost": "x"}}],
)
def test_query_cost_absent_or_malformed_is_none(body: object) -> None:
    assert QueryCost.from_body(body) is None


def test_malformed_throttle_status_is_ignored_not_trusted() -> None:
    cost = QueryCost.from_body(
        {"extensions": {"cost": {"requestedQueryCost": 5, "throttleStatus": {"restoreRate": 0}}}}
    )
    assert cost == QueryCost(5, None, None)


async def test_reserve_waits_the_deficit_then_holds_the_budget() -> None:
    time = ManualClock()
    throttle = ShopThrottle(CostBucket(), clock=time.clock, sleep=time.sleep)
    throttle.bucket.observe(ThrottleStatus(2000, 100, 100), now=0)
    reservation = await throttle.reserve(300)
    assert time.sleeps == [pytest.approx(2.0)]
    assert throttle.bucket.projected_available(time.now) == pytest.approx(0)
    assert reservation == Reservation(300)


async def test_settle_with_status_refunds_as_shopify_reports() -> None:
    time = ManualClock()
    throttle = ShopThrottle(CostBucket(), clock=time.clock, sleep=time.sleep)
    reservation = await throttle.reserve(500)
    # Shopify deducted 500 requested, then refunded 490 (actual cost 10).
    throttle.settle(reservation, status=ThrottleStatus(2000, 1990, 100), charged=0)
    assert throttle.bucket.reserved == 0
    assert throttle.bucket.projected_available(time.now) == 1990


async def test_settle_without_status_charges_what_it_is_told() -> None:
    time = ManualClock()
    throttle = ShopThrottle(CostBucket(), clock=time.clock, sleep=time.sleep)
    throttle.settle(await throttle.reserve(500), status=None, charged=500)
    assert throttle.bucket.projected_available(time.now) == 1500
    throttle.settle(await throttle.reserve(500), status=None, charged=0)
    assert throttle.bucket.projected_available(time.now) == 1500


async def test_concurrent_callers_share_one_budget_in_arrival_order() -> None:
    time = ManualClock()
    throttle = ShopThrottle(
        CostBucket(maximum=100, restore_rate=10, available=100), clock=time.clock, sleep=time.sleep
    )
    granted: list[tuple[str, float]] = []

    async def caller(name: str, cost: float) -> None:
        reservation = await throttle.reserve(cost)
        granted.append((name, time.now))
        throttle.settle(reservation, status=None, charged=cost)

    await asyncio.gather(caller("a", 60), caller("b", 60), caller("c", 30))
    # a fits at once; b waits for 20 more points (2 s); c, queued behind b,
    # then needs all 30 of its points restored (3 s more).
    assert granted == [("a", 0), ("b", pytest.approx(2.0)), ("c", pytest.approx(5.0))]


def test_registry_gives_one_throttle_per_shop() -> None:
    registry = ThrottleRegistry()
    assert registry.for_shop("a.myshopify.com") is registry.for_shop("A.myshopify.com ")
    assert registry.for_shop("a.myshopify.com") is not registry.for_shop("b.myshopify.com")
