"""Prometheus metrics of the messaging runtime.

Labelled by service: tests run several services in one process."""

from prometheus_client import Counter, Histogram

MESSAGES_HANDLED = Counter(
    "messages_handled_total",
    "Messages taken from a service's queue, by outcome.",
    ["service", "type", "outcome"],  # outcome: ok, duplicate, retried, dead
)
HANDLER_SECONDS = Histogram(
    "message_handler_seconds", "Time to handle one message, commit included.", ["service", "type"]
)
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Outbox rows published.", ["service"])
OUTBOX_PUBLISH_FAILURES = Counter(
    "outbox_publish_failures_total", "Outbox batches that failed to publish.", ["service"]
)
DEAD_LETTERS = Counter("dead_letters_total", "Messages parked as dead letters.", ["service"])
