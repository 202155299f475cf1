import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from multidict import CIMultiDict

from shopify_admin.reference import shopify_dir
from shopify_admin.webhooks import WebhookHeaderError, WebhookHeaders, sign, verify

SECRET = "shpss_current_0123456789abcdef"
OLD_SECRET = "shpss_previous_fedcba9876543210"


def sample_bodies() -> list[Path]:
    return sorted((shopify_dir() / "webhooks").glob("*.json"))


@pytest.fixture(params=sample_bodies(), ids=lambda p: p.stem)
def body(request: pytest.FixtureRequest) -> bytes:
    path: Path = request.param
    return path.read_bytes()


def test_there_are_real_samples() -> None:
    assert len(sample_bodies()) > 30


def test_sign_matches_an_independent_hmac_sha256(body: bytes) -> None:
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert sign(body, SECRET) == expected


def test_signed_sample_verifies(body: bytes) -> None:
    assert verify(body, sign(body, SECRET), [SECRET])


def test_one_tampered_byte_fails(body: bytes) -> None:
    signature = sign(body, SECRET)
    middle = len(body) // 2
    tampered = body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1 :]
    assert not verify(tampered, signature, [SECRET])


def test_wrong_secret_fails(body: bytes) -> None:
    assert not verify(body, sign(body, "someone-else"), [SECRET])


def test_rotation_accepts_old_and_new_secret(body: bytes) -> None:
    both = [SECRET, OLD_SECRET]
    assert verify(body, sign(body, SECRET), both)
    assert verify(body, sign(body, OLD_SECRET), both)
    assert not verify(body, sign(body, OLD_SECRET), [SECRET])


@pytest.mark.parametrize(
    "header",
    [None, "", "   ", "not base64!!", "YWJj", "é", "=" * 44, "A" * 43],
)
def test_garbled_header_is_false_not_an_exception(header: str | None) -> None:
    assert verify(b"{}", header, [SECRET]) is False


def test_a_bare_string_is_one_secret_not_many_letters() -> None:
    assert verify(b"{}", sign(b"{}", SECRET), SECRET)
    assert not verify(b"{}", sign(b"{}", SECRET[0]), SECRET)


def test_no_secrets_never_verifies() -> None:
    assert verify(b"{}", sign(b"{}", SECRET), []) is False
    assert verify(b"{}", sign(b"{}", ""), [""]) is False


def test_header_with_surrounding_whitespace_still_verifies() -> None:
    assert verify(b"{}", f" {sign(b'{}', SECRET)}\n", [SECRET])


HEADERS = {
    "X-Shopify-Topic": "orders/create",
    "X-Shopify-Shop-Domain": "example.myshopify.com",
    "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    "X-Shopify-Hmac-Sha256": "XWmrwMey6OsLMeiZKwP4FppHH3cmAiiJJAweH5Jo4bM=",
    "X-Shopify-API-Version": "2026-07",
    "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
    "X-Shopify-Triggered-At": "2023-03-29T18:00:27.877041743Z",
}


def test_headers_are_read_from_a_plain_dict() -> None:
    parsed = WebhookHeaders.from_headers(HEADERS)
    assert parsed == WebhookHeaders(
        topic="orders/create",
        shop_domain="example.myshopify.com",
        webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        hmac="XWmrwMey6OsLMeiZKwP4FppHH3cmAiiJJAweH5Jo4bM=",
        api_version="2026-07",
        event_id="98880550-7158-44d4-b7cd-2c97c8a091b5",
        triggered_at=datetime(2023, 3, 29, 18, 0, 27, 877041, tzinfo=UTC),
    )


@pytest.mark.parametrize("recase", [str.lower, str.upper, str.swapcase])
def test_header_names_are_case_insensitive(recase: Callable[[str], str]) -> None:
    recased = {recase(name): value for name, value in HEADERS.items()}
    assert WebhookHeaders.from_headers(recased) == WebhookHeaders.from_headers(HEADERS)
    assert WebhookHeaders.from_headers(CIMultiDict(recased)) == WebhookHeaders.from_headers(HEADERS)


def test_optional_headers_may_be_absent_or_garbled() -> None:
    required_only = {
        name: value
        for name, value in HEADERS.items()
        if name not in {"X-Shopify-API-Version", "X-Shopify-Event-Id", "X-Shopify-Triggered-At"}
    }
    parsed = WebhookHeaders.from_headers(required_only)
    assert (parsed.api_version, parsed.event_id, parsed.triggered_at) == (None, None, None)
    garbled = WebhookHeaders.from_headers({**HEADERS, "X-Shopify-Triggered-At": "yesterday"})
    assert garbled.triggered_at is None


@pytest.mark.parametrize(
    "missing",
    [
        "X-Shopify-Topic",
        "X-Shopify-Shop-Domain",
        "X-Shopify-Webhook-Id",
        "X-Shopify-Hmac-Sha256",
    ],
)
def test_missing_required_header_is_named(missing: str) -> None:
    headers = {name: value for name, value in HEADERS.items() if name != missing}
    with pytest.raises(WebhookHeaderError, match=missing) as raised:
        WebhookHeaders.from_headers(headers)
    assert raised.value.header == missing
    assert isinstance(raised.value, ValueError)
    with pytest.raises(WebhookHeaderError, match=missing):
        WebhookHeaders.from_headers({**headers, missing: "  "})
