"""Time as Shopify shows it: UTC, second precision in GraphQL, ISO offsets in REST bodies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def graphql_time(moment: datetime | None) -> str | None:
    """`2026-07-10T12:21:57Z`: the DateTime format of the Admin GraphQL API."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rest_time(moment: datetime | None) -> str | None:
    """`2026-07-10T12:21:57+00:00`: the timestamp format of webhook bodies."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_time(text: str) -> datetime:
    """Parse the timestamps clients put in search queries (`Z` or offsets, date only)."""
    cleaned = text.strip().strip("'\"")
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    parsed = datetime.fromisoformat(cleaned)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
