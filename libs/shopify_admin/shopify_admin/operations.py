"""Every GraphQL document shipbridge sends to the Shopify Admin API.

Each is an `Operation` whose declared `cost` is Shopify's requestedQueryCost at
its `default_variables` (checked against the 2026-07 schema and cost model by
the conformance tests). Page-size variables have defaults so that a request
stays under Shopify's 1000-point limit per query; callers pass the rest.

Paginated queries take `$after` (cursor) and expose `pageInfo { hasNextPage
endCursor }` so `pagination.paginate` can follow them.

Retry safety (`retry_safe`): queries are always safe to repeat. A mutation is
retried after an ambiguous failure (timeout, 5xx, connection lost after
sending) only when a repeat cannot double its effect: it carries an
idempotency key, or repeating it is refused by Shopify instead of applied
twice. `fulfillmentCreate` is neither: a repeat creates a second fulfillment,
so the client does not retry it after an ambiguous failure and callers that
need exactly-once read the fulfillment order back (FULFILLMENT_ORDER) before
trying again. Failures that prove the request did not run (THROTTLED, 429,
refused connection) are retried for every operation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "ASSIGNED_FULFILLMENT_ORDERS",
    "BULK_OPERATION",
    "CATALOG_BULK_RUN",
    "CATALOG_PRODUCTS",
    "CATALOG_PRODUCT_VARIANTS",
    "FULFILLMENT_CREATE",
    "FULFILLMENT_ORDER",
    "FULFILLMENT_ORDER_ACCEPT_CANCELLATION_REQUEST",
    "FULFILLMENT_ORDER_ACCEPT_FULFILLMENT_REQUEST",
    "FULFILLMENT_ORDER_CLOSE",
    "FULFILLMENT_ORDER_HOLD",
    "FULFILLMENT_ORDER_LINE_ITEMS",
    "FULFILLMENT_ORDER_LINE_ITEMS_PAGE",
    "FULFILLMENT_ORDER_REJECT_CANCELLATION_REQUEST",
    "FULFILLMENT_ORDER_REJECT_FULFILLMENT_REQUEST",
    "FULFILLMENT_ORDER_RELEASE_HOLD",
    "FULFILLMENT_ORDER_REQUEST_STATE",
    "FULFILLMENT_SERVICES",
    "FULFILLMENT_SERVICE_CREATE",
    "FULFILLMENT_SERVICE_DELETE",
    "FULFILLMENT_SERVICE_UPDATE",
    "INVENTORY_ITEMS_BY_SKU",
    "INVENTORY_ITEM_LEVELS",
    "INVENTORY_LEVELS",
    "INVENTORY_SET_QUANTITIES",
    "LOCATIONS",
    "MAX_PAGE_SIZE",
    "MAX_QUERY_COST",
    "ORDERS_BY_ID",
    "ORDERS_UPDATED_SINCE",
    "ORDER_CANCEL",
    "ORDER_CANCELLATION_STATE",
    "ORDER_CLOSE",
    "ORDER_FULFILLMENT_ORDERS",
    "PRODUCT_VARIANTS",
    "WEBHOOK_SUBSCRIPTIONS",
    "WEBHOOK_SUBSCRIPTION_CREATE",
    "Operation",
    "all_operations",
]

MAX_QUERY_COST = 1000  # Shopify refuses a single query requesting more (MAX_COST_EXCEEDED)
MAX_PAGE_SIZE = 250  # largest `first` and largest input array Shopify accepts

OperationKind = Literal["query", "mutation"]

_HEADER = re.compile(r"^\s*(query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


@dataclass(frozen=True)
class Operation:
    """One named GraphQL document.

    `cost`: Shopify's requestedQueryCost at `default_variables`, used to reserve
    throttle budget before the first real figure is known.
    `retry_safe`: may be sent again after an ambiguous failure (see module doc).
    `default_variables`: merged under the caller's variables on every request.
    """

    name: str
    document: str
    cost: int
    kind: OperationKind = "query"
    retry_safe: bool = True
    default_variables: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )

    def __post_init__(self) -> None:
        header = _HEADER.search(self.document)
        if header is None or (header.group(1), header.group(2)) != (self.kind, self.name):
            raise ValueError(f"document of {self.kind} {self.name} does not declare it")
        if not 0 < self.cost <= MAX_QUERY_COST:
            raise ValueError(f"{self.name}: cost {self.cost} outside 1..{MAX_QUERY_COST}")
        object.__setattr__(
            self, "default_variables", MappingProxyType(dict(self.default_variables))
        )

    def variables(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The variables actually sent: defaults overridden by what the caller gave."""
        return {**self.default_variables, **(given or {})}


_PAGE_INFO = "pageInfo { hasNextPage endCursor }"

# One fulfillment order as order-intake needs it, with its first page of lines; the lines'
# `pageInfo` lets a caller read the rest (FULFILLMENT_ORDER_LINE_ITEMS and
# FULFILLMENT_ORDER_LINE_ITEMS_PAGE).
_FULFILLMENT_ORDER_FRAGMENT = """
fragment ShipbridgeFulfillmentOrder on FulfillmentOrder {
  id
  status
  requestStatus
  fulfillBy
  updatedAt
  assignedLocation { location { id } }
  fulfillmentHolds { id handle reason reasonNotes }
  lineItems(first: $lineItemsFirst) {
    ...ShipbridgeFulfillmentOrderLines
  }
}
"""

_FULFILLMENT_ORDER_LINES_FRAGMENT = """
fragment ShipbridgeFulfillmentOrderLines on FulfillmentOrderLineItemConnection {
  nodes {
    id
    totalQuantity
    remainingQuantity
    lineItem { id sku name requiresShipping }
  }
  pageInfo { hasNextPage endCursor }
}
"""

# Customer data a shop may choose to send to its WMS (shop_config `wms_order`): read only when
# the shop sends it (`@include`), so a shop that does not never has Shopify hand it over.
_ADDRESS_FIELDS = "name company address1 address2 city provinceCode zip countryCodeV2 phone"

# One order as order-intake needs it, whether it was found by polling or by id.
# Normal orders fit the first page (5 fulfillment orders x 50 lines); for a bigger one the
# `pageInfo`s say where to go on (ORDER_FULFILLMENT_ORDERS, FULFILLMENT_ORDER_LINE_ITEMS).
_ORDER_FRAGMENT = f"""
fragment ShipbridgeOrder on Order {{
  id
  name
  createdAt
  updatedAt
  processedAt
  cancelledAt
  cancelReason
  closed
  test
  displayFinancialStatus
  displayFulfillmentStatus
  paymentGatewayNames
  tags
  note
  sourceName
  email @include(if: $withEmail)
  risk {{
    recommendation
    assessments {{ riskLevel }}
  }}
  shippingAddress {{ {_ADDRESS_FIELDS} }}
  billingAddress @include(if: $withBillingAddress) {{ {_ADDRESS_FIELDS} }}
  shippingLine {{ code title }}
  fulfillmentOrders(first: $fulfillmentOrdersFirst) {{
    nodes {{ ...ShipbridgeFulfillmentOrder }}
    {_PAGE_INFO}
  }}
}}
{_FULFILLMENT_ORDER_FRAGMENT}{_FULFILLMENT_ORDER_LINES_FRAGMENT}"""

# The first page of an order: enough for nearly every order in one read.
ORDER_FIRST_PAGE_SIZES = MappingProxyType({"fulfillmentOrdersFirst": 5, "lineItemsFirst": 50})
_ORDER_VARIABLES = {**ORDER_FIRST_PAGE_SIZES, "withEmail": False, "withBillingAddress": False}

ORDERS_UPDATED_SINCE = Operation(
    name="OrdersUpdatedSince",
    document=f"""
query OrdersUpdatedSince(
  $query: String!
  $first: Int!
  $after: String
  $fulfillmentOrdersFirst: Int!
  $lineItemsFirst: Int!
  $withEmail: Boolean!
  $withBillingAddress: Boolean!
) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{ ...ShipbridgeOrder }}
    {_PAGE_INFO}
  }}
}}
{_ORDER_FRAGMENT}""",
    cost=471,
    default_variables={"first": 50, **_ORDER_VARIABLES},
)

ORDERS_BY_ID = Operation(
    name="OrdersById",
    document=f"""
query OrdersById(
  $ids: [ID!]!
  $fulfillmentOrdersFirst: Int!
  $lineItemsFirst: Int!
  $withEmail: Boolean!
  $withBillingAddress: Boolean!
) {{
  nodes(ids: $ids) {{
    ... on Order {{ ...ShipbridgeOrder }}
  }}
}}
{_ORDER_FRAGMENT}""",
    cost=67,
    default_variables=_ORDER_VARIABLES,
)

# The fulfillment orders of one order after the first page (an order shipping from more than
# five locations, or split many times), each with up to 250 lines: 255 points requested.
ORDER_FULFILLMENT_ORDERS = Operation(
    name="OrderFulfillmentOrders",
    document=f"""
query OrderFulfillmentOrders($id: ID!, $first: Int!, $after: String, $lineItemsFirst: Int!) {{
  order(id: $id) {{
    id
    fulfillmentOrders(first: $first, after: $after) {{
      nodes {{ ...ShipbridgeFulfillmentOrder }}
      {_PAGE_INFO}
    }}
  }}
}}
{_FULFILLMENT_ORDER_FRAGMENT}{_FULFILLMENT_ORDER_LINES_FRAGMENT}""",
    cost=255,
    default_variables={"first": 100, "lineItemsFirst": MAX_PAGE_SIZE},
)

# The lines of many fulfillment orders at once, from their first line: one query reads up to
# 250 lines of each of up to 250 fulfillment orders (`nodes(ids:)` is priced like one record).
FULFILLMENT_ORDER_LINE_ITEMS = Operation(
    name="FulfillmentOrderLineItems",
    document=f"""
query FulfillmentOrderLineItems($ids: [ID!]!, $first: Int!) {{
  nodes(ids: $ids) {{
    ... on FulfillmentOrder {{
      id
      lineItems(first: $first) {{ ...ShipbridgeFulfillmentOrderLines }}
    }}
  }}
}}
{_FULFILLMENT_ORDER_LINES_FRAGMENT}""",
    cost=25,
    default_variables={"first": MAX_PAGE_SIZE},
)

# The lines of one fulfillment order after a cursor: what is left beyond a page already read.
FULFILLMENT_ORDER_LINE_ITEMS_PAGE = Operation(
    name="FulfillmentOrderLineItemsPage",
    document=f"""
query FulfillmentOrderLineItemsPage($id: ID!, $first: Int!, $after: String) {{
  fulfillmentOrder(id: $id) {{
    id
    lineItems(first: $first, after: $after) {{ ...ShipbridgeFulfillmentOrderLines }}
  }}
}}
{_FULFILLMENT_ORDER_LINES_FRAGMENT}""",
    cost=25,
    default_variables={"first": MAX_PAGE_SIZE},
)

# A fulfillment order as it stands, with its fulfillments (tracking numbers and quantities):
# what a caller reads back before creating a fulfillment again, so a repeat cannot double it.
FULFILLMENT_ORDER = Operation(
    name="FulfillmentOrder",
    document=f"""
query FulfillmentOrder(
  $id: ID!
  $lineItemsFirst: Int!
  $lineItemsAfter: String
  $fulfillmentsFirst: Int!
  $fulfillmentLineItemsFirst: Int!
) {{
  fulfillmentOrder(id: $id) {{
    id
    orderId
    orderName
    order {{ cancelledAt }}
    status
    requestStatus
    fulfillBy
    updatedAt
    assignedLocation {{ location {{ id }} }}
    fulfillmentHolds {{ id handle reason reasonNotes }}
    lineItems(first: $lineItemsFirst, after: $lineItemsAfter) {{
      nodes {{
        id
        totalQuantity
        remainingQuantity
        lineItem {{ id sku name requiresShipping }}
      }}
      {_PAGE_INFO}
    }}
    fulfillments(first: $fulfillmentsFirst) {{
      nodes {{
        id
        status
        createdAt
        trackingInfo(first: 10) {{ company number url }}
        fulfillmentLineItems(first: $fulfillmentLineItemsFirst) {{
          nodes {{ quantity lineItem {{ id }} }}
          pageInfo {{ hasNextPage }}
        }}
      }}
      pageInfo {{ hasNextPage }}
    }}
  }}
}}""",
    cost=121,
    default_variables={
        "lineItemsFirst": MAX_PAGE_SIZE,
        "fulfillmentsFirst": 20,
        "fulfillmentLineItemsFirst": 50,
    },
)

FULFILLMENT_CREATE = Operation(
    name="FulfillmentCreate",
    kind="mutation",
    # A repeat would create a second fulfillment: see the module docstring.
    retry_safe=False,
    document="""
mutation FulfillmentCreate($fulfillment: FulfillmentInput!, $message: String) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment {
      id
      status
      createdAt
      trackingInfo(first: 10) { company number url }
    }
    userErrors { field message }
  }
}""",
    cost=11,
)

FULFILLMENT_ORDER_HOLD = Operation(
    name="FulfillmentOrderHold",
    kind="mutation",
    # The handle is required here: a repeat with the same handle is refused
    # (DUPLICATE_FULFILLMENT_HOLD_HANDLE) instead of stacking a second hold.
    retry_safe=True,
    document="""
mutation FulfillmentOrderHold(
  $id: ID!
  $handle: String!
  $reason: FulfillmentHoldReason!
  $reasonNotes: String
  $notifyMerchant: Boolean
) {
  fulfillmentOrderHold(
    id: $id
    fulfillmentHold: {
      handle: $handle
      reason: $reason
      reasonNotes: $reasonNotes
      notifyMerchant: $notifyMerchant
    }
  ) {
    fulfillmentHold { id handle reason reasonNotes }
    fulfillmentOrder { id status }
    userErrors { field message code }
  }
}""",
    cost=10,
    default_variables={"notifyMerchant": False},
)

FULFILLMENT_ORDER_RELEASE_HOLD = Operation(
    name="FulfillmentOrderReleaseHold",
    kind="mutation",
    # Releasing a released hold changes nothing. holdIds is required here:
    # without it Shopify releases every hold on the order, other apps' too.
    retry_safe=True,
    document="""
mutation FulfillmentOrderReleaseHold($id: ID!, $holdIds: [ID!]!, $externalId: String) {
  fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds, externalId: $externalId) {
    fulfillmentOrder { id status }
    userErrors { field message code }
  }
}""",
    cost=10,
)

ORDER_CANCEL = Operation(
    name="OrderCancel",
    kind="mutation",
    # Cancelling is irreversible and a repeat is refused (already cancelled),
    # so a retry cannot cancel, refund or restock twice.
    retry_safe=True,
    document="""
mutation OrderCancel(
  $orderId: ID!
  $reason: OrderCancelReason!
  $restock: Boolean!
  $notifyCustomer: Boolean
  $staffNote: String
  $refundMethod: OrderCancelRefundMethodInput
) {
  orderCancel(
    orderId: $orderId
    reason: $reason
    restock: $restock
    notifyCustomer: $notifyCustomer
    staffNote: $staffNote
    refundMethod: $refundMethod
  ) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}""",
    cost=10,
    default_variables={"notifyCustomer": False},
)

ORDER_CLOSE = Operation(
    name="OrderClose",
    kind="mutation",
    # Closing a closed order changes nothing, so a repeat after an ambiguous failure is safe.
    retry_safe=True,
    document="""
mutation OrderClose($input: OrderCloseInput!) {
  orderClose(input: $input) {
    order { id closed closedAt }
    userErrors { field message }
  }
}""",
    cost=10,
)

# Before and after an orderCancel: is the order cancelled already (and by whom: the staff note),
# and which of its fulfillment orders are still open, where. No personal data is read.
ORDER_CANCELLATION_STATE = Operation(
    name="OrderCancellationState",
    document="""
query OrderCancellationState($id: ID!, $fulfillmentOrdersFirst: Int!) {
  order(id: $id) {
    id
    name
    cancelledAt
    cancellation { staffNote }
    fulfillmentOrders(first: $fulfillmentOrdersFirst) {
      nodes {
        id
        status
        assignedLocation { location { id } }
      }
      pageInfo { hasNextPage }
    }
  }
}""",
    cost=19,
    default_variables={"fulfillmentOrdersFirst": 20},
)

INVENTORY_SET_QUANTITIES = Operation(
    name="InventorySetQuantities",
    kind="mutation",
    # The @idempotent key (required since 2026-04) makes a repeat a no-op.
    retry_safe=True,
    # No `changes` echo: for 250 quantities it is 500 records nobody reads, and selecting it
    # costs 13 points a call instead of 10: a bulk push at the rate limit would take 30% longer.
    document="""
mutation InventorySetQuantities($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { id reason referenceDocumentUri }
    userErrors { field message code }
  }
}""",
    cost=10,
)

# Quantities the WMS feed is compared with; `names` is required by Shopify.
_QUANTITY_NAMES = ["available", "on_hand"]

_INVENTORY_ITEM_FRAGMENT = """
fragment ShipbridgeInventoryItem on InventoryItem {
  id
  sku
  tracked
  inventoryLevel(locationId: $locationId) {
    id
    quantities(names: $quantityNames) { name quantity }
  }
}
"""

INVENTORY_ITEMS_BY_SKU = Operation(
    name="InventoryItemsBySku",
    document=f"""
query InventoryItemsBySku(
  $query: String!
  $locationId: ID!
  $quantityNames: [String!]!
  $first: Int!
  $after: String
) {{
  inventoryItems(first: $first, after: $after, query: $query) {{
    nodes {{ ...ShipbridgeInventoryItem }}
    {_PAGE_INFO}
  }}
}}
{_INVENTORY_ITEM_FRAGMENT}""",
    cost=35,
    default_variables={"first": MAX_PAGE_SIZE, "quantityNames": _QUANTITY_NAMES},
)

# Items read back by id (e.g. after CHANGE_FROM_QUANTITY_STALE): Shopify prices
# `nodes(ids:)` the same for 1 or 250 ids.
INVENTORY_ITEM_LEVELS = Operation(
    name="InventoryItemLevels",
    document=f"""
query InventoryItemLevels($ids: [ID!]!, $locationId: ID!, $quantityNames: [String!]!) {{
  nodes(ids: $ids) {{
    ... on InventoryItem {{ ...ShipbridgeInventoryItem }}
  }}
}}
{_INVENTORY_ITEM_FRAGMENT}""",
    cost=3,
    default_variables={"quantityNames": _QUANTITY_NAMES},
)

PRODUCT_VARIANTS = Operation(
    name="ProductVariants",
    document=f"""
query ProductVariants(
  $locationId: ID!
  $quantityNames: [String!]!
  $first: Int!
  $after: String
  $query: String
) {{
  productVariants(first: $first, after: $after, query: $query) {{
    nodes {{
      id
      sku
      inventoryItem {{ ...ShipbridgeInventoryItem }}
    }}
    {_PAGE_INFO}
  }}
}}
{_INVENTORY_ITEM_FRAGMENT}""",
    cost=46,
    default_variables={"first": MAX_PAGE_SIZE, "quantityNames": _QUANTITY_NAMES},
)

INVENTORY_LEVELS = Operation(
    name="InventoryLevels",
    document=f"""
query InventoryLevels(
  $locationId: ID!
  $quantityNames: [String!]!
  $first: Int!
  $after: String
) {{
  location(id: $locationId) {{
    id
    inventoryLevels(first: $first, after: $after) {{
      nodes {{
        id
        updatedAt
        item {{ id sku tracked }}
        quantities(names: $quantityNames) {{ name quantity }}
      }}
      {_PAGE_INFO}
    }}
  }}
}}""",
    cost=36,
    default_variables={"first": MAX_PAGE_SIZE, "quantityNames": _QUANTITY_NAMES},
)

LOCATIONS = Operation(
    name="Locations",
    document=f"""
query Locations($first: Int!, $after: String, $includeInactive: Boolean) {{
  locations(first: $first, after: $after, includeInactive: $includeInactive) {{
    nodes {{
      id
      name
      isActive
      fulfillsOnlineOrders
      isFulfillmentService
      shipsInventory
    }}
    {_PAGE_INFO}
  }}
}}""",
    cost=13,
    default_variables={"first": MAX_PAGE_SIZE, "includeInactive": False},
)

WEBHOOK_SUBSCRIPTIONS = Operation(
    name="WebhookSubscriptions",
    document=f"""
query WebhookSubscriptions($first: Int!, $after: String) {{
  webhookSubscriptions(first: $first, after: $after) {{
    nodes {{
      id
      topic
      uri
      format
      filter
      includeFields
      createdAt
      updatedAt
    }}
    {_PAGE_INFO}
  }}
}}""",
    cost=11,
    default_variables={"first": 100},
)

WEBHOOK_SUBSCRIPTION_CREATE = Operation(
    name="WebhookSubscriptionCreate",
    kind="mutation",
    # Shopify refuses a second subscription for the same topic and address.
    retry_safe=True,
    document="""
mutation WebhookSubscriptionCreate(
  $topic: WebhookSubscriptionTopic!
  $webhookSubscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri format }
    userErrors { field message }
  }
}""",
    cost=10,
)


# --- a facility connected as a fulfillment service (order-intake) ------------------------------

_FULFILLMENT_SERVICE_FIELDS = """
    id
    serviceName
    callbackUrl
    inventoryManagement
    trackingSupport
    location { id }"""

# Every fulfillment service of the shop (the app sees its own): how registration finds its
# service again after a restart or a lost create answer, instead of creating a second one.
FULFILLMENT_SERVICES = Operation(
    name="FulfillmentServices",
    document=f"""
query FulfillmentServices {{
  shop {{
    fulfillmentServices {{{_FULFILLMENT_SERVICE_FIELDS}
    }}
  }}
}}""",
    cost=3,
)

FULFILLMENT_SERVICE_CREATE = Operation(
    name="FulfillmentServiceCreate",
    kind="mutation",
    # Shopify refuses a second service with a name already taken in the shop, so a repeat after
    # an ambiguous failure cannot create two; registration then finds the first by its name.
    retry_safe=True,
    document=f"""
mutation FulfillmentServiceCreate(
  $name: String!
  $callbackUrl: URL
  $inventoryManagement: Boolean
  $trackingSupport: Boolean
) {{
  fulfillmentServiceCreate(
    name: $name
    callbackUrl: $callbackUrl
    inventoryManagement: $inventoryManagement
    trackingSupport: $trackingSupport
  ) {{
    fulfillmentService {{{_FULFILLMENT_SERVICE_FIELDS}
    }}
    userErrors {{ field message }}
  }}
}}""",
    cost=11,
)

FULFILLMENT_SERVICE_UPDATE = Operation(
    name="FulfillmentServiceUpdate",
    kind="mutation",
    # Sets absolute values: a repeat leaves the service as the first call did.
    retry_safe=True,
    document=f"""
mutation FulfillmentServiceUpdate(
  $id: ID!
  $name: String
  $callbackUrl: URL
  $inventoryManagement: Boolean
  $trackingSupport: Boolean
) {{
  fulfillmentServiceUpdate(
    id: $id
    name: $name
    callbackUrl: $callbackUrl
    inventoryManagement: $inventoryManagement
    trackingSupport: $trackingSupport
  ) {{
    fulfillmentService {{{_FULFILLMENT_SERVICE_FIELDS}
    }}
    userErrors {{ field message }}
  }}
}}""",
    cost=11,
)

FULFILLMENT_SERVICE_DELETE = Operation(
    name="FulfillmentServiceDelete",
    kind="mutation",
    # A repeat finds nothing left to delete and is refused.
    retry_safe=True,
    document="""
mutation FulfillmentServiceDelete(
  $id: ID!
  $destinationLocationId: ID
  $inventoryAction: FulfillmentServiceDeleteInventoryAction
) {
  fulfillmentServiceDelete(
    id: $id
    destinationLocationId: $destinationLocationId
    inventoryAction: $inventoryAction
  ) {
    deletedId
    userErrors { field message }
  }
}""",
    cost=10,
)

# The fulfillment orders waiting at a service's location for an answer (Shopify's notification
# names none): only ids, so a page of 250 costs 13 points; the orders are then read as usual.
ASSIGNED_FULFILLMENT_ORDERS = Operation(
    name="AssignedFulfillmentOrders",
    document=f"""
query AssignedFulfillmentOrders(
  $assignmentStatus: FulfillmentOrderAssignmentStatus!
  $locationIds: [ID!]!
  $first: Int!
  $after: String
) {{
  assignedFulfillmentOrders(
    assignmentStatus: $assignmentStatus
    locationIds: $locationIds
    first: $first
    after: $after
  ) {{
    nodes {{ id orderId requestStatus }}
    {_PAGE_INFO}
  }}
}}""",
    cost=13,
    default_variables={"first": MAX_PAGE_SIZE},
)


# The service's answers to Shopify's requests. Each moves the fulfillment order out of the state
# it answers, so a repeat is refused (a userError), never applied twice.
def _fulfillment_order_answer(name: str, *, with_reason: bool = False) -> Operation:
    """`mutation <name>` calling the field of that name with (id, [reason,] message)."""
    field = name[0].lower() + name[1:]
    variable, argument = (
        ("\n  $reason: FulfillmentOrderRejectionReason", " reason: $reason")
        if with_reason
        else ("", "")
    )
    return Operation(
        name=name,
        kind="mutation",
        retry_safe=True,
        document=f"""
mutation {name}(
  $id: ID!{variable}
  $message: String
) {{
  {field}(id: $id{argument} message: $message) {{
    fulfillmentOrder {{ id status requestStatus }}
    userErrors {{ field message }}
  }}
}}""",
        cost=10,
    )


FULFILLMENT_ORDER_ACCEPT_FULFILLMENT_REQUEST = _fulfillment_order_answer(
    "FulfillmentOrderAcceptFulfillmentRequest"
)
FULFILLMENT_ORDER_REJECT_FULFILLMENT_REQUEST = _fulfillment_order_answer(
    "FulfillmentOrderRejectFulfillmentRequest", with_reason=True
)
FULFILLMENT_ORDER_ACCEPT_CANCELLATION_REQUEST = _fulfillment_order_answer(
    "FulfillmentOrderAcceptCancellationRequest"
)
FULFILLMENT_ORDER_REJECT_CANCELLATION_REQUEST = _fulfillment_order_answer(
    "FulfillmentOrderRejectCancellationRequest"
)

# After an answer Shopify refused: was it already given (our earlier attempt ran, its reply was
# lost), or has the request moved on without us?
FULFILLMENT_ORDER_REQUEST_STATE = Operation(
    name="FulfillmentOrderRequestState",
    document="""
query FulfillmentOrderRequestState($id: ID!) {
  fulfillmentOrder(id: $id) { id status requestStatus }
}""",
    cost=1,
)

# The warehouse cannot complete an accepted fulfillment order: it goes back to the merchant
# (INCOMPLETE) with the reason, to move, re-request or refund.
FULFILLMENT_ORDER_CLOSE = _fulfillment_order_answer("FulfillmentOrderClose")


# --- the catalog as WMS items (inventory-sync's catalog flow) ----------------------------------
#
# Per variant: what a `wms.item.upsert` says (title, SKU, barcode, weight, customs data, image,
# ids, updatedAt). `media(first: 1)` and `featuredMedia` instead of the deprecated `image` and
# `featuredImage`: the variant's own image, else the product's.

CATALOG_VARIANT_FIELDS = """
    id
    title
    sku
    barcode
    updatedAt
    inventoryItem {
      id
      requiresShipping
      harmonizedSystemCode
      countryCodeOfOrigin
      measurement { weight { value unit } }
    }"""

CATALOG_PRODUCT_FIELDS = """
    id
    title
    updatedAt
    featuredMedia { preview { image { url } } }"""

_CATALOG_VARIANT_FRAGMENT = f"""
fragment ShipbridgeCatalogVariant on ProductVariant {{{CATALOG_VARIANT_FIELDS}
    media(first: 1) {{ nodes {{ preview {{ image {{ url }} }} }} }}
}}
"""

# Products read back by id after products/create|update webhooks, with their first page of
# variants; a product with more (`pageInfo`) is read on with CATALOG_PRODUCT_VARIANTS.
CATALOG_PRODUCTS = Operation(
    name="CatalogProducts",
    document=f"""
query CatalogProducts($ids: [ID!]!, $variantsFirst: Int!) {{
  nodes(ids: $ids) {{
    ... on Product {{{CATALOG_PRODUCT_FIELDS}
      variants(first: $variantsFirst) {{
        nodes {{ ...ShipbridgeCatalogVariant }}
        {_PAGE_INFO}
      }}
    }}
  }}
}}
{_CATALOG_VARIANT_FRAGMENT}""",
    cost=87,
    default_variables={"variantsFirst": 100},
)

CATALOG_PRODUCT_VARIANTS = Operation(
    name="CatalogProductVariants",
    document=f"""
query CatalogProductVariants($id: ID!, $first: Int!, $after: String) {{
  product(id: $id) {{{CATALOG_PRODUCT_FIELDS}
    variants(first: $first, after: $after) {{
      nodes {{ ...ShipbridgeCatalogVariant }}
      {_PAGE_INFO}
    }}
  }}
}}
{_CATALOG_VARIANT_FRAGMENT}""",
    cost=105,
    default_variables={"first": MAX_PAGE_SIZE},
)

# The query a catalog bulk operation runs (not sent as a document of its own: it is the
# `query` argument of CATALOG_BULK_RUN). Every variant is a root line of the JSONL, its
# product inline; its first image is a child line (`__parentId` = the variant).
CATALOG_BULK_QUERY = f"""
{{
  productVariants {{
    edges {{
      node {{{CATALOG_VARIANT_FIELDS}
        product {{{CATALOG_PRODUCT_FIELDS}
        }}
        media(first: 1) {{ edges {{ node {{ preview {{ image {{ url }} }} }} }} }}
      }}
    }}
  }}
}}"""

_BULK_OPERATION_FIELDS = """
    id
    status
    errorCode
    createdAt
    completedAt
    objectCount
    rootObjectCount
    fileSize
    url
    partialDataUrl"""

# Starting a bulk operation is not repeated blindly after an ambiguous failure by Shopify's
# own rule: a second one while the first runs is refused (OPERATION_IN_PROGRESS).
CATALOG_BULK_RUN = Operation(
    name="CatalogBulkRun",
    kind="mutation",
    retry_safe=True,
    document=f"""
mutation CatalogBulkRun($query: String!, $groupObjects: Boolean!) {{
  bulkOperationRunQuery(query: $query, groupObjects: $groupObjects) {{
    bulkOperation {{{_BULK_OPERATION_FIELDS}
    }}
    userErrors {{ field message code }}
  }}
}}""",
    cost=10,
    default_variables={"groupObjects": True},
)

BULK_OPERATION = Operation(
    name="BulkOperation",
    document=f"""
query BulkOperation($id: ID!) {{
  node(id: $id) {{
    ... on BulkOperation {{{_BULK_OPERATION_FIELDS}
    }}
  }}
}}""",
    cost=1,
)


def all_operations() -> list[Operation]:
    """Every operation defined above (for conformance tests and tooling)."""
    return [value for value in globals().values() if isinstance(value, Operation)]
