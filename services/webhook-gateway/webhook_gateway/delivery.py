"""What an admitted webhook or notification becomes on the bus: its envelope and its
correlation id, and the delivery record that deduplicates it."""

import uuid
from datetime import datetime
from uuid import UUID, uuid5

from contracts import FulfillmentOrderNotification, new_envelope
from contracts.correlation import CORRELATION_NAMESPACE, order_correlation_id
from contracts.webhook_bodies import trimmed_as_order
from contracts.webhook_wire import WebhookMessage, webhook_message
from webhook_gateway.admission import Admitted, PayloadIdentity
from webhook_gateway.notifications import NOTIFICATION_TOPIC, AdmittedNotification
from webhook_gateway.store import Delivery

NOTIFICATION_MESSAGE = "shopify.fulfillment_order_notification"


def correlation_id_for(shop: str, topic: str, webhook_id: str, identity: PayloadIdentity) -> UUID:
    order_gid = _order_gid(identity) if trimmed_as_order(topic) else None
    if order_gid is not None:
        return order_correlation_id(shop, order_gid)
    # Not about one order: its retries at least share one conversation.
    return uuid5(CORRELATION_NAMESPACE, f"{shop}|webhook|{webhook_id}")


def _order_gid(identity: PayloadIdentity) -> str | None:
    gid = identity.admin_graphql_api_id
    if isinstance(gid, str) and gid:
        return gid
    order_id = identity.id
    if isinstance(order_id, int) and not isinstance(order_id, bool):
        return f"gid://shopify/Order/{order_id}"
    return None


def to_message(admitted: Admitted, received_at: datetime) -> WebhookMessage:
    """The message for an admitted webhook."""
    headers, shop = admitted.sender.headers, admitted.sender.shop.domain
    return webhook_message(
        shop=shop,
        correlation_id=correlation_id_for(
            shop, headers.topic, headers.webhook_id, admitted.identity
        ),
        webhook_id=headers.webhook_id,
        event_id=headers.event_id,
        topic=headers.topic,
        api_version=headers.api_version,
        triggered_at=headers.triggered_at,
        received_at=received_at,
        payload=admitted.payload,
    )


def notification_delivery(admitted: AdmittedNotification, received_at: datetime) -> Delivery:
    """The delivery (and message) for an admitted fulfillment-service notification.

    Keyed by Shopify's `X-Shopify-Webhook-Id`, so its retries are published once. Without the
    header the gateway makes an id of its own, and a retry cannot be told from a new
    notification: it is published again. That is harmless, since a notification only triggers
    a read of the service's assigned fulfillment orders and the consumer coalesces those scans.
    """
    notifier = admitted.notifier
    shop = notifier.shop.domain
    notification_id = notifier.webhook_id or f"gateway-{uuid.uuid4()}"
    envelope = new_envelope(
        NOTIFICATION_MESSAGE,
        FulfillmentOrderNotification(
            notification_id=notification_id,
            facility=notifier.facility,
            kind=admitted.kind,
            received_at=received_at,
        ),
        shop=shop,
        # Not about one order (the body names none): its retries share one conversation.
        correlation_id=uuid5(CORRELATION_NAMESPACE, f"{shop}|notification|{notification_id}"),
        occurred_at=received_at,
    )
    message = WebhookMessage(
        envelope.id,
        envelope.type,
        shop,
        envelope.correlation_id,
        envelope.occurred_at,
        envelope.to_json(),
    )
    return Delivery.of_notification(
        notification_id, NOTIFICATION_TOPIC, notifier.api_version, message
    )
