"""What the gateway counts: for /status (this process, since it started) and for Prometheus.

Webhooks and fulfillment-service notifications are counted apart (two /status sections, two
Prometheus counters): a notification is a request to answer, a webhook mostly a trigger, and an
operator asking "did Shopify tell the warehouse?" should not have to subtract one from the other.
"""

import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter as PromCounter

WEBHOOKS = PromCounter(
    "webhooks_received_total",
    "Shopify webhook requests by outcome: accepted, duplicate, ignored_topic, or the reason "
    "they were rejected.",
    ["outcome"],
)
NOTIFICATIONS = PromCounter(
    "fulfillment_order_notifications_received_total",
    "Shopify fulfillment-service notifications (POST .../fulfillment_order_notification) by "
    "outcome: accepted, duplicate, or the reason they were rejected.",
    ["outcome"],
)

_MINUTE = 60


class DeliveryStats:
    """Counters plus a one-hour window of acceptances, kept in per-minute buckets.

    Buckets rather than one timestamp per delivery: at thousands per second a timestamp list
    would cost memory and a scan per status request.
    """

    def __init__(self, counter: PromCounter, clock: Callable[[], float] = time.monotonic) -> None:
        self._counter = counter
        self._clock = clock
        self.accepted_total = 0
        self.duplicates = 0
        self.rejected: Counter[str] = Counter()
        self.last_delivery: dict[str, datetime] = {}
        self._minutes: deque[list[int]] = deque()  # [minute number, count], oldest first

    def accepted(self, shop: str, at: datetime | None = None) -> None:
        self.accepted_total += 1
        self.last_delivery[shop] = at or datetime.now(UTC)
        minute = int(self._clock() // _MINUTE)
        if self._minutes and self._minutes[-1][0] == minute:
            self._minutes[-1][1] += 1
        else:
            self._minutes.append([minute, 1])
            self._forget_before(minute - 59)
        self._counter.labels("accepted").inc()

    def duplicate(self) -> None:
        self.duplicates += 1
        self._counter.labels("duplicate").inc()

    def reject(self, reason: str) -> None:
        self.rejected[reason] += 1
        self._counter.labels(reason).inc()

    def accepted_last_hour(self) -> int:
        self._forget_before(int(self._clock() // _MINUTE) - 59)
        return sum(count for _, count in self._minutes)

    def _forget_before(self, minute: int) -> None:
        while self._minutes and self._minutes[0][0] < minute:
            self._minutes.popleft()

    def as_status(self) -> dict[str, Any]:
        return {
            "accepted": {"last_hour": self.accepted_last_hour(), "total": self.accepted_total},
            "duplicates": self.duplicates,
            "rejected": dict(self.rejected),
            "last_delivery": {
                shop: at.isoformat() for shop, at in sorted(self.last_delivery.items())
            },
        }


class GatewayStats(DeliveryStats):
    """Webhooks: also the topics Shopify sends that the project does not subscribe to."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(WEBHOOKS, clock)
        self.ignored_topics: Counter[str] = Counter()

    def ignored(self, topic: str) -> bool:
        """Count an unsubscribed topic; True the first time this topic is seen."""
        self.ignored_topics[topic] += 1
        self._counter.labels("ignored_topic").inc()
        return self.ignored_topics[topic] == 1

    def as_status(self) -> dict[str, Any]:
        return {**super().as_status(), "ignored_topics": dict(self.ignored_topics)}


class NotificationStats(DeliveryStats):
    """Fulfillment-service notifications: also how many of each kind were accepted."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(NOTIFICATIONS, clock)
        self.by_kind: Counter[str] = Counter()

    def accepted_kind(self, shop: str, kind: str, at: datetime | None = None) -> None:
        self.by_kind[kind] += 1
        self.accepted(shop, at)

    def as_status(self) -> dict[str, Any]:
        return {**super().as_status(), "accepted_by_kind": dict(self.by_kind)}
