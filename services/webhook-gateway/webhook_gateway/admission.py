"""Deciding what to do with one webhook request: pure decisions, no I/O.

Checked in the order that costs least first and leaks least: headers (before the body is even
read), the body's size, the signature, the topic, and only then the JSON. Nothing unverified is
ever parsed, and an ignored topic is answered 200 without parsing either: Shopify retries any
non-2xx for hours, which would not make an unwanted subscription any more wanted.

An order webhook is forwarded trimmed to the fields consumers read (contracts.webhook_bodies):
no customer, address or price leaves the gateway.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from contracts import SUBSCRIBED_TOPICS
from contracts.webhook_bodies import OrderOnTheBus, trimmed_as_order
from shop_config import ShopConfig, ShopsConfig
from shopify_admin.webhooks import WebhookHeaderError, WebhookHeaders, verify

RejectReason = Literal[
    "missing_header",
    "unknown_shop",
    "bad_hmac",
    "too_large",
    "not_json",
    # Fulfillment-service notifications only (notifications.py): no such service, or a body
    # without a kind the gateway knows.
    "unknown_facility",
    "bad_kind",
]
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


# Each validates the whole document but builds only the fields it names, and what is forwarded
# is embedded in the message as it is (contracts.webhook_wire): a 15 KB body is never turned into
# Python dicts and back.
_IDENTITY = msgspec.json.Decoder(PayloadIdentity)
_ORDER = msgspec.json.Decoder(OrderOnTheBus)


@dataclass(frozen=True)
class Admitted:
    sender: Sender
    # What goes on the bus: the verified body (a JSON object), or for order topics its trimmed
    # fields (or only its identity, see _order_on_the_bus).
    payload: msgspec.Raw | msgspec.Struct
    identity: PayloadIdentity


UNKNOWN_SHOP = Rejected("unknown_shop", 401, "unknown shop")
BAD_SIGNATURE = Rejected("bad_hmac", 401, "signature does not match")
NOT_JSON = Rejected("not_json", 400, "body is not JSON")


def identify(raw_headers: Mapping[str, str], shops: ShopsConfig) -> Sender | Rejected:
    try:
        headers = WebhookHeaders.from_headers(raw_headers)
    except WebhookHeaderError as error:
        return Rejected("missing_header", 400, str(error))
    shop = shops.get(headers.shop_domain)
    if shop is None:
        return UNKNOWN_SHOP
    return Sender(headers, shop)


def signed(body: bytes, hmac_header: str, shop: ShopConfig) -> bool:
    """Signed with the shop's client secret, or its previous one during a rotation."""
    return verify(body, hmac_header, shop.webhook_secrets)


def too_large(limit: int) -> Rejected:
    return Rejected("too_large", 413, f"body larger than {limit} bytes")


def admit(sender: Sender, body: bytes) -> Admitted | Ignored | Rejected:
    if not signed(body, sender.headers.hmac, sender.shop):
        return BAD_SIGNATURE
    if sender.headers.topic not in _SUBSCRIBED:
        return Ignored(sender.headers.topic)
    payload: msgspec.Raw | msgspec.Struct
    try:
        if trimmed_as_order(sender.headers.topic):
            identity, payload = _order_on_the_bus(body)
        else:
            identity = _IDENTITY.decode(body)
            payload = msgspec.Raw(body)
    except msgspec.ValidationError:
        return Rejected("not_json", 400, "body must be a JSON object")
    except msgspec.DecodeError:
        return NOT_JSON
    return Admitted(sender, payload, identity)


def _order_on_the_bus(body: bytes) -> tuple[PayloadIdentity, msgspec.Struct]:
    try:
        order = _ORDER.decode(body)
    except msgspec.ValidationError:
        # An object whose lines are not objects: no Shopify order looks so, but a 400 would have
        # Shopify retry it for two days. Its identity is what makes the webhook a trigger.
        identity = _IDENTITY.decode(body)
        return identity, identity
    identity = PayloadIdentity(id=order.id, admin_graphql_api_id=order.admin_graphql_api_id)
    return identity, order
