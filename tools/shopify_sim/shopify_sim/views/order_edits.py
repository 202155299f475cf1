"""CalculatedOrder and CalculatedLineItem: an order as an edit in progress would leave it.

Ids follow the live capture order-edit-commit-history-and-fulfillment-orders: an existing line
shows as `CalculatedLineItem/<its LineItem number>`, a staged variant as
`CalculatedLineItem/<uuid>`; the OrderEditSession shares the CalculatedOrder's number.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shopify_sim.connections import connection
from shopify_sim.domain.order_edits import editable_quantity
from shopify_sim.ids import gid
from shopify_sim.state.models import LineItem, Order
from shopify_sim.state.order_edits import AddedLine, CalculatedOrder
from shopify_sim.state.repository import ShopState
from shopify_sim.views.catalog import variant_node
from shopify_sim.views.common import money
from shopify_sim.views.orders import order_node, order_totals

Node = dict[str, Any]
CALCULATED_LINE = "CalculatedLineItem"


def added_line_gid(added: AddedLine) -> str:
    return f"gid://shopify/{CALCULATED_LINE}/{added.key}"


def staged_quantity(calculated: CalculatedOrder, line: LineItem) -> int:
    staged = calculated.staged.get(line.id)
    return staged.quantity if staged is not None else line.live_quantity


def existing_line_node(shop: ShopState, calculated: CalculatedOrder, line: LineItem) -> Node:
    order = shop.orders[calculated.order_id]
    fos = shop.fulfillment_orders_of(order)
    quantity = staged_quantity(calculated, line)
    editable_before = editable_quantity(line, fos)
    fulfilled = line.live_quantity - editable_before
    staged = calculated.staged.get(line.id)
    variant = shop.variants.get(line.variant_id) if line.variant_id is not None else None
    return _line_node(
        shop,
        order,
        line_gid=gid(CALCULATED_LINE, line.id),
        title=line.title,
        sku=line.sku,
        price=line.price,
        quantity=quantity,
        editable=quantity - fulfilled,
        editable_before=editable_before,
        fulfilled=fulfilled,
        restocking=bool(staged and staged.restock and quantity < line.live_quantity),
        variant=variant,
        variant_title=line.variant_title,
        properties=line.properties,
    )


def added_line_node(shop: ShopState, calculated: CalculatedOrder, added: AddedLine) -> Node:
    order = shop.orders[calculated.order_id]
    variant = shop.variants[added.variant_id]
    return _line_node(
        shop,
        order,
        line_gid=added_line_gid(added),
        title=variant.product_title,
        sku=variant.sku,
        price=variant.price,
        quantity=added.quantity,
        editable=added.quantity,
        editable_before=0,
        fulfilled=0,
        restocking=False,
        variant=variant,
        variant_title=variant.title,
        properties=[],
    )


def _line_node(
    shop: ShopState,
    order: Order,
    *,
    line_gid: str,
    title: str,
    sku: str | None,
    price: str,
    quantity: int,
    editable: int,
    editable_before: int,
    fulfilled: int,
    restocking: bool,
    variant: Any,
    variant_title: str | None,
    properties: list[dict[str, str]],
) -> Node:
    currency = order.currency
    return {
        "__typename": "CalculatedLineItem",
        "id": line_gid,
        "title": title,
        "sku": sku,
        "quantity": quantity,
        "editableQuantity": editable,
        "editableQuantityBeforeChanges": editable_before,
        "editableSubtotalSet": money(Decimal(price) * editable, currency),
        "uneditableSubtotalSet": money(Decimal(price) * fulfilled, currency),
        "originalUnitPriceSet": money(price, currency),
        "discountedUnitPriceSet": money(price, currency),
        "restockable": True,
        "restocking": restocking,
        "hasStagedLineItemDiscount": False,
        "calculatedDiscountAllocations": [],
        "discountAllocations": [],
        "stagedChanges": [],
        "customAttributes": [{"key": p["name"], "value": p["value"]} for p in properties],
        "image": None,
        "variant": (lambda _info: variant_node(shop, variant)) if variant is not None else None,
        "variantTitle": variant_title,
    }


def calculated_order_node(shop: ShopState, calculated: CalculatedOrder) -> Node:
    order = shop.orders[calculated.order_id]
    existing = [
        line for line in order.line_items if line.live_quantity > 0 or line.id in calculated.staged
    ]
    existing_nodes = [existing_line_node(shop, calculated, line) for line in existing]
    added_nodes = [added_line_node(shop, calculated, added) for added in calculated.added]
    subtotal = sum(
        (Decimal(node["originalUnitPriceSet"]["shopMoney"]["amount"]) * node["quantity"])
        for node in existing_nodes + added_nodes
    )
    shipping = Decimal(order.shipping_line["price"]) if order.shipping_line else Decimal(0)
    received = order_totals(order)["received"]

    def page_of(nodes: list[Node]) -> Any:
        positions = {id(node): index for index, node in enumerate(nodes)}

        def resolve(
            _info: Any, reverse: bool = False, query: str | None = None, **page: Any
        ) -> Node:
            return connection(
                nodes,
                to_node=lambda n: n,
                sort_key=lambda n: (positions[id(n)],),
                reverse=reverse,
                **page,
            )

        return resolve

    def empty(_info: Any, **_: Any) -> Node:
        return connection([], to_node=lambda n: n, sort_key=lambda n: (0,), require_page_size=False)

    return {
        "__typename": "CalculatedOrder",
        "id": gid("CalculatedOrder", calculated.id),
        "committed": calculated.committed,
        "originalOrder": lambda _info: order_node(shop, order),
        "lineItems": page_of(existing_nodes),
        "addedLineItems": page_of(added_nodes),
        "addedDiscountApplications": empty,
        "stagedChanges": empty,
        "shippingLines": [],
        "taxLines": [],
        "subtotalLineItemsQuantity": sum(n["quantity"] for n in existing_nodes + added_nodes),
        "subtotalPriceSet": money(subtotal, order.currency),
        "totalPriceSet": money(subtotal + shipping, order.currency),
        "totalOutstandingSet": money(
            max(Decimal(0), subtotal + shipping - received), order.currency
        ),
        "cartDiscountAmountSet": None,
        "notificationPreviewHtml": None,
        "notificationPreviewTitle": f"Order {order.name} updated",
    }


def session_node(calculated: CalculatedOrder) -> Node:
    return {"__typename": "OrderEditSession", "id": gid("OrderEditSession", calculated.id)}
