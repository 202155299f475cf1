"""What a WMS shipment becomes in Shopify: pure decisions, no I/O.

- `holding_of`: what a WMS order holds now: the lines sent, or fewer once order-intake had the
  WMS take units out of it (`orders.wms_order.reduced`).
- `plan_fulfillment`: which fulfillment-order lines a shipment covers and how many units (lines
  named by `line_ref`, else matched by SKU), with the tracking Shopify should show; or why it
  cannot be a fulfillment at all (a line that is not part of the order, more units than the
  WMS order holds).
- `judge`: given the fulfillment order as Shopify has it now, what to do with a planned
  fulfillment: it is already there (an earlier attempt landed, its answer was lost), create it,
  wait (the order is on hold; or, at a facility connected as a fulfillment service, its
  fulfillment request is not accepted yet), or refuse with a reason.

`judge` is what makes fulfillments exactly-once. fulfillmentCreate has no idempotency key, so
whenever an earlier attempt may have run (a crash after the call, an answer lost on the way
back, a lease that expired) the fulfillment order is read back first and our fulfillment is
recognised by its tracking numbers and quantities before anything is created again.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from contracts import FulfillmentOrderLineRef, WmsOrderSent, WmsShipmentConfirmed
from fulfillment_sync.carriers import shopify_carrier
from shopify_admin.mutations import Tracking

FailureCode = Literal[
    "unknown_shop",
    "unknown_order",
    "unknown_line",
    "over_fulfilment",
    "cancelled",
    "closed",
    "not_fulfillable",
    "cannot_verify",
    "request_rejected",
    "refused",
]
"""Why a shipment failed for good (until an operator retries it); shown on /status."""

FULFILLABLE_STATUSES = frozenset({"OPEN", "IN_PROGRESS"})
# Statuses that end by themselves: a hold is released, a scheduled date arrives.
WAITING_STATUSES = frozenset({"ON_HOLD", "SCHEDULED"})

# A fulfillment service's fulfillment order takes a fulfillment only once the service accepted
# its request (Shopify's supportedActions has CREATE_FULFILLMENT from ACCEPTED on). order-intake
# accepts when the WMS accepts, and a shipment can overtake that accept: SUBMITTED then means
# "not yet", not "never".
NOT_ACCEPTED_YET_REQUEST_STATUSES = frozenset({"SUBMITTED"})
# The request was answered "no" (order-intake rejected it, or the merchant's cancellation was
# accepted): the fulfillment order is not the warehouse's to fulfil.
REFUSED_REQUEST_STATUSES = frozenset({"REJECTED", "CANCELLATION_ACCEPTED"})


@dataclass(frozen=True)
class Refusal:
    code: FailureCode
    reason: str


@dataclass(frozen=True)
class FulfillmentRequest:
    """One fulfillment to create: units per fulfillment-order line, and tracking."""

    fulfillment_order_id: str
    lines: tuple[FulfillmentOrderLineRef, ...]
    """One per fulfillment-order line, in the order the sent WMS order lists them."""
    tracking: Tracking

    @property
    def quantities(self) -> dict[str, int]:
        return {line.line_ref: line.quantity for line in self.lines}


# --- what a WMS order holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class Reduction:
    """The latest `orders.wms_order.reduced` of a WMS order: the WMS confirmed taking units out
    at order-intake's request."""

    cancelled: bool
    units: Mapping[str, int]
    """Units per line_ref it holds now, shipped ones included (empty once cancelled)."""
    confirmed_at: datetime


@dataclass(frozen=True)
class Holding:
    """What a WMS order may ship in all, per line_ref (shipped units included)."""

    units: Mapping[str, int]
    cancelled: bool = False
    """order-intake had it cancelled: nothing more will ship. What shipped before the cancel
    still becomes fulfillments (the WMS cancels only what has not left), so `units` stays what
    was sent, and Shopify's own remaining quantities are the limit after that."""

    def complete_with(self, shipped: Mapping[str, int]) -> bool:
        """Whether nothing is left to ship once `shipped` (units per line_ref) has left."""
        return self.cancelled or all(
            shipped.get(ref, 0) >= units for ref, units in self.units.items()
        )


def holding_of(order: WmsOrderSent, reduction: Reduction | None) -> Holding:
    """What the WMS order holds now.

    A reduction counts only if confirmed after the send it applies to: one confirmed before
    `sent_at` belongs to an earlier send of the same ref (rejected, then re-sent by an operator's
    re-sync), and the re-sent order holds what it was sent. A reduction never adds units.
    """
    sent = {line.line_ref: line.quantity for line in order.lines}
    if reduction is None or reduction.confirmed_at < order.sent_at:
        return Holding(sent)
    if reduction.cancelled:
        return Holding(sent, cancelled=True)
    return Holding({ref: min(units, reduction.units.get(ref, 0)) for ref, units in sent.items()})


# --- planning ----------------------------------------------------------------------------------


def plan_fulfillment(
    shipment: WmsShipmentConfirmed,
    order: WmsOrderSent,
    shipped_before: Mapping[str, int],
    holding: Holding | None = None,
) -> FulfillmentRequest | Refusal:
    """The fulfillment a shipment makes of the WMS order it belongs to.

    `shipped_before`: units per line_ref already fulfilled by this WMS order's earlier
    shipments. `holding`: what the WMS order holds now (default: what was sent). Lines naming a
    `line_ref` take their units first; lines with only a SKU then fill the order's lines of that
    SKU in order, each up to what it holds and has not yet shipped.
    """
    held = (holding or holding_of(order, None)).units
    sent = {line.line_ref: line for line in order.lines}
    open_units = {ref: held.get(ref, 0) - shipped_before.get(ref, 0) for ref in sent}
    taken: dict[str, int] = {}

    def take(ref: str, units: int) -> None:
        taken[ref] = taken.get(ref, 0) + units
        open_units[ref] -= units

    for line in (line for line in shipment.lines if line.line_ref is not None):
        assert line.line_ref is not None
        if line.line_ref not in sent:
            return Refusal(
                "unknown_line",
                f"line {line.line_ref} ({line.sku}) is not part of WMS order {order.wms_order_ref}",
            )
        if line.quantity > open_units[line.line_ref]:
            return _over_fulfilment(line.sku, line.quantity, open_units[line.line_ref], order)
        take(line.line_ref, line.quantity)
    for line in (line for line in shipment.lines if line.line_ref is None):
        same_sku = [ref for ref, sent_line in sent.items() if sent_line.sku == line.sku]
        if not same_sku:
            return Refusal(
                "unknown_line", f"SKU {line.sku} is not part of WMS order {order.wms_order_ref}"
            )
        available = sum(max(0, open_units[ref]) for ref in same_sku)
        if line.quantity > available:
            return _over_fulfilment(line.sku, line.quantity, available, order)
        left = line.quantity
        for ref in same_sku:
            units = min(left, max(0, open_units[ref]))
            if units:
                take(ref, units)
                left -= units
    return FulfillmentRequest(
        fulfillment_order_id=order.fulfillment_order_id,
        lines=tuple(
            FulfillmentOrderLineRef(line_ref=ref, sku=sent[ref].sku, quantity=taken[ref])
            for ref in sent
            if ref in taken
        ),
        tracking=tracking_of(shipment),
    )


def _over_fulfilment(sku: str, units: int, open_units: int, order: WmsOrderSent) -> Refusal:
    return Refusal(
        "over_fulfilment",
        f"shipment has {units} x {sku} but only {max(0, open_units)} of WMS order "
        f"{order.wms_order_ref} are left to ship",
    )


def tracking_of(shipment: WmsShipmentConfirmed) -> Tracking:
    """Carrier as Shopify spells it, and every tracking number and URL the WMS gave."""
    numbers = tuple(dict.fromkeys(n.strip() for n in shipment.tracking_numbers if n.strip()))
    urls = tuple(u.strip() for u in shipment.tracking_urls if u.strip())
    return Tracking(company=shopify_carrier(shipment.carrier), numbers=numbers, urls=urls)


def order_complete_after(
    order: WmsOrderSent,
    shipped_before: Mapping[str, int],
    request: FulfillmentRequest,
    holding: Holding | None = None,
) -> bool:
    """Whether, with this fulfillment, every unit the WMS order holds has shipped."""
    shipped = dict(shipped_before)
    for ref, units in request.quantities.items():
        shipped[ref] = shipped.get(ref, 0) + units
    return (holding or holding_of(order, None)).complete_with(shipped)


# --- the fulfillment order as Shopify has it (read back by shopify_fo.py) ------------------------


@dataclass(frozen=True)
class FulfillmentOrderLine:
    id: str
    """FulfillmentOrderLineItem GID (a line_ref)."""
    line_item_id: str
    """The order's LineItem GID: what a fulfillment's lines refer to."""
    remaining_quantity: int


@dataclass(frozen=True)
class ExistingFulfillment:
    id: str
    tracking_numbers: frozenset[str]
    quantities: Mapping[str, int]
    """Units per LineItem GID."""
    all_lines_read: bool = True
    """False when Shopify had more fulfillment lines than one read returns."""


@dataclass(frozen=True)
class FulfillmentOrderState:
    id: str
    status: str
    """OPEN, IN_PROGRESS, SCHEDULED, ON_HOLD, INCOMPLETE, CANCELLED, CLOSED."""
    order_cancelled: bool
    request_status: str = "UNSUBMITTED"
    """Shopify's FulfillmentOrderRequestStatus: UNSUBMITTED at a merchant-managed location; at a
    fulfillment service SUBMITTED, ACCEPTED, REJECTED, CANCELLATION_REQUESTED, ..."""
    hold_reasons: tuple[str, ...] = ()
    lines: tuple[FulfillmentOrderLine, ...] = ()
    fulfillments: tuple[ExistingFulfillment, ...] = ()
    all_fulfillments_read: bool = True


# --- judging ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlreadyFulfilled:
    """Shopify already has this shipment's fulfillment: record it, do not create another."""

    fulfillment_id: str


@dataclass(frozen=True)
class CreateNow:
    pass


@dataclass(frozen=True)
class Wait:
    """Not fulfillable yet (held, scheduled): try again later."""

    reason: str


@dataclass(frozen=True)
class AwaitingAcceptance:
    """At a fulfillment service: the fulfillment request is not accepted in Shopify yet
    (order-intake's accept is on its way). Try again soon, with a growing but bounded delay."""

    reason: str


Verdict = AlreadyFulfilled | CreateNow | Wait | AwaitingAcceptance | Refusal


def judge(
    fo: FulfillmentOrderState | None,
    request: FulfillmentRequest,
    claimed_elsewhere: Collection[str] = frozenset(),
    *,
    at_service: bool = False,
) -> Verdict:
    """What to do with `request` given the fulfillment order as it stands now.

    `claimed_elsewhere`: fulfillments already recorded for other shipments of this order, which
    are therefore not this one's even if they look alike. `at_service`: the WMS order's
    facility is connected as a fulfillment service, whose requests must be accepted first.
    """
    if fo is None:
        return Refusal(
            "unknown_order",
            f"fulfillment order {request.fulfillment_order_id} not found in Shopify "
            "(deleted, or not visible to the app)",
        )
    ours = find_existing(fo, request, frozenset(claimed_elsewhere))
    if ours is not None:
        return AlreadyFulfilled(ours.id)
    if not fo.all_fulfillments_read:
        return Refusal(
            "cannot_verify",
            "the fulfillment order has more fulfillments than one read returns: cannot tell "
            "whether this shipment already made one",
        )
    if fo.order_cancelled or fo.status == "CANCELLED":
        return Refusal("cancelled", "the order is cancelled in Shopify")
    if fo.status == "CLOSED":
        return Refusal(
            "closed",
            "the fulfillment order is closed in Shopify (fulfilled elsewhere or closed by the "
            "merchant)",
        )
    if at_service and fo.request_status in NOT_ACCEPTED_YET_REQUEST_STATUSES:
        return AwaitingAcceptance(
            f"the fulfillment request is {fo.request_status} in Shopify, not accepted yet: "
            "waiting for order-intake to accept it"
        )
    if at_service and fo.request_status in REFUSED_REQUEST_STATUSES:
        return Refusal(
            "request_rejected",
            f"the fulfillment request is {fo.request_status} in Shopify: the fulfillment order "
            "is not the warehouse's to fulfil",
        )
    if fo.status == "ON_HOLD":
        held = ", ".join(fo.hold_reasons) or "no reason given"
        return Wait(f"on hold in Shopify ({held})")
    if fo.status in WAITING_STATUSES:
        return Wait(f"{fo.status.lower()} in Shopify, not fulfillable yet")
    if fo.status not in FULFILLABLE_STATUSES:
        return Refusal("not_fulfillable", f"the fulfillment order is {fo.status} in Shopify")
    remaining = {line.id: line.remaining_quantity for line in fo.lines}
    for line in request.lines:
        left = remaining.get(line.line_ref, 0)
        if line.quantity > left:
            return Refusal(
                "over_fulfilment",
                f"shipment has {line.quantity} x {line.sku} but Shopify has {left} left to "
                "fulfil on that line",
            )
    return CreateNow()


def find_existing(
    fo: FulfillmentOrderState, request: FulfillmentRequest, claimed_elsewhere: frozenset[str]
) -> ExistingFulfillment | None:
    """The fulfillment an earlier attempt of `request` created, if Shopify has one.

    With tracking numbers: a fulfillment sharing one of them and the same units. Without: a
    fulfillment without tracking and with the same units. Units are compared per order line
    (what a fulfillment records), so the FO's lines translate our line_refs first.
    """
    line_items = {line.id: line.line_item_id for line in fo.lines}
    wanted: dict[str, int] = {}
    for line in request.lines:
        line_item = line_items.get(line.line_ref)
        if line_item is None:
            return None  # not a line of this FO: nothing on it can be ours
        wanted[line_item] = wanted.get(line_item, 0) + line.quantity
    numbers = frozenset(request.tracking.numbers)
    for candidate in fo.fulfillments:
        if candidate.id in claimed_elsewhere:
            continue
        same_units = candidate.all_lines_read and dict(candidate.quantities) == wanted
        if numbers:
            if candidate.tracking_numbers & numbers and (
                same_units or not candidate.all_lines_read
            ):
                return candidate
        elif not candidate.tracking_numbers and same_units:
            return candidate
    return None
