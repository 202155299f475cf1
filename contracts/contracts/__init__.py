"""Message contracts: envelope and payload models, JSON Schema and AsyncAPI export.

The single source of truth for every message on the bus (SPEC section 3).
"""

from contracts.correlation import order_correlation_id
from contracts.envelope import Envelope, new_envelope, parse_envelope
from contracts.errors import ContractError
from contracts.internal import (
    SUBSCRIBED_TOPICS,
    FulfillmentOrderLineRef,
    OrderRestocked,
    RestockedLine,
    ShipmentSynced,
    ShopifyOrderCancelled,
    ShopifyWebhook,
    WmsOrderSent,
    webhook_message_type,
)
from contracts.registry import (
    INTERNAL_EVENTS,
    MESSAGES,
    WMS_COMMANDS,
    WMS_EVENTS,
    MessageSpec,
    spec_for,
)
from contracts.wms import (
    Address,
    OrderLine,
    ShipmentLine,
    ShippingMethod,
    SnapshotItem,
    WmsInventoryAdjusted,
    WmsInventorySnapshot,
    WmsOrderAccepted,
    WmsOrderCancel,
    WmsOrderCancelled,
    WmsOrderCancelResult,
    WmsOrderCreate,
    WmsOrderHold,
    WmsOrderRejected,
    WmsOrderRelease,
    WmsOrderUpdate,
    WmsShipmentConfirmed,
)

__all__ = [
    "INTERNAL_EVENTS",
    "MESSAGES",
    "SUBSCRIBED_TOPICS",
    "WMS_COMMANDS",
    "WMS_EVENTS",
    "Address",
    "ContractError",
    "Envelope",
    "FulfillmentOrderLineRef",
    "MessageSpec",
    "OrderLine",
    "OrderRestocked",
    "RestockedLine",
    "ShipmentLine",
    "ShipmentSynced",
    "ShippingMethod",
    "ShopifyOrderCancelled",
    "ShopifyWebhook",
    "SnapshotItem",
    "WmsInventoryAdjusted",
    "WmsInventorySnapshot",
    "WmsOrderAccepted",
    "WmsOrderCancel",
    "WmsOrderCancelResult",
    "WmsOrderCancelled",
    "WmsOrderCreate",
    "WmsOrderHold",
    "WmsOrderRejected",
    "WmsOrderRelease",
    "WmsOrderSent",
    "WmsOrderUpdate",
    "WmsShipmentConfirmed",
    "new_envelope",
    "order_correlation_id",
    "parse_envelope",
    "spec_for",
    "webhook_message_type",
]
