"""Shopify webhook signatures and delivery headers.

Shopify signs the raw request body with the app's client secret (base64 of
HMAC-SHA256). During a secret rotation it may keep signing with the old secret
for up to an hour, so verification accepts any of several secrets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = [
    "WebhookHeaderError",
    "WebhookHeaders",
    "sign",
    "verify",
]

_SHA256_DIGEST_SIZE = hashlib.sha256().digest_size


def _digest(body: bytes, secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def sign(body: bytes, secret: str) -> str:
    """The value Shopify puts in `X-Shopify-Hmac-Sha256` for `body`."""
    return base64.b64encode(_digest(body, secret)).decode("ascii")


def verify(body: bytes, hmac_header: str | None, secrets: Sequence[str]) -> bool:
    """True if `hmac_header` is the signature of `body` under any of `secrets`.

    Never raises: a missing, non-base64 or wrong-length header is simply not valid.
    """
    if isinstance(secrets, str):
        # A bare string is a Sequence[str] of one-character "secrets": anyone
        # could sign with those. Read it as the single secret it was meant to be.
        secrets = [secrets]
    if not hmac_header or not secrets:
        return False
    try:
        claimed = base64.b64decode(hmac_header.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    if len(claimed) != _SHA256_DIGEST_SIZE:
        return False
    # Compare against every secret (no early exit) so timing does not reveal
    # which secret, if any, matched.
    matched = False
    for secret in secrets:
        if secret and hmac.compare_digest(_digest(body, secret), claimed):
            matched = True
    return matched


class WebhookHeaderError(ValueError):
    """A required Shopify webhook header is missing or empty."""

    def __init__(self, header: str) -> None:
        super().__init__(f"missing required webhook header {header}")
        self.header = header


_TOPIC = "X-Shopify-Topic"
_SHOP_DOMAIN = "X-Shopify-Shop-Domain"
_WEBHOOK_ID = "X-Shopify-Webhook-Id"
_HMAC = "X-Shopify-Hmac-Sha256"
_API_VERSION = "X-Shopify-API-Version"
_EVENT_ID = "X-Shopify-Event-Id"
_TRIGGERED_AT = "X-Shopify-Triggered-At"


@dataclass(frozen=True)
class WebhookHeaders:
    """The Shopify headers of one webhook delivery."""

    topic: str
    shop_domain: str
    webhook_id: str  # one per delivery attempt series: the deduplication key
    hmac: str
    api_version: str | None
    event_id: str | None  # shared by all deliveries caused by one merchant action
    triggered_at: datetime | None  # for ordering deliveries that arrive out of order

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> WebhookHeaders:
        """Read the Shopify headers, whatever their casing.

        Accepts aiohttp's CIMultiDict as well as plain dicts. Raises
        WebhookHeaderError naming the first missing required header.
        """
        by_lower_name = {name.lower(): value for name, value in headers.items()}

        def optional(name: str) -> str | None:
            value = by_lower_name.get(name.lower(), "").strip()
            return value or None

        def required(name: str) -> str:
            value = optional(name)
            if value is None:
                raise WebhookHeaderError(name)
            return value

        return cls(
            topic=required(_TOPIC),
            shop_domain=required(_SHOP_DOMAIN),
            webhook_id=required(_WEBHOOK_ID),
            hmac=required(_HMAC),
            api_version=optional(_API_VERSION),
            event_id=optional(_EVENT_ID),
            triggered_at=_parse_timestamp(optional(_TRIGGERED_AT)),
        )


def _parse_timestamp(value: str | None) -> datetime | None:
    # Triggered-At is advisory (used only to order deliveries); a garbled value
    # must not make an otherwise valid, signed delivery unacceptable.
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Shopify sends UTC with a Z; read an offset-less value as UTC too.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
