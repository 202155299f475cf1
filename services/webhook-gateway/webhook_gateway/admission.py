"""Deciding what to do with one webhook request: pure decisions, no I/O.

Checked in the order that costs least first and leaks least: headers (before the body is even
read), the body's size, the signature, the topic, and only then the JSON. Nothing unverified is
ever parsed, and an ignored topic is answered 200 without parsing either: Shopify retries any
non-2xx for hours, which would not make an unwanted subscription any more wanted.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from contracts import SUBSCRIBED_TOPICS
from shop_config import ShopConfig, ShopsConfig
from shopify_admin.webhooks import WebhookHeaderError, WebhookHeaders, verify

RejectReason = Literal["missing_header", "unknown_shop", "bad_hmac", "too_large", "not_json"]
_SUBSCRIBED = frozenset(SUBSCRIBED_TOPICS)


@dataclass(frozen=True)
class Rejected:
    reason: RejectReason
    status: int
    message: str


@dataclass(frozen=True)
class Ignored:
    """Verified, but of a topic the project does not subscribe to."""

    topic: str


@dataclass(frozen=True)
class Sender:
    """Who the headers say sent the request, and the shop's configuration."""

    headers: WebhookHeaders
    shop: ShopConfig


class PayloadIdentity(msgspec.Struct):
    """The only fields of a body the gateway reads: what the delivery is about."""

    id: Any = None
    admin_graphql_api_id: Any = None


# Validates the whole document but builds only these two fields: the body itself travels on
# untouched (contracts.webhook_envelope_json), so it is never turned into Python objects here.
_IDENTITY = msgspec.json.Decoder(PayloadIdentity)


@dataclass(frozen=True)
class Admitted:
    sender: Sender
    body: bytes  # verified, a JSON object
    identity: PayloadIdentity


def identify(raw_headers: Mapping[str, str], shops: ShopsConfig) -> Sender | Rejected:
    try:
        headers = WebhookHeaders.from_headers(raw_headers)
    except WebhookHeaderError as error:
        return Rejected("missing_header", 400, str(error))
    shop = shops.get(headers.shop_domain)
    if shop is None:
        return Rejected("unknown_shop", 401, "unknown shop")
    return Sender(headers, shop)


def too_large(limit: int) -> Rejected:
    return Rejected("too_large", 413, f"body larger than {limit} bytes")


def admit(sender: Sender, body: bytes) -> Admitted | Ignored | Rejected:
    if not verify(body, sender.headers.hmac, sender.shop.webhook_secrets):
        return Rejected("bad_hmac", 401, "signature does not match")
    if sender.headers.topic not in _SUBSCRIBED:
        return Ignored(sender.headers.topic)
    try:
        identity = _IDENTITY.decode(body)
    except msgspec.ValidationError:
        return Rejected("not_json", 400, "body must be a JSON object")
    except msgspec.DecodeError:
        return Rejected("not_json", 400, "body is not JSON")
    return Admitted(sender, body, identity)
