"""Payloads of events between our own services (exchange `internal.events`)."""

from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StringConstraints

from contracts.errors import ContractError
from contracts.fields import (
    FulfillmentGid,
    FulfillmentOrderGid,
    FulfillmentOrderLineItemGid,
    LocationGid,
    OrderGid,
    Payload,
    PositiveQuantity,
    RequiredText,
    UtcDatetime,
)

SubscribedTopic = Literal[
    "orders/create",
    "orders/paid",
    "orders/updated",
    "orders/cancelled",
    "orders/edited",
    "fulfillment_orders/moved",
    "fulfillment_orders/split",
    "fulfillment_orders/merged",
    "fulfillment_orders/placed_on_hold",
    "fulfillment_orders/hold_released",
    "fulfillment_orders/fulfillment_request_submitted",
    "fulfillment_orders/cancellation_request_submitted",
    "fulfillment_orders/cancelled",
    "products/create",
    "products/update",
    "products/delete",
    "bulk_operations/finish",
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

    The webhook is a trigger, not the truth: `payload` is Shopify's REST-shaped body as received,
    except that an `orders/*` body carries only the fields of `contracts.webhook_bodies` (no
    personal data); consumers read what they need from it and fetch the order over GraphQL.
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


NotificationKind = Literal["FULFILLMENT_REQUEST", "CANCELLATION_REQUEST"]


class FulfillmentOrderNotification(Payload):
    """Shopify's `POST <callbackUrl>/fulfillment_order_notification` to a facility connected as
    a fulfillment service, verified and stored by the gateway
    (`shopify.fulfillment_order_notification`).

    Like a webhook it is a trigger: Shopify's body says only which kind of request is waiting,
    not for which fulfillment order, so the consumer reads the service's assigned fulfillment
    orders to find them.
    """

    notification_id: RequiredText
    """`X-Shopify-Webhook-Id` when Shopify sends one (retries keep it), else the gateway's own."""
    facility: RequiredText
    """The facility whose callback URL was called (`/fulfillment_services/<facility>/...`)."""
    kind: NotificationKind
    received_at: UtcDatetime


# --- events between services: what one service learned that another needs ----------------------
# None of them carries personal data: they say which order, which lines, which SKUs, no more.


class FulfillmentOrderLineRef(Payload):
    """Units of one fulfillment-order line, named both ways the WMS may name them."""

    line_ref: FulfillmentOrderLineItemGid
    sku: RequiredText
    quantity: PositiveQuantity


class WmsOrderSent(Payload):
    """order-intake sent `wms.order.create` for one fulfillment order (`orders.wms_order.sent`).

    The mapping from our WMS reference back to Shopify: fulfillment-sync turns shipments into
    fulfillments with it, cancellation knows which WMS orders a Shopify order has, and
    inventory-sync counts the units as in flight until the WMS answers.
    """

    wms_order_ref: RequiredText
    shopify_order_id: OrderGid
    shopify_order_name: RequiredText
    fulfillment_order_id: FulfillmentOrderGid
    facility: RequiredText
    location_id: LocationGid
    placed_at: UtcDatetime
    sent_at: UtcDatetime
    lines: list[FulfillmentOrderLineRef] = Field(min_length=1)


class WmsOrderReduced(Payload):
    """The WMS confirmed taking units out of a WMS order at order-intake's request
    (`orders.wms_order.reduced`): its `wms.order.reduce` was answered `reduced`, or its
    `wms.order.cancel` (the units all left Shopify's FO: moved, merged away) `cancelled`.

    `lines` is what the WMS order holds now (empty once cancelled): fulfillment-sync and
    cancellation count shipments and restocks against it instead of the lines first sent, and
    cancellation need not ask to cancel a WMS order that is gone.
    """

    wms_order_ref: RequiredText
    shopify_order_id: OrderGid
    fulfillment_order_id: FulfillmentOrderGid
    cancelled: bool
    lines: list[FulfillmentOrderLineRef] = []
    confirmed_at: UtcDatetime


class ShopifyOrderCancelled(Payload):
    """order-intake saw a Shopify order cancelled, by webhook or by polling
    (`orders.order.cancelled`); emitted once per order."""

    shopify_order_id: OrderGid
    shopify_order_name: RequiredText
    cancelled_at: UtcDatetime
    reason: str | None = None
    """Shopify's cancel reason (CUSTOMER, FRAUD, INVENTORY, DECLINED, STAFF, OTHER)."""


class ShipmentSynced(Payload):
    """fulfillment-sync created (or found) the Shopify fulfillment for a WMS shipment
    (`fulfillments.shipment.synced`)."""

    shipment_id: RequiredText
    wms_order_ref: RequiredText
    shopify_order_id: OrderGid
    fulfillment_order_id: FulfillmentOrderGid
    fulfillment_id: FulfillmentGid
    lines: list[FulfillmentOrderLineRef] = Field(min_length=1)
    fulfillment_order_complete: bool
    """Nothing is left to ship on this fulfillment order."""


class RestockedLine(Payload):
    sku: RequiredText
    quantity: PositiveQuantity


class OrderRestocked(Payload):
    """A cancellation put stock back (`cancellations.order.restocked`); inventory-sync applies
    it once (keyed by `restock_id`) so its next push accounts for it and a later WMS snapshot
    does not count it twice."""

    restock_id: RequiredText
    """Stable per cancellation: the same restock re-sent has one effect."""
    wms_order_ref: RequiredText
    shopify_order_id: OrderGid
    facility: RequiredText
    location_id: LocationGid
    restocked_in_shopify: bool
    """Shopify already added the units back (`orderCancel` with `restock: true`)."""
    lines: list[RestockedLine] = Field(min_length=1)


class FulfillmentServiceRegistered(Payload):
    """order-intake found (or created) a facility's fulfillment service in a shop
    (`orders.fulfillment_service.registered`), sent after every registration check so a service
    that starts later still learns it: the location Shopify made for it is where that facility's
    orders arrive and, when the service manages inventory, where its stock is fed."""

    facility: RequiredText
    fulfillment_service_id: Annotated[
        str, StringConstraints(pattern=r"^gid://shopify/FulfillmentService/[0-9]+(\?.*)?$")
    ]
    location_id: LocationGid
    inventory_management: bool
    tracking_support: bool


class CatalogFindings(Payload):
    """What inventory-sync's catalog found wrong with a shop's catalog, whole
    (`catalog.findings.changed`, sent when it changes): order-intake holds orders carrying these
    SKUs back with the reason, as inventory-sync sets them aside, instead of a failing batch."""

    duplicate_skus: list[RequiredText] = []
    """SKUs carried by more than one shippable variant."""
    rejected_skus: dict[str, str] = {}
    """SKU -> why the WMS rejected the item (`wms.item.rejected`)."""
    as_of: UtcDatetime
