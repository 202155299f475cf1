"""Orders, line items, fulfillment orders, holds and fulfillments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from graphql import GraphQLError

from shopify_sim.clock import graphql_time
from shopify_sim.connections import by_id, connection
from shopify_sim.domain import order_status
from shopify_sim.domain.fulfillment_actions import supported_actions
from shopify_sim.ids import gid
from shopify_sim.protected_data import protected
from shopify_sim.state.models import (
    Fulfillment,
    FulfillmentHold,
    FulfillmentOrder,
    FulfillmentOrderLineItem,
    LineItem,
    MerchantRequest,
    Order,
)
from shopify_sim.state.repository import ShopState
from shopify_sim.views.catalog import location_node, variant_node
from shopify_sim.views.common import mailing_address, money

Node = dict[str, Any]


def order_totals(order: Order) -> dict[str, Decimal]:
    subtotal = sum(
        (Decimal(line.price) * line.live_quantity for line in order.line_items), Decimal(0)
    )
    shipping = Decimal(order.shipping_line["price"]) if order.shipping_line else Decimal(0)
    total = subtotal + shipping
    paid = order.financial_status in ("PAID", "PARTIALLY_REFUNDED", "REFUNDED")
    refunded = total if order.financial_status == "REFUNDED" else Decimal(0)
    cancelled = order.cancelled_at is not None
    return {
        "subtotal": subtotal,
        "shipping": shipping,
        "total": total,
        "received": total if paid else Decimal(0),
        "refunded": refunded,
        "outstanding": Decimal(0) if (paid or cancelled) else total,
        "current_total": Decimal(0) if cancelled else total - refunded,
    }


def order_node(shop: ShopState, order: Order) -> Node:
    currency = order.currency
    totals = order_totals(order)
    fos = shop.fulfillment_orders_of(order)
    display_fulfillment = order_status.display_fulfillment_status(order, fos)

    def line_items(_info: Any, reverse: bool = False, **page: Any) -> Node:
        return connection(
            order.line_items,
            to_node=lambda li: line_item_node(shop, order, li),
            sort_key=by_id,
            reverse=reverse,
            **page,
        )

    def fulfillment_orders(
        _info: Any,
        reverse: bool = False,
        displayable: bool | None = None,
        query: str | None = None,
        **page: Any,
    ) -> Node:
        return connection(
            fos,
            to_node=lambda fo: fulfillment_order_node(shop, fo),
            sort_key=by_id,
            reverse=reverse,
            **page,
        )

    def fulfillments(_info: Any, first: int | None = None, **_: Any) -> list[Node]:
        found = [fulfillment_node(shop, f) for f in shop.fulfillments_of(order)]
        return found[:first] if first is not None else found

    def shipping_lines(
        _info: Any,
        reverse: bool = False,
        includeRemovals: bool = False,
        **page: Any,
    ) -> Node:
        lines = [shipping_line_node(order)] if order.shipping_line else []
        return connection(
            lines, to_node=lambda n: n, sort_key=lambda n: (0,), reverse=reverse, **page
        )

    def risk(_info: Any) -> Node:
        facts = (
            []
            if order.risk_level in ("LOW", "NONE")
            else [{"description": "Simulated risk assessment", "sentiment": "NEGATIVE"}]
        )
        return {
            "recommendation": order_status.risk_recommendation(order.risk_level),
            "assessments": [{"riskLevel": order.risk_level, "facts": facts, "provider": None}],
        }

    def empty_connection(_info: Any, **_: Any) -> Node:
        return connection([], to_node=lambda n: n, sort_key=by_id, require_page_size=False)

    def priced(amount: Decimal | int) -> Any:
        # Resolved only when selected: most reads ask for none of an order's twenty amounts.
        return lambda _info, **_: money(amount, currency)

    def count_of(items: list[Any]) -> Any:
        return lambda _info, **_: {"count": len(items), "precision": "EXACT"}

    return {
        "__typename": "Order",
        "id": gid("Order", order.id),
        "legacyResourceId": order.id,
        "name": order.name,
        "number": order.number,
        # Protected customer data: withheld (ACCESS_DENIED) from an app the shop does not
        # allow it (ShopState.protected_customer_data).
        "email": protected(None, lambda: order.email),
        "phone": protected(None, lambda: order.phone),
        "note": order.note,
        "poNumber": order.po_number,
        "tags": list(order.tags),
        "sourceName": order.source_name,
        "sourceIdentifier": None,
        "test": order.test,
        "confirmed": True,
        "createdAt": graphql_time(order.created_at),
        "processedAt": graphql_time(order.processed_at),
        "updatedAt": graphql_time(order.updated_at),
        "cancelledAt": graphql_time(order.cancelled_at),
        "cancelReason": order.cancel_reason,
        "closed": order.closed_at is not None,
        "closedAt": graphql_time(order.closed_at),
        "currencyCode": currency,
        "presentmentCurrencyCode": currency,
        "displayFinancialStatus": order.financial_status,
        "displayFulfillmentStatus": display_fulfillment,
        "fullyPaid": totals["outstanding"] == 0,
        "unpaid": order.financial_status in (None, "PENDING", "AUTHORIZED", "EXPIRED"),
        "fulfillable": any(order_status.fulfillable_quantity(li, fos) for li in order.line_items),
        "requiresShipping": any(li.requires_shipping for li in order.line_items),
        "taxesIncluded": False,
        "taxExempt": False,
        "estimatedTaxes": False,
        "edited": order.edited,
        "customerAcceptsMarketing": False,
        "discountCodes": [],
        "discountCode": None,
        "paymentGatewayNames": ["manual"] if totals["received"] else [],
        "customAttributes": [
            {"key": a["key"], "value": a["value"]} for a in order.custom_attributes
        ],
        "customer": protected("Customer", lambda: None),
        "cancellation": (
            {"staffNote": order.cancellation.staff_note} if order.cancellation else None
        ),
        "returnStatus": "NO_RETURN",
        "subtotalLineItemsQuantity": sum(li.quantity for li in order.line_items),
        "currentSubtotalLineItemsQuantity": (
            0 if order.cancelled_at else sum(li.live_quantity for li in order.line_items)
        ),
        "shippingAddress": protected(
            "MailingAddress", lambda: mailing_address(order.shipping_address, order.id)
        ),
        "billingAddress": protected(
            "MailingAddress", lambda: mailing_address(order.billing_address, order.id + 1)
        ),
        "displayAddress": protected(
            "MailingAddress",
            lambda: mailing_address(order.shipping_address or order.billing_address, order.id),
        ),
        "billingAddressMatchesShippingAddress": order.billing_address == order.shipping_address,
        "shippingLine": shipping_line_node(order) if order.shipping_line else None,
        "shippingLines": shipping_lines,
        "lineItems": line_items,
        "fulfillmentOrders": fulfillment_orders,
        "fulfillments": fulfillments,
        "fulfillmentsCount": count_of(order.fulfillment_ids),
        "risk": risk,
        "transactions": lambda _info, **_: [],
        "refunds": lambda _info, **_: [],
        "returns": empty_connection,
        "taxLines": [],
        "currentTaxLines": [],
        "subtotalPriceSet": priced(totals["subtotal"]),
        "currentSubtotalPriceSet": priced(Decimal(0) if order.cancelled_at else totals["subtotal"]),
        "totalPriceSet": priced(totals["total"]),
        "originalTotalPriceSet": priced(totals["total"]),
        "currentTotalPriceSet": priced(totals["current_total"]),
        "totalShippingPriceSet": priced(totals["shipping"]),
        "currentShippingPriceSet": priced(totals["shipping"]),
        "totalTaxSet": priced(0),
        "currentTotalTaxSet": priced(0),
        "totalDiscountsSet": priced(0),
        "currentTotalDiscountsSet": priced(0),
        "currentCartDiscountAmountSet": priced(0),
        "cartDiscountAmountSet": None,
        "totalOutstandingSet": priced(totals["outstanding"]),
        "totalReceivedSet": priced(totals["received"]),
        "netPaymentSet": priced(totals["received"] - totals["refunded"]),
        "totalRefundedSet": priced(totals["refunded"]),
        "totalRefundedShippingSet": priced(0),
        "totalCapturableSet": priced(0),
        "totalTipReceivedSet": priced(0),
        "refundDiscrepancySet": priced(0),
        "totalWeight": sum(li.quantity * 100 for li in order.line_items),
        "currentTotalWeight": sum(li.quantity * 100 for li in order.line_items),
    }


def shipping_line_node(order: Order) -> Node:
    line = order.shipping_line or {}
    price = money(line.get("price", "0"), order.currency)
    return {
        "id": gid("ShippingLine", order.id),
        "title": line.get("title", ""),
        "code": line.get("code"),
        "source": line.get("source", "shopify"),
        "carrierIdentifier": None,
        "deliveryCategory": None,
        "phone": None,
        "shippingRateHandle": None,
        "custom": True,
        "isRemoved": False,
        "originalPriceSet": price,
        "discountedPriceSet": price,
        "currentDiscountedPriceSet": price,
        "discountAllocations": [],
        "taxLines": [],
    }


def line_item_node(shop: ShopState, order: Order, line: LineItem) -> Node:
    fos = shop.fulfillment_orders_of(order)
    price = money(line.price, order.currency)
    total = money(Decimal(line.price) * line.quantity, order.currency)
    variant = shop.variants.get(line.variant_id) if line.variant_id is not None else None
    fulfilled = order_status.fulfilled_quantity(line, fos)
    unfulfilled = 0 if order.cancelled_at else max(0, line.live_quantity - fulfilled)
    return {
        "__typename": "LineItem",
        "id": gid("LineItem", line.id),
        "title": line.title,
        "name": line.title if not line.variant_title else f"{line.title} - {line.variant_title}",
        "sku": line.sku,
        "quantity": line.quantity,
        "currentQuantity": 0 if order.cancelled_at else line.live_quantity,
        "fulfillableQuantity": lambda _info: order_status.fulfillable_quantity(line, fos),
        "unfulfilledQuantity": unfulfilled,
        "nonFulfillableQuantity": line.live_quantity
        - order_status.fulfillable_quantity(line, fos)
        - fulfilled,
        "refundableQuantity": line.quantity,
        "variantTitle": line.variant_title,
        "vendor": None,
        "requiresShipping": line.requires_shipping,
        "taxable": line.taxable,
        "isGiftCard": False,
        "merchantEditable": True,
        "restockable": True,
        "customAttributes": [{"key": p["name"], "value": p["value"]} for p in line.properties],
        "variant": (lambda _info: variant_node(shop, variant)) if variant else None,
        "product": None,
        "originalUnitPriceSet": price,
        "discountedUnitPriceSet": price,
        "discountedUnitPriceAfterAllDiscountsSet": price,
        "originalTotalSet": total,
        "discountedTotalSet": lambda _info, **_: total,
        "unfulfilledOriginalTotalSet": money(Decimal(line.price) * unfulfilled, order.currency),
        "unfulfilledDiscountedTotalSet": money(Decimal(line.price) * unfulfilled, order.currency),
        "priceAfterAllDiscountsBeforeTaxesSet": total,
        "totalDiscountSet": money(0, order.currency),
        "discountAllocations": [],
        "taxLines": lambda _info, **_: [],
        "duties": [],
    }


def fulfillment_order_node(shop: ShopState, fo: FulfillmentOrder) -> Node:
    order = shop.orders[fo.order_id]
    location = shop.locations[fo.location_id]

    def line_items(_info: Any, reverse: bool = False, **page: Any) -> Node:
        return connection(
            fo.line_items,
            to_node=lambda li: fo_line_item_node(shop, order, li),
            sort_key=by_id,
            reverse=reverse,
            **page,
        )

    def fulfillments(_info: Any, reverse: bool = False, **page: Any) -> Node:
        found = [f for f in shop.fulfillments_of(order) if fo.id in f.fulfillment_order_ids]
        return connection(
            found,
            to_node=lambda f: fulfillment_node(shop, f),
            sort_key=by_id,
            reverse=reverse,
            **page,
        )

    def empty(_info: Any, **_: Any) -> Node:
        return connection([], to_node=lambda n: n, sort_key=by_id, require_page_size=False)

    def merchant_requests(
        _info: Any, kind: str | None = None, reverse: bool = False, **page: Any
    ) -> Node:
        found = [r for r in fo.merchant_requests if kind is None or r.kind == kind]
        return connection(
            found,
            to_node=lambda r: merchant_request_node(shop, fo, r),
            sort_key=by_id,
            reverse=reverse,
            **page,
        )

    # orderUpdate freezes the address of FOs already under way (resolvers/order_update.py).
    address = (
        fo.destination_snapshot if fo.destination_snapshot is not None else order.shipping_address
    )
    destination = address or {}
    return {
        "__typename": "FulfillmentOrder",
        "id": gid("FulfillmentOrder", fo.id),
        "status": fo.status,
        "requestStatus": fo.request_status,
        "createdAt": graphql_time(fo.created_at),
        "updatedAt": graphql_time(fo.updated_at),
        "fulfillAt": graphql_time(fo.fulfill_at),
        "fulfillBy": None,
        "orderId": gid("Order", order.id),
        "orderName": order.name,
        "orderProcessedAt": graphql_time(order.processed_at),
        "channelId": None,
        "order": lambda _info: order_node(shop, order),
        # Lazy: the actions look at the order's other FOs (MERGE), only worth it when asked.
        "supportedActions": lambda _info: [
            {"action": a, "externalUrl": None}
            for a in supported_actions(
                fo,
                shop.fulfillment_orders_of(order),
                at_service=shop.service_at(fo.location_id) is not None,
            )
        ],
        "assignedLocation": {
            "name": location.name,
            "address1": location.address1,
            "address2": None,
            "city": location.city,
            "province": location.province,
            "zip": location.zip,
            "phone": None,
            "countryCode": location.country_code,
            # A fulfillment service's deleted location reads as null, as `location(id:)` does.
            "location": (lambda _info: location_node(shop, location))
            if not location.deleted
            else None,
        },
        "destination": {
            "id": gid("FulfillmentOrderDestination", fo.id),
            "firstName": destination.get("firstName"),
            "lastName": destination.get("lastName"),
            "company": destination.get("company"),
            "address1": destination.get("address1"),
            "address2": destination.get("address2"),
            "city": destination.get("city"),
            "province": destination.get("provinceCode"),
            "zip": destination.get("zip"),
            "countryCode": destination.get("countryCode"),
            "phone": destination.get("phone"),
            "email": order.email,
            "location": None,
        }
        if address
        else None,
        "deliveryMethod": {
            "id": gid("DeliveryMethod", fo.id),
            "methodType": "SHIPPING",
            "minDeliveryDateTime": None,
            "maxDeliveryDateTime": None,
            "serviceCode": (order.shipping_line or {}).get("code"),
            "presentedName": (order.shipping_line or {}).get("title"),
        },
        "fulfillmentHolds": [hold_node(h) for h in fo.holds],
        "lineItems": line_items,
        "fulfillments": fulfillments,
        "merchantRequests": merchant_requests,
        "fulfillmentOrdersForMerge": empty,
        "locationsForMove": empty,
        "internationalDuties": None,
        "remainingLineItemsWeight": None,
    }


def merchant_request_node(shop: ShopState, fo: FulfillmentOrder, request: MerchantRequest) -> Node:
    return {
        "__typename": "FulfillmentOrderMerchantRequest",
        "id": gid("FulfillmentOrderMerchantRequest", request.id),
        "kind": request.kind,
        "message": request.message,
        "requestOptions": dict(request.request_options),
        "responseData": request.response_data,
        "sentAt": graphql_time(request.sent_at),
        "fulfillmentOrder": lambda _info: fulfillment_order_node(shop, fo),
    }


def fo_line_item_node(shop: ShopState, order: Order, fo_line: FulfillmentOrderLineItem) -> Node:
    line = next(li for li in order.line_items if li.id == fo_line.line_item_id)
    variant = shop.variants.get(line.variant_id) if line.variant_id is not None else None
    return {
        "__typename": "FulfillmentOrderLineItem",
        "id": gid("FulfillmentOrderLineItem", fo_line.id),
        "totalQuantity": fo_line.total_quantity,
        "remainingQuantity": fo_line.remaining_quantity,
        "sku": line.sku,
        "productTitle": line.title,
        "variantTitle": line.variant_title,
        "vendor": None,
        "requiresShipping": line.requires_shipping,
        "inventoryItemId": gid("InventoryItem", variant.inventory_item_id) if variant else None,
        "variant": (lambda _info: variant_node(shop, variant)) if variant else None,
        "lineItem": lambda _info: line_item_node(shop, order, line),
        "warnings": [],
        "financialSummaries": [],
        "image": None,
        "weight": {"unit": "GRAMS", "value": 100.0},
        "shippingLine": None,
    }


def _denied_held_by_app(_info: Any) -> None:
    # Shopify hides the holding app without the read_apps scope (see the hold captures).
    raise GraphQLError(
        "Access denied for heldByApp field. Required access: `read_apps` access scope.",
        extensions={
            "code": "ACCESS_DENIED",
            "documentation": "https://shopify.dev/api/usage/access-scopes",
            "requiredAccess": "`read_apps` access scope.",
        },
    )


def hold_node(hold: FulfillmentHold) -> Node:
    return {
        "__typename": "FulfillmentHold",
        "id": gid("FulfillmentHold", hold.id),
        "handle": hold.handle,
        "reason": hold.reason,
        "reasonNotes": hold.reason_notes,
        "displayReason": hold.reason.replace("_", " ").capitalize(),
        "heldByApp": _denied_held_by_app,
        "heldByRequestingApp": True,
    }


def fulfillment_node(shop: ShopState, fulfillment: Fulfillment) -> Node:
    order = shop.orders[fulfillment.order_id]
    lines_by_id = {li.id: li for li in order.line_items}

    def line_items(_info: Any, reverse: bool = False, **page: Any) -> Node:
        return connection(
            fulfillment.line_items,
            to_node=lambda fli: {
                "id": gid("FulfillmentLineItem", fli.id),
                "quantity": fli.quantity,
                "lineItem": line_item_node(shop, order, lines_by_id[fli.line_item_id]),
                "originalTotalSet": money(
                    Decimal(lines_by_id[fli.line_item_id].price) * fli.quantity, order.currency
                ),
                "discountedTotalSet": money(
                    Decimal(lines_by_id[fli.line_item_id].price) * fli.quantity, order.currency
                ),
            },
            sort_key=by_id,
            reverse=reverse,
            **page,
        )

    def tracking(_info: Any, first: int | None = None) -> list[Node]:
        infos = [
            {"company": t.company, "number": t.number, "url": t.url} for t in fulfillment.tracking
        ]
        return infos[:first] if first is not None else infos

    def fulfillment_orders(_info: Any, reverse: bool = False, **page: Any) -> Node:
        found = [shop.fulfillment_orders[i] for i in fulfillment.fulfillment_order_ids]
        return connection(
            found,
            to_node=lambda fo: fulfillment_order_node(shop, fo),
            sort_key=by_id,
            reverse=reverse,
            **page,
        )

    return {
        "__typename": "Fulfillment",
        "id": gid("Fulfillment", fulfillment.id),
        "legacyResourceId": fulfillment.id,
        "name": fulfillment.name,
        "status": fulfillment.status,
        "displayStatus": "FULFILLED" if fulfillment.status == "SUCCESS" else "CANCELED",
        "createdAt": graphql_time(fulfillment.created_at),
        "updatedAt": graphql_time(fulfillment.updated_at),
        "deliveredAt": None,
        "inTransitAt": None,
        "estimatedDeliveryAt": None,
        "requiresShipping": True,
        "totalQuantity": sum(li.quantity for li in fulfillment.line_items),
        "trackingInfo": tracking,
        "fulfillmentLineItems": line_items,
        "fulfillmentOrders": fulfillment_orders,
        "location": lambda _info: location_node(shop, shop.locations[fulfillment.location_id]),
        "order": lambda _info: order_node(shop, order),
        "service": None,
        "originAddress": None,
        "shippingLabel": None,
    }
