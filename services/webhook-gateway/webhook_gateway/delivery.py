"""What an admitted webhook becomes on the bus: its envelope and its correlation id."""

from datetime import datetime
from uuid import UUID, uuid5

from contracts.correlation import CORRELATION_NAMESPACE, order_correlation_id
from contracts.webhook_bodies import trimmed_as_order
from contracts.webhook_wire import WebhookMessage, webhook_message
from webhook_gateway.admission import Admitted, PayloadIdentity


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
