"""Shopify search-syntax strings for the `query:` argument of list queries.

Values are always double-quoted (backslash-escaping `\\` and `"`) so a SKU
with spaces, colons or parentheses is one value, not several terms.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

__all__ = ["quote", "skus_query", "updated_since_query"]


def quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def updated_since_query(since: datetime) -> str:
    """Orders updated at or after `since` (inclusive: a boundary order is read
    twice rather than missed; reading it twice is harmless)."""
    if since.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"updated_at:>={quote(stamp)}"


def skus_query(skus: Iterable[str]) -> str:
    """Items whose SKU is any of `skus` (OR of exact sku terms)."""
    terms = [f"sku:{quote(sku)}" for sku in dict.fromkeys(skus) if sku]
    if not terms:
        raise ValueError("no SKUs to search for")
    return " OR ".join(terms)
