import random
from datetime import UTC, datetime

import pytest

from shopify_admin.errors import (
    ShopifyAuthError,
    ShopifyGraphQLError,
    ShopifyRequestError,
)
from shopify_admin.retry import (
    BackoffPolicy,
    Success,
    Transient,
    classify,
    parse_retry_after,
    retry_delay,
)

THROTTLED_BODY = {
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


def test_data_is_success() -> None:
    assert classify("Op", 200, {}, {"data": {"shop": {"id": "1"}}}) == Success(
        {"shop": {"id": "1"}}
    )


def test_throttled_is_transient_and_certainly_not_executed() -> None:
    assert classify("Op", 200, {}, THROTTLED_BODY) == Transient("THROTTLED", not_executed=True)


def test_429_honours_retry_after() -> None:
    outcome = classify("Op", 429, {"Retry-After": "2.0"}, None)
    assert outcome == Transient("HTTP 429", not_executed=True, retry_after=2.0)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_transient_but_may_have_run(status: int) -> None:
    assert classify("Op", status, {}, None) == Transient(f"HTTP {status}", not_executed=False)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures(status: int) -> None:
    outcome = classify("Op", status, {}, {"errors": "[API] Invalid API key or access token"})
    assert isinstance(outcome, ShopifyAuthError)
    assert outcome.status == status
    assert "Invalid API key" in str(outcome)


@pytest.mark.parametrize("status", [400, 402, 404, 423])
def test_other_client_errors_are_final(status: int) -> None:
    outcome = classify("Op", status, {}, None, "Not Found")
    assert isinstance(outcome, ShopifyRequestError)
    assert outcome.status == status


def test_validation_error_is_final_with_its_code() -> None:
    body = {
        "errors": [
            {
                "message": "Field 'nope' doesn't exist on type 'Shop'",
                "locations": [{"line": 1, "column": 9}],
                "path": ["query", "shop", "nope"],
                "extensions": {"code": "undefinedField", "typeName": "Shop", "fieldName": "nope"},
            }
        ]
    }
    outcome = classify("Op", 200, {}, body)
    assert isinstance(outcome, ShopifyGraphQLError)
    assert outcome.codes == ["undefinedField"]
    assert outcome.data is None


def test_max_cost_exceeded_is_final() -> None:
    body = {
        "errors": [
            {
                "message": (
                    "Query cost is 1752, which exceeds the single query max cost limit (1000)."
                ),
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": 1752, "maxCost": 1000},
            }
        ]
    }
    outcome = classify("Op", 200, {}, body)
    assert isinstance(outcome, ShopifyGraphQLError)
    assert outcome.codes == ["MAX_COST_EXCEEDED"]


def test_errors_as_a_plain_string_are_still_errors() -> None:
    outcome = classify("Op", 200, {}, {"errors": "Parameter Missing or Invalid"})
    assert isinstance(outcome, ShopifyGraphQLError)
    assert outcome.errors == [{"message": "Parameter Missing or Invalid"}]


def test_a_2xx_without_json_may_have_run() -> None:
    assert classify("Op", 200, {}, None, "<html>") == Transient(
        "unparseable response body", not_executed=False
    )


def test_data_null_without_errors_is_an_error() -> None:
    assert isinstance(classify("Op", 200, {}, {"data": None}), ShopifyGraphQLError)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("2", 2.0),
        (" 1.5 ", 1.5),
        ("-3", 0.0),
        ("soon", None),
        ("Wed, 21 Oct 2026 07:28:10 GMT", 10.0),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    now = datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == expected


def test_backoff_is_full_jitter_under_an_exponential_ceiling() -> None:
    policy = BackoffPolicy(base=0.5, cap=4.0)
    assert [policy.ceiling(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    rng = random.Random(7)
    transient = Transient("HTTP 503", not_executed=False)
    delays = [retry_delay(policy, 3, rng, transient) for _ in range(500)]
    assert all(0.0 <= d <= 2.0 for d in delays)
    # Full jitter spreads over the whole range, not just near the ceiling.
    assert min(delays) < 0.2 and max(delays) > 1.8


def test_backoff_uses_retry_after_when_given() -> None:
    transient = Transient("HTTP 429", not_executed=True, retry_after=7.5)
    assert retry_delay(BackoffPolicy(), 1, random.Random(), transient) == 7.5
