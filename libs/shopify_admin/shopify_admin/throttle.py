"""Cost-aware throttle: a local model of Shopify's leaky bucket for one shop.

Shopify runs each query only if the shop's bucket holds its *requested* cost,
then refunds the difference to the *actual* cost. Every response reports the
bucket (`extensions.cost.throttleStatus`). Keeping a model of it lets callers
wait the exact time the bucket needs instead of being THROTTLED.

`CostBucket` is the pure model (time is passed in). `ShopThrottle` wraps it for
asyncio: concurrent callers for one shop queue in arrival order and share one
budget. `ThrottleRegistry` hands out one `ShopThrottle` per shop, so two clients
for the same shop share it too.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CostBucket",
    "QueryCost",
    "Reservation",
    "ShopThrottle",
    "ThrottleRegistry",
    "ThrottleStatus",
    "default_registry",
]

# Shopify's Standard plan; the first response replaces these with the real figures.
STANDARD_MAXIMUM = 2000.0
STANDARD_RESTORE_RATE = 100.0

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True)
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float


@dataclass(frozen=True)
class QueryCost:
    """`extensions.cost` of one response. THROTTLED responses have no actual cost."""

    requested: int | None
    actual: int | None
    throttle_status: ThrottleStatus | None

    @classmethod
    def from_body(cls, body: Any) -> QueryCost | None:
        """Read `extensions.cost` from a response body; None if absent or malformed."""
        if not isinstance(body, Mapping):
            return None
        extensions = body.get("extensions")
        cost = extensions.get("cost") if isinstance(extensions, Mapping) else None
        if not isinstance(cost, Mapping):
            return None
        return cls(
            requested=_as_int(cost.get("requestedQueryCost")),
            actual=_as_int(cost.get("actualQueryCost")),
            throttle_status=_throttle_status(cost.get("throttleStatus")),
        )


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _throttle_status(raw: Any) -> ThrottleStatus | None:
    if not isinstance(raw, Mapping):
        return None
    try:
        status = ThrottleStatus(
            maximum_available=float(raw["maximumAvailable"]),
            currently_available=float(raw["currentlyAvailable"]),
            restore_rate=float(raw["restoreRate"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    if status.maximum_available <= 0 or status.restore_rate <= 0:
        return None
    return status


class CostBucket:
    """The shop's bucket as last reported, restored over time, minus reservations.

    All methods take `now` (seconds, any monotonic origin) so the arithmetic is
    deterministic under test.
    """

    def __init__(
        self,
        *,
        maximum: float = STANDARD_MAXIMUM,
        restore_rate: float = STANDARD_RESTORE_RATE,
        available: float | None = None,
        now: float = 0.0,
    ) -> None:
        self.maximum = maximum
        self.restore_rate = restore_rate
        self._available = maximum if available is None else available
        self._observed_at = now
        self.reserved = 0.0

    def available_at(self, now: float) -> float:
        """What Shopify's bucket should hold at `now`, ignoring our reservations."""
        elapsed = max(0.0, now - self._observed_at)
        return min(self.maximum, self._available + elapsed * self.restore_rate)

    def projected_available(self, now: float) -> float:
        return self.available_at(now) - self.reserved

    def wait_needed(self, cost: float, now: float) -> float:
        """Seconds until `cost` fits, given what is already reserved; 0 if it fits now.

        A cost above the bucket's size can never fit; it waits for a full bucket
        (Shopify would refuse it anyway, with MAX_COST_EXCEEDED, not forever).
        """
        needed = min(cost, self.maximum)
        deficit = needed - self.projected_available(now)
        return deficit / self.restore_rate if deficit > 0 else 0.0

    def reserve(self, cost: float) -> None:
        self.reserved += cost

    def release(self, cost: float) -> None:
        self.reserved = max(0.0, self.reserved - cost)

    def observe(self, status: ThrottleStatus, now: float) -> None:
        """Take Shopify's own figures (they already include any refund)."""
        self.maximum = status.maximum_available
        self.restore_rate = status.restore_rate
        self._available = min(status.currently_available, status.maximum_available)
        self._observed_at = now

    def spend(self, cost: float, now: float) -> None:
        """Account for a request whose response carried no bucket figures."""
        self._available = self.available_at(now) - cost
        self._observed_at = now


@dataclass(frozen=True)
class Reservation:
    cost: float


class ShopThrottle:
    """One shop's bucket shared by every coroutine that talks to that shop."""

    def __init__(self, bucket: CostBucket, *, clock: Clock, sleep: Sleep) -> None:
        self.bucket = bucket
        self._clock = clock
        self._sleep = sleep
        # asyncio.Lock binds to the loop that first waits on it; one per loop keeps
        # the shared bucket usable from a process that runs more than one loop.
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def reserve(self, cost: float) -> Reservation:
        """Wait until `cost` fits the projected bucket, then hold it for this request.

        Waiters queue behind one lock, so a large query is not starved by a
        stream of small ones.
        """
        async with self._lock():
            while (wait := self.bucket.wait_needed(cost, self._clock())) > 0:
                await self._sleep(wait)
            self.bucket.reserve(cost)
            return Reservation(cost)

    def settle(
        self, reservation: Reservation, *, status: ThrottleStatus | None, charged: float
    ) -> None:
        """Give back the reservation once the response (or failure) is in.

        With `status` the bucket takes Shopify's figures, which already refund
        requested minus actual; without it, `charged` is deducted locally.
        """
        now = self._clock()
        self.bucket.release(reservation.cost)
        if status is not None:
            self.bucket.observe(status, now)
        elif charged > 0:
            self.bucket.spend(charged, now)


class ThrottleRegistry:
    """One `ShopThrottle` per shop domain."""

    def __init__(self, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._by_shop: dict[str, ShopThrottle] = {}

    def for_shop(self, shop: str) -> ShopThrottle:
        key = shop.strip().lower()
        throttle = self._by_shop.get(key)
        if throttle is None:
            bucket = CostBucket(now=self._clock())
            throttle = self._by_shop[key] = ShopThrottle(
                bucket, clock=self._clock, sleep=self._sleep
            )
        return throttle


_DEFAULT_REGISTRY = ThrottleRegistry()


def default_registry() -> ThrottleRegistry:
    """The process-wide registry clients use unless given their own."""
    return _DEFAULT_REGISTRY
