"""Pure decisions about one Admin API response: success, retry, or give up.

Kept free of I/O so every branch is tested without a server: `classify`
turns (HTTP status, headers, parsed body) into an `Outcome`, and
`retry_delay` says how long to wait before the next attempt (work_queue's BackoffPolicy,
the project's one backoff, unless Shopify said how long).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from shopify_admin.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyGraphQLError,
    ShopifyRequestError,
    error_code,
)
from work_queue.backoff import BackoffPolicy

__all__ = [
    "BackoffPolicy",
    "Outcome",
    "Success",
    "Transient",
    "classify",
    "parse_retry_after",
    "retry_delay",
]

# extensions.code values that mean "try again later", not "your request is wrong".
_THROTTLED = "THROTTLED"
_SERVER_ERROR_CODES = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"})


@dataclass(frozen=True)
class Success:
    data: dict[str, Any]


@dataclass(frozen=True)
class Transient:
    """A failure worth retrying.

    `not_executed`: Shopify certainly did not run the request (THROTTLED, 429,
    connection refused), so repeating it is safe even for a mutation that is
    not retry-safe. `retry_after`: the wait the server asked for, if any.
    """

    reason: str
    not_executed: bool
    retry_after: float | None = None


Outcome = Success | Transient | ShopifyError


def classify(
    operation: str, status: int, headers: Mapping[str, str], body: Any, raw_text: str = ""
) -> Outcome:
    """Decide what one HTTP answer means for `operation`."""
    if status in (401, 403):
        return ShopifyAuthError(operation, status, _detail(body, raw_text))
    if status == 429:
        return Transient(
            "HTTP 429",
            not_executed=True,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
    if status >= 500:
        return Transient(f"HTTP {status}", not_executed=False)
    if not 200 <= status < 300:
        return ShopifyRequestError(operation, status, _detail(body, raw_text))
    if not isinstance(body, Mapping):
        # A 2xx that is not JSON comes from something in between (proxy, load
        # balancer), not from GraphQL; whether the request ran is unknown.
        return Transient("unparseable response body", not_executed=False)
    return _classify_graphql(operation, body)


def _classify_graphql(operation: str, body: Mapping[str, Any]) -> Outcome:
    errors = _errors(body.get("errors"))
    data = body.get("data")
    if errors:
        codes = {error_code(error) for error in errors}
        if _THROTTLED in codes:
            return Transient(_THROTTLED, not_executed=True)
        if codes & _SERVER_ERROR_CODES:
            return Transient(", ".join(sorted(c for c in codes if c)), not_executed=False)
        return ShopifyGraphQLError(operation, errors, data if isinstance(data, Mapping) else None)
    if not isinstance(data, Mapping):
        return ShopifyGraphQLError(operation, [{"message": "response has no data"}])
    return Success(dict(data))


def _errors(raw: Any) -> list[Mapping[str, Any]]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [{"message": raw}]
    if isinstance(raw, list):
        return [e if isinstance(e, Mapping) else {"message": str(e)} for e in raw]
    return [{"message": str(raw)}]


def _detail(body: Any, raw_text: str) -> str:
    if isinstance(body, Mapping) and "errors" in body:
        return str(body["errors"])[:300]
    return raw_text[:300]


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds)


def retry_delay(
    policy: BackoffPolicy, attempt: int, rng: random.Random, transient: Transient
) -> float:
    """Wait after failed attempt number `attempt` (1-based).

    A server-given Retry-After is honoured as is. THROTTLED gets the jitter
    only: the throttle then waits whatever the bucket still needs.
    """
    if transient.retry_after is not None:
        return transient.retry_after
    return policy.jittered(attempt, rng)
