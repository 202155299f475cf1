from datetime import UTC, datetime, timedelta, timezone

import pytest

from shopify_admin.search import quote, skus_query, updated_since_query


def test_updated_since_is_inclusive_utc() -> None:
    toronto = timezone(timedelta(hours=-5))
    since = datetime(2026, 11, 22, 5, 0, 0, 999_000, tzinfo=toronto)
    assert updated_since_query(since) == 'updated_at:>="2026-11-22T10:00:00Z"'


def test_updated_since_needs_a_timezone() -> None:
    with pytest.raises(ValueError):
        updated_since_query(datetime(2026, 11, 22))


def test_sku_query_quotes_each_sku_once() -> None:
    assert skus_query(["ABC-1", "A B:C", "ABC-1", ""]) == 'sku:"ABC-1" OR sku:"A B:C"'
    with pytest.raises(ValueError):
        skus_query([])


def test_quote_escapes_backslash_and_double_quote() -> None:
    assert quote('12" \\ ruler') == '"12\\" \\\\ ruler"'


def test_utc_input_round_trips() -> None:
    assert updated_since_query(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)).endswith(
        '"2026-01-02T03:04:05Z"'
    )
