"""Keeping the warehouse's work equal to Shopify's after an order was sent: pure, no I/O.

Shopify re-cuts fulfillment orders (FOs) after they were sent: a partial hold splits one off, a
move sends one (or part of one) to another location, a merge folds two into one, an edit adds
or removes units. The WMS order (W) sent for an FO keeps what it was given until it is told
otherwise, so after each read of the order this module answers two questions:

1. `plan_changes`: which WMS orders hold more than Shopify still wants of them, and must be
   reduced (`wms.order.reduce`) or, when nothing would be left, cancelled (`wms.order.cancel`).
2. `uncovered_work`: which units Shopify wants at a mapped location that no WMS order holds, and
   so need a new WMS order (a new FO, or extra units on an FO already sent).

The invariant, per order line item: the units the WMS was asked to ship and has not confirmed
taking out never exceed what Shopify wants fulfilled; and units that left one WMS order reach
another only after the first is confirmed reduced or cancelled (`waiting_reason` gates new work
on every unanswered or refused change of the order: SPEC section 3).

What Shopify wants of W, bound to FO F at facility X:
- F active (not CLOSED/CANCELLED) and still at a location mapped to X: per line, F's
  `totalQuantity`. It counts units already fulfilled, so a shipment of ours racing the read does
  not look like a reduction.
- otherwise (F closed, cancelled, moved elsewhere, or gone): only what was fulfilled on it
  (total - remaining; nothing if F is gone).
Several WMS orders on one FO (extra units sent later) share what is wanted oldest first, so
the newest gives units back first.

Lines are matched by the order's LineItem id, not the FO line id: Shopify gives FO lines new ids
when it re-cuts FOs, the order's line items keep theirs. A line sent before line item ids were
recorded falls back to the FO line id (still right while the FO keeps that line).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from contracts.wms import ReduceLine, WmsOrderCancel, WmsOrderReduce

if TYPE_CHECKING:
    from order_intake.domain import FulfillmentOrder, Order, SentFulfillmentOrder

ChangeKind = Literal["reduce", "cancel"]
FacilityOf = Callable[[str], str | None]
"""A location GID -> the WMS facility it maps to, or None when unmapped."""

INACTIVE_STATUSES = frozenset({"CLOSED", "CANCELLED"})


@dataclass(frozen=True)
class PendingChange:
    """A reduce or cancel sent to the WMS and not answered yet (at most one per WMS order)."""

    kind: ChangeKind
    lines: tuple[ReduceLine, ...]
    """Units asked out (for a cancel: everything the WMS order held)."""
    change: str
    """What changed in Shopify, for people."""
    since: datetime


@dataclass(frozen=True)
class RefusedChange:
    """The WMS refused a reduce or cancel: it still holds those units. Until an operator has
    looked (re-sync), nothing new is sent for the order."""

    kind: ChangeKind
    change: str
    reason: str | None
    at: datetime


def gid_number(gid: str) -> int:
    tail = gid.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def ref_suffix(order_name: str, ref: str) -> int:
    """`#1001` -> 1, `#1001-3` -> 3: the order WMS orders of one order were created in."""
    if ref == order_name:
        return 1
    tail = ref.removeprefix(order_name + "-")
    return int(tail) if tail.isdigit() else 0


# --- what a WMS order holds --------------------------------------------------------------------


def holding(sent: SentFulfillmentOrder) -> dict[str, int]:
    """Units per sent line ref the WMS holds: as sent, less what it confirmed taking out.

    A rejected WMS order holds nothing (the warehouse never took it), nor does a cancelled one.
    """
    if sent.cancelled or sent.wms_state == "rejected":
        return {line.line_ref: 0 for line in sent.sent.lines}
    assigned = sent.assigned
    return {
        line.line_ref: (assigned.get(line.line_ref, 0) if assigned is not None else line.quantity)
        for line in sent.sent.lines
    }


def effective_holding(sent: SentFulfillmentOrder) -> dict[str, int]:
    """What it holds once its unanswered change (if any) is applied: what to count on."""
    held = holding(sent)
    pending = sent.pending
    if pending is None:
        return held
    if pending.kind == "cancel":
        return dict.fromkeys(held, 0)
    for line in pending.lines:
        held[line.line_ref] = max(0, held.get(line.line_ref, 0) - line.quantity)
    return held


def current_line_items(order: Order) -> dict[str, str]:
    """FO line id -> the order's LineItem id, for the lines of the order as read now."""
    return {
        line.id: line.line_item_id
        for fo in order.fulfillment_orders
        for line in fo.lines
        if line.line_item_id
    }


def line_keys(sent: SentFulfillmentOrder, current: Mapping[str, str]) -> dict[str, str]:
    """Sent line ref -> the key lines are matched by (the order's LineItem id); `current` is
    `current_line_items` of the order."""
    return {
        line.line_ref: sent.line_items.get(line.line_ref)
        or current.get(line.line_ref)
        or line.line_ref
        for line in sent.sent.lines
    }


def _key(line_item_id: str | None, fo_line_id: str) -> str:
    return line_item_id or fo_line_id


# --- 1. what to take out ---------------------------------------------------------------------


def _wanted(
    fo: FulfillmentOrder | None,
    facility: str,
    facility_of: FacilityOf,
    withdrawn: Collection[str] = (),
) -> tuple[dict[str, int], str]:
    """Units per line key Shopify wants of the WMS orders of `fo` at `facility`, and, should
    they hold more, what changed (for the WMS's `reason` and for operators). An FO in
    `withdrawn` (the merchant requested cancellation from a fulfillment service) is wanted no
    more than what was fulfilled of it, as a closed one."""
    wanted: dict[str, int] = defaultdict(int)
    if fo is None:
        return wanted, "its fulfillment order is no longer in the Shopify order"
    number = gid_number(fo.id)
    if fo.id in withdrawn:
        for line in fo.lines:
            wanted[_key(line.line_item_id, line.id)] += max(0, line.total - line.remaining_quantity)
        return wanted, f"the merchant requested cancellation of fulfillment order {number}"
    active = fo.status not in INACTIVE_STATUSES
    at = facility_of(fo.location_id) if fo.location_id else None
    if active and at == facility:
        for line in fo.lines:
            wanted[_key(line.line_item_id, line.id)] += line.total
        return wanted, f"units left fulfillment order {number} (split, merged, edited or removed)"
    for line in fo.lines:
        wanted[_key(line.line_item_id, line.id)] += max(0, line.total - line.remaining_quantity)
    if not active:
        return wanted, f"fulfillment order {number} is {fo.status.lower()}"
    where = f"facility {at}" if at else "a location not mapped to a facility"
    return wanted, f"fulfillment order {number} moved to {where}"


def plan_changes(
    order: Order,
    facility_of: FacilityOf,
    sent: Sequence[SentFulfillmentOrder],
    now: datetime,
    withdrawn: Collection[str] = (),
) -> tuple[list[WmsOrderReduce], list[WmsOrderCancel]]:
    """The reduces and cancels that bring every WMS order of the order down to Shopify's want
    (`withdrawn`: FOs whose cancellation the merchant requested from a fulfillment service).

    A WMS order with a change unanswered or refused gets no second one; what it holds (or will
    hold) still counts against the want, so its neighbours are not cut for it.
    """
    fos = {fo.id: fo for fo in order.fulfillment_orders}
    current = current_line_items(order)
    groups: dict[tuple[str, str], list[SentFulfillmentOrder]] = defaultdict(list)
    for w in sorted(sent, key=lambda w: ref_suffix(order.name, w.wms_order_ref)):
        groups[(w.fulfillment_order_id, w.sent.facility)].append(w)
    reduces: list[WmsOrderReduce] = []
    cancels: list[WmsOrderCancel] = []
    for (fo_id, facility), members in groups.items():
        fo = fos.get(fo_id)  # the read has every FO of the order: missing is gone
        wanted, change = _wanted(fo, facility, facility_of, withdrawn)
        for w in members:
            held = effective_holding(w)
            if not any(held.values()):
                continue
            keys = line_keys(w, current)
            kept = 0
            excess: list[ReduceLine] = []
            for line in w.sent.lines:
                key = keys[line.line_ref]
                keep = min(held[line.line_ref], wanted[key])
                wanted[key] -= keep
                kept += keep
                if held[line.line_ref] > keep:
                    excess.append(
                        ReduceLine(
                            line_ref=line.line_ref,
                            sku=line.sku,
                            quantity=held[line.line_ref] - keep,
                        )
                    )
            if not excess or w.pending is not None or w.refused is not None:
                continue
            if kept == 0:
                cancels.append(
                    WmsOrderCancel(wms_order_ref=w.wms_order_ref, reason=change, requested_at=now)
                )
            else:
                reduces.append(
                    WmsOrderReduce(
                        wms_order_ref=w.wms_order_ref, lines=excess, reason=change, requested_at=now
                    )
                )
    return reduces, cancels


# --- 2. what to send -------------------------------------------------------------------------


def uncovered_work(
    sendable: Iterable[FulfillmentOrder],
    facility_of: FacilityOf,
    sent: Sequence[SentFulfillmentOrder],
    order: Order,
) -> list[FulfillmentOrder]:
    """Per sendable FO (its shippable lines only), the units no WMS order of that FO at its
    facility covers, as a copy of the FO whose lines' `remaining_quantity` is those units
    (never more than Shopify has left to fulfil). FOs fully covered are left out.

    A rejected WMS order covers what it was sent (it is not re-sent by itself) unless an
    operator asked for a re-sync, then it covers nothing and its units go out again.
    """
    work: list[FulfillmentOrder] = []
    current = current_line_items(order)
    for fo in sendable:
        facility = facility_of(fo.location_id) if fo.location_id else None
        covered: dict[str, int] = defaultdict(int)
        for w in sent:
            if w.fulfillment_order_id != fo.id or w.sent.facility != facility:
                continue
            if w.wms_state == "rejected":
                held = (
                    {}
                    if w.resend_requested
                    else {line.line_ref: line.quantity for line in w.sent.lines}
                )
            else:
                held = effective_holding(w)
            keys = line_keys(w, current)
            for line_ref, units in held.items():
                covered[keys[line_ref]] += units
        if not covered:
            work.append(fo)  # no WMS order of it yet (a new order's case): all of it
            continue
        lines = []
        for line in fo.lines:
            key = _key(line.line_item_id, line.id)
            cover = min(covered[key], line.total)
            covered[key] -= cover
            units = min(line.remaining_quantity, line.total - cover)
            if units > 0:
                lines.append(
                    line
                    if units == line.remaining_quantity
                    else replace(line, remaining_quantity=units)
                )
        if lines:
            work.append(replace(fo, lines=tuple(lines)))
    return work


def resend_ref(
    fo: FulfillmentOrder, facility: str, sent: Sequence[SentFulfillmentOrder]
) -> str | None:
    """The ref of a rejected WMS order of this FO an operator asked to send again: it is re-sent
    under the same ref (the warehouse never held it), so operators and the WMS see one order."""
    for w in sent:
        if (
            w.fulfillment_order_id == fo.id
            and w.sent.facility == facility
            and w.wms_state == "rejected"
            and w.resend_requested
        ):
            return w.wms_order_ref
    return None


def waiting_reason(
    sent: Sequence[SentFulfillmentOrder],
    reduces: Sequence[WmsOrderReduce],
    cancels: Sequence[WmsOrderCancel],
) -> str | None:
    """Why new WMS orders of this order must wait, or None: units may still sit in another
    WMS order until the warehouse confirms a reduce or cancel, and a refused one needs a
    person first."""
    refused = [w for w in sent if w.refused is not None]
    if refused:
        w = refused[0]
        assert w.refused is not None
        said = f": {w.refused.reason}" if w.refused.reason else ""
        return (
            f"the warehouse refused to {w.refused.kind} {w.wms_order_ref}{said}; "
            "nothing more is sent until an operator re-syncs the order"
        )
    waiting = sorted(
        {w.wms_order_ref for w in sent if w.pending is not None}
        | {r.wms_order_ref for r in reduces}
        | {c.wms_order_ref for c in cancels}
    )
    if waiting:
        return "waiting for the warehouse to confirm changes to " + ", ".join(waiting)
    return None
