"""Payloads of events between our own services (exchange `internal.events`)."""

from typing import TYPE_CHECKING, Any, Literal, get_args

from contracts.errors import ContractError
from contracts.fields import Payload, RequiredText, UtcDatetime

if TYPE_CHECKING:  # envelope.py imports the registry, which imports this module
    from contracts.envelope import Envelope

SubscribedTopic = Literal[
    "orders/create",
    "orders/paid",
    "orders/updated",
    "orders/cancelled",
    "app/uninstalled",
    "customers/data_request",
    "customers/redact",
    "shop/redact",
]
SUBSCRIBED_TOPICS: tuple[str, ...] = get_args(SubscribedTopic)
"""The Shopify webhook topics the project subscribes to (SPEC section 2)."""

_WEBHOOK_TYPE_PREFIX = "shopify.webhook."


def webhook_message_type(topic: str) -> str:
    """The bus message type of a webhook topic: `orders/create` -> `shopify.webhook.orders.create`.

    Raises ContractError for a topic the project does not subscribe to.
    """
    if topic not in SUBSCRIBED_TOPICS:
        raise ContractError(f"not a subscribed webhook topic: {topic!r}")
    return _WEBHOOK_TYPE_PREFIX + topic.replace("/", ".")


class ShopifyWebhook(Payload):
    """A verified Shopify webhook delivery, handed to the bus by the webhook gateway.

    The webhook is a trigger, not the truth: `payload` is Shopify's raw REST-shaped body, kept
    as received; consumers read what they need from it and fetch the order over GraphQL.
    """

    webhook_id: RequiredText
    """`X-Shopify-Webhook-Id`: the same delivery retried keeps it."""
    event_id: str | None = None
    """`X-Shopify-Event-Id`: the same event delivered to several subscriptions keeps it."""
    topic: SubscribedTopic
    """`X-Shopify-Topic`, e.g. `orders/create`."""
    api_version: str | None = None
    """`X-Shopify-API-Version` the body was rendered with."""
    triggered_at: UtcDatetime | None = None
    """`X-Shopify-Triggered-At`: when Shopify raised the event."""
    received_at: UtcDatetime
    """When the gateway verified and stored the delivery."""
    payload: dict[str, Any]


# `payload` is ShopifyWebhook's last field and `data` the envelope's last: an envelope built with
# an empty payload serialises to JSON ending exactly so.
_EMPTY_PAYLOAD_END = b'"payload":{}}}'


def webhook_envelope_json(envelope: "Envelope", raw_payload: bytes) -> bytes:
    """The wire form of a shopify.webhook.* envelope, with Shopify's body as it arrived.

    `envelope` is built with an empty payload; `raw_payload` is the verified body, already
    checked to be a JSON object. Turning a 15 KB order into Python objects only to write it out
    again was a quarter of the gateway's CPU, so the body is spliced in byte for byte instead.
    """
    wire = envelope.to_json()
    data = envelope.data
    if not (isinstance(data, ShopifyWebhook) and not data.payload
            and wire.endswith(_EMPTY_PAYLOAD_END)):  # fmt: skip
        raise ValueError("expected a shopify.webhook envelope built with an empty payload")
    return wire[: -len(b"{}}}")] + raw_payload + b"}}"
