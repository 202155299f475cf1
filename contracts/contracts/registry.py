"""Every message on the bus: its type (= routing key), version, payload model and exchange.

Adding a message is one payload model and one line in `_SPECS`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel

from contracts import internal, wms
from contracts.errors import ContractError
from contracts.internal import SUBSCRIBED_TOPICS, ShopifyWebhook, webhook_message_type

WMS_COMMANDS = "wms.commands"
WMS_EVENTS = "wms.events"
INTERNAL_EVENTS = "internal.events"

Direction = Literal["command", "event", "internal"]
# Spelled out here because inside MessageSpec the field `type` shadows the builtin.
PayloadModel = type[BaseModel]


@dataclass(frozen=True)
class MessageSpec:
    """What the bus knows about one message type."""

    type: str
    """Also the routing key."""
    version: int
    payload: PayloadModel
    exchange: str
    direction: Direction
    """`command`: we send it to the WMS; `event`: the WMS sends it; `internal`: ours to ours."""
    summary: str


def _command(type: str, payload: PayloadModel, summary: str) -> MessageSpec:
    return MessageSpec(type, 1, payload, WMS_COMMANDS, "command", summary)


def _event(type: str, payload: PayloadModel, summary: str) -> MessageSpec:
    return MessageSpec(type, 1, payload, WMS_EVENTS, "event", summary)


def _internal(type: str, payload: PayloadModel, summary: str) -> MessageSpec:
    return MessageSpec(type, 1, payload, INTERNAL_EVENTS, "internal", summary)


_SPECS: tuple[MessageSpec, ...] = (
    _command("wms.order.create", wms.WmsOrderCreate, "Create a WMS order for a fulfillment order"),
    _command("wms.order.cancel", wms.WmsOrderCancel, "Ask the WMS to cancel an order"),
    _command("wms.order.reduce", wms.WmsOrderReduce, "Take units out of an order already sent"),
    _command("wms.order.hold", wms.WmsOrderHold, "Ask the WMS to hold an order"),
    _command("wms.order.release", wms.WmsOrderRelease, "Release a held order"),
    _command("wms.order.update", wms.WmsOrderUpdate, "Change an order's ship-by date"),
    _command("wms.item.upsert", wms.WmsItemUpsert, "An item the shop sells, new or changed"),
    _command("wms.item.discontinued", wms.WmsItemDiscontinued, "The shop no longer sells it"),
    _event("wms.item.rejected", wms.WmsItemRejected, "The WMS cannot take an item"),
    _event("wms.order.accepted", wms.WmsOrderAccepted, "The WMS accepted an order"),
    _event("wms.order.rejected", wms.WmsOrderRejected, "The WMS rejected an order"),
    _event("wms.shipment.confirmed", wms.WmsShipmentConfirmed, "A shipment left the warehouse"),
    _event("wms.order.cancel_result", wms.WmsOrderCancelResult, "Answer to a cancel request"),
    _event("wms.order.reduce_result", wms.WmsOrderReduceResult, "Answer to a reduce request"),
    _event("wms.order.cancelled", wms.WmsOrderCancelled, "The warehouse cancelled an order"),
    _event("wms.inventory.snapshot", wms.WmsInventorySnapshot, "Full stock of a facility (part)"),
    _event("wms.inventory.adjusted", wms.WmsInventoryAdjusted, "Stock of one SKU changed"),
    *(
        _internal(webhook_message_type(topic), ShopifyWebhook, f"Shopify webhook {topic}")
        for topic in SUBSCRIBED_TOPICS
    ),
    _internal(
        "shopify.fulfillment_order_notification",
        internal.FulfillmentOrderNotification,
        "Shopify asked a fulfillment service to look at its requests",
    ),
    _internal(
        "orders.fulfillment_service.registered",
        internal.FulfillmentServiceRegistered,
        "A facility's fulfillment service exists in a shop, at this location",
    ),
    _internal(
        "catalog.findings.changed",
        internal.CatalogFindings,
        "What is wrong with a shop's catalog (duplicate or rejected SKUs), whole",
    ),
    _internal("orders.wms_order.sent", internal.WmsOrderSent, "order-intake sent a WMS order"),
    _internal(
        "orders.order.cancelled", internal.ShopifyOrderCancelled, "A Shopify order was cancelled"
    ),
    _internal("orders.wms_order.reduced", internal.WmsOrderReduced, "A WMS order was reduced"),
    _internal(
        "fulfillments.shipment.synced",
        internal.ShipmentSynced,
        "A WMS shipment is a Shopify fulfillment",
    ),
    _internal(
        "cancellations.order.restocked",
        internal.OrderRestocked,
        "A cancellation put stock back",
    ),
)


def _index(specs: tuple[MessageSpec, ...]) -> Mapping[str, MessageSpec]:
    index: dict[str, MessageSpec] = {}
    for spec in specs:
        if spec.type in index:
            raise ValueError(f"message type {spec.type!r} registered twice")
        index[spec.type] = spec
    return MappingProxyType(index)


MESSAGES: Mapping[str, MessageSpec] = _index(_SPECS)


def spec_for(type: str) -> MessageSpec:
    try:
        return MESSAGES[type]
    except KeyError:
        raise ContractError(f"unknown message type {type!r}") from None
