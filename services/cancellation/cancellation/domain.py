"""cancellation's decisions, with no I/O: what a WMS order still holds, what to do when Shopify
cancels an order, and what to do in Shopify when the warehouse cancels one.

Two directions:

- Shopify -> WMS (the customer or merchant cancelled): each WMS order of the Shopify order that
  has not fully shipped is asked to cancel (`customer_cancel_step`); one that has shipped is an
  alert for an operator, never silence. A WMS order counts with what it holds now
  (`holding_now`): order-intake may have had units taken out of it, or had it cancelled, since
  it was sent.
- WMS -> Shopify (the warehouse cancelled on its own): Shopify's `orderCancel` is whole-order and
  irreversible, so it is sent only when nothing else of the order is still to be fulfilled and
  nothing of the cancelled WMS orders has shipped (`decide_shopify_cancel`). A facility connected
  as a fulfillment service answers differently: its fulfillment order is closed as incomplete
  (`fulfillmentOrderClose`), which hands it back to the merchant to move, re-request or refund;
  the order is not cancelled and nothing is restocked (`judge_refused_close`).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from contracts import RestockedLine
from shop_config import Cancellation as CancellationSettings
from shopify_admin.mutations import OrderCancelReason

# --- what a WMS order holds ---------------------------------------------------------------------


def units_by_sku(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Units per SKU; a SKU on several lines (or in several shipments) is summed."""
    units: dict[str, int] = {}
    for sku, quantity in lines:
        units[sku] = units.get(sku, 0) + quantity
    return units


@dataclass(frozen=True)
class Reduction:
    """The latest `orders.wms_order.reduced` of a WMS order: at order-intake's request the WMS
    took units out of it (or cancelled it: `cancelled`, nothing left)."""

    cancelled: bool
    holds: Mapping[str, int]
    """Units per SKU it holds now, shipped ones included."""
    confirmed_at: datetime


def holding_now(
    sent: Mapping[str, int], sent_at: datetime, reduction: Reduction | None
) -> tuple[dict[str, int], bool]:
    """Units per SKU a WMS order holds now, and whether order-intake had it cancelled.

    A reduction confirmed before `sent_at` is of an earlier send of the ref (rejected, then
    re-sent): the re-sent order holds what it was sent. A reduction never adds units.
    """
    if reduction is None or reduction.confirmed_at < sent_at:
        return dict(sent), False
    if reduction.cancelled:
        return {}, True
    held = {sku: min(units, reduction.holds.get(sku, 0)) for sku, units in sent.items()}
    return {sku: units for sku, units in held.items() if units}, False


def rejection_counts(
    rejected_at: datetime | None, *, sent_at: datetime, first_sent_at: datetime
) -> bool:
    """Whether a recorded rejection (the latest, `rejected_at` on the WMS's clock) is of the send
    the mapping now holds.

    Sent once: any rejection of the ref is its own, whatever order they arrived in. Re-sent
    (after an operator's re-sync of a rejected order): only a rejection at or after the re-send;
    an earlier one, arriving late, is the first send's. In doubt the order counts as in the
    warehouse: a cancel asked of a rejected order is answered, one not asked of an accepted
    order ships a cancelled order.
    """
    if sent_at <= first_sent_at:
        return True
    return rejected_at is not None and rejected_at >= sent_at


@dataclass(frozen=True)
class WmsOrder:
    """One WMS order as order-intake sent it, what it holds now, and what has left the
    warehouse since."""

    ref: str
    order_gid: str
    order_name: str
    fulfillment_order_id: str
    facility: str
    location_id: str
    ordered: Mapping[str, int]
    """Units per SKU it holds now: as sent, less what order-intake had the WMS take out."""
    shipped: Mapping[str, int]
    shipment_ids: tuple[str, ...] = ()
    completed_by_shipment: bool = False
    """fulfillment-sync said nothing is left to ship (it counts what we may not have seen)."""
    rejected: bool = False
    """The WMS rejected it: nothing of it is in the warehouse."""
    withdrawn: bool = False
    """order-intake had the WMS cancel it (its units left the FO in Shopify): it is gone."""

    @property
    def unshipped(self) -> dict[str, int]:
        """Units per SKU that have not left the warehouse."""
        if self.completed_by_shipment:
            return {}
        return {
            sku: quantity - self.shipped.get(sku, 0)
            for sku, quantity in self.ordered.items()
            if quantity > self.shipped.get(sku, 0)
        }

    @property
    def fully_shipped(self) -> bool:
        return not self.unshipped


def restock_id(shop: str, wms_order_ref: str) -> str:
    """One restock per cancelled WMS order, whichever direction the cancellation came from."""
    return f"{shop}|{wms_order_ref}|cancel"


def restocked_lines(order: WmsOrder) -> list[RestockedLine]:
    """What a cancellation puts back: the units it still held that had not shipped (none of a
    rejected order: the warehouse never took them; none of one order-intake withdrew: those
    units left it for another fulfillment order, not the stock)."""
    if order.rejected or order.withdrawn:
        return []
    return [
        RestockedLine(sku=sku, quantity=quantity)
        for sku, quantity in sorted(order.unshipped.items())
    ]


ASSUMED_MERCHANT_RESTOCK = True
"""Whether Shopify restocked a cancellation made by someone else (the merchant, a customer).

Shopify does not say so in the order or its webhook. Shopify's own cancel dialog restocks by
default, and assuming it did is the safe error: inventory-sync then adds nothing on top, so
Shopify can at worst show too little stock until the next WMS snapshot, never too much.
"""

# --- Shopify -> WMS ------------------------------------------------------------------------------

CustomerCancelStep = Literal[
    "ask_warehouse",
    "shipped_already",
    "nothing_in_warehouse",
    "withdrawn",
    "cancelled_by_warehouse",
    "asked_already",
]


def customer_cancel_step(
    order: WmsOrder, *, asked_already: bool, cancelled_by_warehouse: bool
) -> CustomerCancelStep:
    """What one WMS order of a cancelled Shopify order needs.

    `ask_warehouse`: send `wms.order.cancel` (what has not shipped is cancelled).
    `shipped_already`: everything it holds left before the cancellation: an alert, not a command.
    `withdrawn`: order-intake had it cancelled already: nothing to ask, nothing to alert.
    """
    if asked_already:
        return "asked_already"
    if order.rejected:
        return "nothing_in_warehouse"
    if order.withdrawn:
        return "withdrawn"
    if cancelled_by_warehouse:
        return "cancelled_by_warehouse"
    if order.fully_shipped:
        return "shipped_already"
    return "ask_warehouse"


def warehouse_cancel_reason(shopify_reason: str | None) -> str:
    """The `reason` of `wms.order.cancel`: what the people at the warehouse read."""
    return f"cancelled in Shopify ({(shopify_reason or 'no reason given').lower()})"


# --- WMS -> Shopify ------------------------------------------------------------------------------

SHOPIFY_CANCEL_REASON: Mapping[str, OrderCancelReason] = {
    "out_of_stock": "INVENTORY",
    # The goods cannot be supplied: an inventory problem like a stock-out, not the customer's or
    # the staff's doing.
    "damaged": "INVENTORY",
    # Shopify has no "undeliverable" reason; CUSTOMER would claim the customer asked to cancel.
    # The staff note carries the warehouse's own words.
    "address": "OTHER",
    "other": "OTHER",
}

STAFF_NOTE_PREFIX = "shipbridge:"
"""Starts the staff note of every orderCancel we send: how a later read tells our cancel apart
from the merchant's (after a lost answer, or a retry that Shopify refused as already done)."""

FINAL_FULFILLMENT_ORDER_STATUSES = frozenset({"CLOSED", "CANCELLED"})

ACTIVE_STATES = ("pending", "submitted", "needs_operator")
"""Warehouse cancellations the Shopify side is still to be settled for."""


@dataclass(frozen=True)
class ShopifyFulfillmentOrder:
    id: str
    status: str
    location_id: str | None


@dataclass(frozen=True)
class ShopifyOrderState:
    """What deciding (and confirming) an orderCancel needs to know of the order."""

    id: str
    name: str
    cancelled_at: datetime | None
    staff_note: str | None
    fulfillment_orders: tuple[ShopifyFulfillmentOrder, ...]
    more_fulfillment_orders: bool
    """Shopify has more fulfillment orders than were read: they cannot be checked."""

    @property
    def cancelled_by_us(self) -> bool:
        return (self.staff_note or "").startswith(STAFF_NOTE_PREFIX)


@dataclass(frozen=True)
class WarehouseCancellation:
    """The warehouse cancelled one WMS order on its own (`wms.order.cancelled`)."""

    order: WmsOrder
    reason: str
    restock: bool
    note: str | None
    state: str
    received_at: datetime
    attempts: int = 0
    job_id: str | None = None
    shopify_restock: bool | None = None
    """The `restock` sent with our orderCancel, once sent."""


@dataclass(frozen=True)
class CancelInShopify:
    reason: OrderCancelReason
    restock: bool
    notify_customer: bool
    refund_to_original_payment: bool
    staff_note: str


@dataclass(frozen=True)
class ConfirmedCancelled:
    by_us: bool
    restocked_in_shopify: bool


@dataclass(frozen=True)
class AwaitingJob:
    """Shopify accepted our orderCancel; its job has not cancelled the order yet."""

    give_up: bool


@dataclass(frozen=True)
class ForOperator:
    detail: str


@dataclass(frozen=True)
class OrderNotFound:
    pass


ShopifyCancelDecision = (
    CancelInShopify | ConfirmedCancelled | AwaitingJob | ForOperator | OrderNotFound
)


def decide_shopify_cancel(
    order: ShopifyOrderState | None,
    active: Sequence[WarehouseCancellation],
    warehouse_cancelled_fulfillment_orders: frozenset[str],
    settings: CancellationSettings,
    facilities: Mapping[str, str],
    *,
    max_confirmations: int,
) -> ShopifyCancelDecision:
    """What to do in Shopify about the order whose WMS orders in `active` the warehouse cancelled.

    `warehouse_cancelled_fulfillment_orders`: the FOs of every WMS order of this Shopify order the
    warehouse cancelled (whatever became of them here): those are not "still open elsewhere".
    `facilities`: the shop's location -> facility mapping, to name locations for the operator.
    """
    if not active:
        raise ValueError("nothing to decide: no active warehouse cancellation")
    if order is None:
        return OrderNotFound()
    submitted = [c for c in active if c.state == "submitted"]
    if order.cancelled_at is not None:
        if not order.cancelled_by_us:
            return ConfirmedCancelled(by_us=False, restocked_in_shopify=ASSUMED_MERCHANT_RESTOCK)
        sent = [c.shopify_restock for c in submitted if c.shopify_restock is not None]
        # Our cancel ran but its answer was lost (nothing recorded): it carried what we send now.
        restocked = sent[0] if sent else all(c.restock for c in active)
        return ConfirmedCancelled(by_us=True, restocked_in_shopify=restocked)
    if submitted:
        return AwaitingJob(give_up=max(c.attempts for c in submitted) + 1 >= max_confirmations)
    blocker = _why_not_cancel_whole_order(
        order, active, warehouse_cancelled_fulfillment_orders, facilities
    )
    if blocker is not None:
        return ForOperator(blocker)
    first = min(active, key=lambda c: c.received_at)
    return CancelInShopify(
        reason=SHOPIFY_CANCEL_REASON.get(first.reason, "OTHER"),
        # Shopify restocks all or nothing: only if the warehouse put every one back on its shelves.
        restock=all(c.restock for c in active),
        notify_customer=settings.notify_customer,
        refund_to_original_payment=settings.refund_to_original_payment,
        staff_note=staff_note(active),
    )


def _why_not_cancel_whole_order(
    order: ShopifyOrderState,
    active: Sequence[WarehouseCancellation],
    warehouse_cancelled: frozenset[str],
    facilities: Mapping[str, str],
) -> str | None:
    shipped = [c.order for c in active if c.order.shipment_ids or c.order.completed_by_shipment]
    if shipped:
        refs = ", ".join(f"{o.ref} ({', '.join(o.shipment_ids) or 'shipped'})" for o in shipped)
        return (
            f"part of the order already shipped: {refs}; cancelling the whole order in Shopify "
            "would refund goods that left the warehouse"
        )
    if order.more_fulfillment_orders:
        return "the order has more fulfillment orders than were read: not checked, not cancelled"
    still_open = [
        fo
        for fo in order.fulfillment_orders
        if fo.status not in FINAL_FULFILLMENT_ORDER_STATUSES and fo.id not in warehouse_cancelled
    ]
    if still_open:
        where = "; ".join(
            f"{fo.id} ({fo.status}) at {_place(fo.location_id, facilities)}" for fo in still_open
        )
        return (
            f"fulfillment orders still open elsewhere: {where}; Shopify's cancel is whole-order "
            "and irreversible, so the order was not cancelled"
        )
    return None


def _place(location_id: str | None, facilities: Mapping[str, str]) -> str:
    if location_id is None:
        return "no location"
    facility = facilities.get(location_id)
    return f"{location_id} ({facility})" if facility else f"{location_id} (not a WMS location)"


def staff_note(cancellations: Sequence[WarehouseCancellation]) -> str:
    """Why the order was cancelled, for the merchant's staff (never shown to the customer)."""
    parts = []
    for c in sorted(cancellations, key=lambda c: c.order.ref):
        part = f"{c.order.ref} at {c.order.facility}: {c.reason}"
        parts.append(f"{part} ({c.note})" if c.note else part)
    return f"{STAFF_NOTE_PREFIX} the warehouse cancelled {'; '.join(parts)}"


# --- WMS -> Shopify, at a facility connected as a fulfillment service ----------------------------

CLOSED_FULFILLMENT_ORDER_STATUSES = frozenset({"INCOMPLETE", "CLOSED"})
"""A fulfillment order the service has closed: INCOMPLETE once `fulfillmentOrderClose` ran (ours,
whose answer was lost, or a repeat), CLOSED once nothing was left to fulfil."""

WITHDRAWN_REQUEST_STATUSES = frozenset({"REJECTED", "CANCELLATION_ACCEPTED"})
"""The fulfillment order is no longer the service's to close: its request was rejected, or its
cancellation accepted (order-intake answered the merchant already)."""


@dataclass(frozen=True)
class FulfillmentOrderRequestState:
    """A fulfillment order as `FulfillmentOrderRequestState` reads it."""

    id: str
    status: str
    request_status: str


@dataclass(frozen=True)
class ClosedInShopify:
    """The fulfillment order is closed as incomplete: now (`by_us`), or found already closed."""

    by_us: bool
    detail: str


@dataclass(frozen=True)
class NoLongerOurs:
    """Nothing to close: the fulfillment order was cancelled, or its request answered, in
    Shopify (by the merchant, or by order-intake)."""

    detail: str


@dataclass(frozen=True)
class NotAcceptedYet:
    """Shopify closes only a fulfillment order the service accepted: order-intake's accept is
    still on its way (the warehouse accepted, then cancelled at once). Try again later."""

    detail: str


@dataclass(frozen=True)
class CloseRefused:
    detail: str


CloseOutcome = ClosedInShopify | NoLongerOurs | NotAcceptedYet | CloseRefused | OrderNotFound


def close_message(cancellation: WarehouseCancellation) -> str:
    """The `message` of fulfillmentOrderClose: why the warehouse cannot complete it, for the
    merchant who now decides what becomes of the fulfillment order."""
    order = cancellation.order
    words = (
        f"{cancellation.reason} ({cancellation.note})" if cancellation.note else cancellation.reason
    )
    return f"{STAFF_NOTE_PREFIX} the warehouse cancelled {order.ref} at {order.facility}: {words}"


def judge_refused_close(state: FulfillmentOrderRequestState | None, refusal: str) -> CloseOutcome:
    """What a refused fulfillmentOrderClose means, given the fulfillment order read back.

    Shopify refuses to close a closed fulfillment order: after a lost answer our own close is
    refused when it is repeated, so a fulfillment order found INCOMPLETE or CLOSED is closed,
    once. `refusal`: Shopify's userErrors, shown when the refusal stands.
    """
    if state is None:
        return OrderNotFound()
    if state.status in CLOSED_FULFILLMENT_ORDER_STATUSES:
        return ClosedInShopify(
            by_us=False,
            detail=f"the fulfillment order was already closed in Shopify ({state.status})",
        )
    if state.status == "CANCELLED" or state.request_status in WITHDRAWN_REQUEST_STATUSES:
        return NoLongerOurs(
            f"nothing to close: the fulfillment order is {state.status} in Shopify "
            f"(request {state.request_status})"
        )
    if state.request_status == "SUBMITTED":
        return NotAcceptedYet(
            "waiting for the fulfillment request to be accepted in Shopify before closing it"
        )
    return CloseRefused(
        f"{refusal} (fulfillment order {state.status}, request {state.request_status})"
    )
