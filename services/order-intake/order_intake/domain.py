"""What happens to a Shopify order: pure decisions, no I/O.

`decide(order, shop, already_sent, now)` looks at the order as Shopify has it now (the GraphQL
order is the truth; webhooks only say "look again") and at what the WMS was already told, and
answers: which fulfillment orders (FOs) to create in the WMS, with their full `wms.order.create`
payload; which FOs already sent to hold, release or re-date; which edits are only recorded; and
otherwise why nothing is sent (filtered by the shop's settings, rejected by a check an operator
can act on, held for fraud risk, cancelled, or nothing at a mapped location).

Choices worth knowing:
- Filters and checks gate only *new* WMS orders. An FO already sent is never re-created and never
  rewritten: after sending, only hold/release and the ship-by date travel (SPEC section 3).
- High fraud risk (with `hold_high_risk`): nothing is sent while the risk stands (`held_risk`),
  and FOs already sent are put on hold. Not sending at all, rather than sending `on_hold`, keeps
  the customer's address out of the warehouse until the merchant has decided the order is real;
  the price is that the WMS learns of the order only once the risk is cleared.
- An FO that Shopify holds (status ON_HOLD / fulfillmentHolds) is sent at once with
  `on_hold: true`, so the WMS order and its reference exist from the start and the later release
  is a plain `wms.order.release`.
- All FOs created in one decision share the order-level checks: if one fails, none is sent, so
  the merchant fixes the order once and it goes out whole.
"""

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from contracts.wms import (
    Address,
    OrderLine,
    ShippingMethod,
    WmsOrderCancel,
    WmsOrderCreate,
    WmsOrderHold,
    WmsOrderReduce,
    WmsOrderRelease,
    WmsOrderUpdate,
)
from order_intake import reconcile, requests
from order_intake.reconcile import PendingChange, RefusedChange, gid_number, ref_suffix
from order_intake.requests import RequestAnswer
from shop_config import ShopConfig

# --- the order, as order-intake needs it (built from GraphQL by shopify_order.py) -------------


@dataclass(frozen=True)
class ShippingAddress:
    name: str | None
    company: str | None
    address1: str | None
    address2: str | None
    city: str | None
    province_code: str | None
    postal_code: str | None
    country_code: str | None
    phone: str | None


@dataclass(frozen=True)
class FulfillmentHold:
    reason: str
    notes: str | None


@dataclass(frozen=True)
class FulfillmentOrderLine:
    id: str
    """The FulfillmentOrderLineItem GID: the line_ref the WMS echoes back."""
    sku: str | None
    title: str
    requires_shipping: bool
    remaining_quantity: int
    total_quantity: int | None = None
    """Units of the line on this FO, fulfilled ones included; None (not read): the remaining."""
    line_item_id: str | None = None
    """The order's LineItem GID: unlike the FO line id, it survives Shopify re-cutting FOs."""

    @property
    def total(self) -> int:
        return self.remaining_quantity if self.total_quantity is None else self.total_quantity


@dataclass(frozen=True)
class FulfillmentOrder:
    id: str
    status: str
    """OPEN, IN_PROGRESS, SCHEDULED, ON_HOLD, INCOMPLETE, CANCELLED, CLOSED."""
    location_id: str | None
    fulfill_by: datetime | None
    holds: tuple[FulfillmentHold, ...] = ()
    lines: tuple[FulfillmentOrderLine, ...] = ()
    request_status: str = "UNSUBMITTED"
    """FulfillmentOrderRequestStatus: only an FO at a fulfillment service's location leaves
    UNSUBMITTED (SUBMITTED when the merchant asks, ACCEPTED or REJECTED when we answer, ...)."""
    updated_at: datetime | None = None
    """Shopify's `updatedAt` of the FO as read: tells a read made before our answer landed."""


@dataclass(frozen=True)
class Order:
    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    processed_at: datetime
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    test: bool = False
    financial_status: str | None = None
    """GraphQL OrderDisplayFinancialStatus, e.g. PAID."""
    fulfillment_status: str | None = None
    """GraphQL OrderDisplayFulfillmentStatus, e.g. UNFULFILLED."""
    payment_gateways: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    note: str | None = None
    source_name: str | None = None
    email: str | None = None
    risk_recommendation: str | None = None
    risk_levels: tuple[str, ...] = ()
    shipping_address: ShippingAddress | None = None
    shipping_method: ShippingMethod | None = None
    fulfillment_orders: tuple[FulfillmentOrder, ...] = ()
    """Every FO with every line: order_reads.py reads past the first page (any size)."""
    # --- order_reads / closing (billing address, email and closing are per-shop options) ---
    closed: bool = False
    """Closed in Shopify (no further work); see order_intake.closing."""
    billing_address: ShippingAddress | None = None
    """Read only for shops that send it to the WMS (shop_config wms_order.send_billing_address)."""


# --- what the WMS already knows, and what to do -----------------------------------------------


@dataclass(frozen=True)
class SentFulfillmentOrder:
    """A WMS order already sent for an FO (an FO can have several), as the WMS believes it now."""

    wms_order_ref: str
    fulfillment_order_id: str
    on_hold: bool
    ship_by: datetime | None
    sent: WmsOrderCreate
    """The payload it was created with: what later edits are compared against."""
    assigned: Mapping[str, int] | None = None
    """Units per sent line ref after the reductions the WMS confirmed; None: as sent."""
    line_items: Mapping[str, str] = field(default_factory=dict)
    """Sent line ref -> the order's LineItem GID (empty for WMS orders sent before it was kept)."""
    wms_state: str = "sent"
    """sent, accepted or rejected (the WMS's answer to the create)."""
    wms_reason: str | None = None
    """Why the WMS rejected it."""
    request_answered: str | None = None
    """At a fulfillment service: what Shopify was told of its FO's request (accepted,
    rejected), None while not answered."""
    request_answered_at: datetime | None = None
    pending: PendingChange | None = None
    refused: RefusedChange | None = None
    cancelled: bool = False
    """The WMS confirmed cancelling it at our request: it holds nothing."""
    resend_requested: bool = False
    """Rejected, and an operator re-synced the order since: send it again (same ref)."""


OrderState = Literal[
    "sent",
    "filtered",
    "rejected_by_checks",
    "held_risk",
    "cancelled",
    "no_wms_work",
    "waiting_for_wms",
]


@dataclass(frozen=True)
class UnsentEdit:
    """A change to an order already sent that the WMS is not told about (SPEC section 3): an
    operator passes it on by hand. `fingerprint` tells a new change of the same field from the
    one already seen (and perhaps acknowledged)."""

    wms_order_ref: str
    field: str
    fingerprint: str

    @property
    def description(self) -> str:
        return f"{self.field} changed after the order was sent to the WMS (not sent to it)"


@dataclass(frozen=True)
class Decision:
    state: OrderState
    reason: str | None = None
    creates: tuple[WmsOrderCreate, ...] = ()
    holds: tuple[WmsOrderHold, ...] = ()
    releases: tuple[WmsOrderRelease, ...] = ()
    updates: tuple[WmsOrderUpdate, ...] = ()
    reduces: tuple[WmsOrderReduce, ...] = ()
    cancels: tuple[WmsOrderCancel, ...] = ()
    unsent_edits: tuple[UnsentEdit, ...] = field(default=())
    resent: frozenset[str] = frozenset()
    """Refs among `creates` that re-send a WMS order the warehouse had rejected."""
    line_items: Mapping[str, str] = field(default_factory=dict)
    """FO line ref -> LineItem GID, for the lines of `creates`."""
    answers: tuple[RequestAnswer, ...] = ()
    """What Shopify must be told about requests to a fulfillment service (requests.py)."""


RISK_HOLD_REASON = "high fraud risk"
# An order without a shipping line (e.g. a draft order created without one) still ships; the
# contract requires a method, so an empty one says "none chosen" rather than inventing one.
NO_SHIPPING_METHOD = ShippingMethod(code="", title="")
# FO statuses in which the WMS can still be told to hold, release or re-date the order.
_ADJUSTABLE_STATUSES = frozenset({"OPEN", "ON_HOLD"})
_SENDABLE_STATUSES = frozenset({"OPEN", "ON_HOLD"})
# Countries without postal codes (Shopify leaves `zip` empty there): a missing code is fine.
_NO_POSTAL_CODE_COUNTRIES = frozenset(
    {"AE", "AG", "AO", "AW", "BF", "BI", "BJ", "BO", "BS", "BW", "BZ", "CD", "CF", "CG", "CI"}
    | {"CK", "CM", "DJ", "DM", "ER", "FJ", "GA", "GD", "GH", "GM", "GQ", "GY", "HK", "JM", "KI"}
    | {"KM", "KN", "KP", "LC", "ML", "MO", "MR", "MW", "NR", "NU", "QA", "RW", "SB", "SC", "SL"}
    | {"SR", "ST", "SY", "TD", "TF", "TG", "TK", "TL", "TO", "TV", "UG", "VU", "YE", "ZW"}
)
_FULFILLMENT_STATUS_SETTING = {
    # GraphQL display status -> the shops file's vocabulary (shop_config.FulfillmentStatus).
    "UNFULFILLED": "unfulfilled",
    "PARTIALLY_FULFILLED": "partial",
    "FULFILLED": "fulfilled",
    "RESTOCKED": "restocked",
    "SCHEDULED": "scheduled",
    "ON_HOLD": "on_hold",
    # Nothing has shipped yet in these: for the filter they are unfulfilled.
    "OPEN": "unfulfilled",
    "IN_PROGRESS": "unfulfilled",
    "PENDING_FULFILLMENT": "unfulfilled",
    "REQUEST_DECLINED": "unfulfilled",
}


def decide(
    order: Order,
    shop: ShopConfig,
    already_sent: Sequence[SentFulfillmentOrder],
    now: datetime,
    *,
    share_email: bool = False,
    catalog: "CatalogProblems | None" = None,
) -> Decision:
    """The whole decision for one order, given every WMS order already sent for it, with what
    Shopify must be told about the requests of its FOs at fulfillment services. `catalog`: the
    SKUs the shop's catalog has wrong (none when not given)."""
    already_sent = requests.with_rerequests(order, shop, already_sent)
    catalog = catalog or NO_CATALOG_PROBLEMS
    decision = _decide(order, shop, already_sent, now, share_email=share_email, catalog=catalog)
    answers = requests.answers_owed(order, shop, already_sent, decision)
    return replace(decision, answers=answers) if answers else decision


def _decide(
    order: Order,
    shop: ShopConfig,
    already_sent: Sequence[SentFulfillmentOrder],
    now: datetime,
    *,
    share_email: bool,
    catalog: "CatalogProblems",
) -> Decision:
    if order.cancelled_at is not None:
        # Sent or not, a cancellation is the cancellation service's business.
        return Decision("cancelled", f"cancelled in Shopify ({order.cancel_reason or 'no reason'})")
    risk_hold = shop.order_download.hold_high_risk and is_high_risk(order)
    reduces, cancels = reconcile.plan_changes(
        order, shop.facility_for, already_sent, now, requests.cancellation_requested(order, shop)
    )
    cancelled_now = {c.wms_order_ref for c in cancels}
    live = [w for w in already_sent if _still_held(w) and w.wms_order_ref not in cancelled_now]
    holds, releases, updates = _adjust_sent(order, shop, live, risk_hold)
    # Whatever happens to new work, the WMS orders already sent get their adjustments.
    base = Decision(
        "sent" if already_sent else "no_wms_work",
        holds=holds,
        releases=releases,
        updates=updates,
        reduces=tuple(reduces),
        cancels=tuple(cancels),
        unsent_edits=_unsent_edits(order, shop, live),
    )
    sendable = [_with_shippable_lines(fo) for fo in sendable_fulfillment_orders(order, shop)]
    work = reconcile.uncovered_work(sendable, shop.facility_for, already_sent, order)
    if not work:
        reason = None if already_sent else "no open fulfillment order at a mapped location"
        return replace(base, reason=reason)
    waiting = reconcile.waiting_reason(already_sent, reduces, cancels)
    if waiting is not None:
        return replace(base, state="waiting_for_wms", reason=waiting)
    # Filters decide whether an order goes to the WMS at all; once part of it has, its units
    # follow Shopify (a split-off or moved FO is the same order, whatever its status says now).
    filtered = None if already_sent else filter_reason(order, shop, now)
    if filtered is not None:
        return replace(base, state="filtered", reason=filtered)
    if risk_hold:
        return replace(base, state="held_risk", reason=RISK_HOLD_REASON)
    problems = check_problems(order, work, catalog)
    if problems:
        return replace(base, state="rejected_by_checks", reason="; ".join(problems))
    resent = {
        fo.id: ref
        for fo in work
        if (ref := reconcile.resend_ref(fo, _facility(shop, fo), already_sent)) is not None
    }
    refs = resent | assign_refs(
        order.name, [fo.id for fo in work if fo.id not in resent], already_sent
    )
    creates = tuple(
        build_create(order, fo, refs[fo.id], _facility(shop, fo), share_email=share_email)
        for fo in work
    )
    line_items = {
        line.id: line.line_item_id for fo in work for line in fo.lines if line.line_item_id
    }
    return replace(
        base,
        state="sent",
        creates=creates,
        resent=frozenset(resent.values()),
        line_items=line_items,
    )


def _still_held(sent: SentFulfillmentOrder) -> bool:
    """The WMS holds this order (not rejected, not cancelled, no cancel on its way)."""
    if sent.cancelled or sent.wms_state == "rejected":
        return False
    return sent.pending is None or sent.pending.kind != "cancel"


def is_high_risk(order: Order) -> bool:
    return order.risk_recommendation == "CANCEL" or "HIGH" in order.risk_levels


def _facility(shop: ShopConfig, fo: FulfillmentOrder) -> str:
    facility = shop.facility_for(fo.location_id) if fo.location_id else None
    assert facility is not None, "only FOs at mapped locations are sendable"
    return facility


def shippable_lines(fo: FulfillmentOrder) -> list[FulfillmentOrderLine]:
    return [line for line in fo.lines if line.requires_shipping and line.remaining_quantity > 0]


def _with_shippable_lines(fo: FulfillmentOrder) -> FulfillmentOrder:
    lines = shippable_lines(fo)
    return fo if len(lines) == len(fo.lines) else replace(fo, lines=tuple(lines))


def sendable_fulfillment_orders(order: Order, shop: ShopConfig) -> list[FulfillmentOrder]:
    """FOs the WMS should have: at a mapped location, open or held, with something to ship; at
    a fulfillment service, only once the merchant has requested fulfillment.

    In FO-id order (numeric), which is the order suffixes are handed out in.
    """
    return sorted(
        (
            fo
            for fo in order.fulfillment_orders
            if fo.status in _SENDABLE_STATUSES
            and fo.location_id is not None
            and (facility := shop.facility_for(fo.location_id)) is not None
            and (not shop.is_service_facility(facility) or fo.request_status == "SUBMITTED")
            and shippable_lines(fo)
        ),
        key=lambda fo: gid_number(fo.id),
    )


# --- filters (SPEC section 5): the shop does not want these orders in the WMS -----------------


def filter_reason(order: Order, shop: ShopConfig, now: datetime) -> str | None:
    """Why the shop's settings exclude this order, or None if they let it through."""
    settings = shop.order_download
    filters = settings.filters
    if order.test:
        return "test order"
    if now - order.created_at > timedelta(days=settings.max_age_days):
        return f"older than {settings.max_age_days} days"
    number = order_number(order.name)
    if settings.starting_order_number is not None and (
        number is None or number < settings.starting_order_number
    ):
        return f"order number below the starting number {settings.starting_order_number}"
    if (order.source_name or "").lower() == "pos" and settings.pos_orders == "skip":
        return "point-of-sale order (the shop skips them)"
    financial = (order.financial_status or "").lower()
    if not settings.import_unpaid and financial not in filters.financial_statuses:
        return f"financial status {financial or 'unknown'} is not downloaded"
    fulfillment = _FULFILLMENT_STATUS_SETTING.get(order.fulfillment_status or "", "unknown")
    if fulfillment not in filters.fulfillment_statuses:
        return f"fulfillment status {fulfillment} is not downloaded"
    country = order.shipping_address.country_code if order.shipping_address else None
    if (
        filters.ship_to_countries
        and country is not None
        and country not in filters.ship_to_countries
    ):
        return f"ships to {country}, not one of the shop's countries"
    tags = {tag.casefold() for tag in order.tags}
    missing = [tag for tag in filters.required_tags if tag.casefold() not in tags]
    if missing:
        return f"missing required tag {missing[0]!r}"
    excluded = [tag for tag in filters.excluded_tags if tag.casefold() in tags]
    if excluded:
        return f"has excluded tag {excluded[0]!r}"
    return None


def order_number(name: str) -> int | None:
    """`#1001` -> 1001; shops may add a prefix or suffix, so the last run of digits counts."""
    digits = re.findall(r"\d+", name)
    return int(digits[-1]) if digits else None


# --- checks: the order cannot be shipped as it is; an operator can fix and re-sync ------------


@dataclass(frozen=True)
class CatalogProblems:
    """What inventory-sync's catalog found wrong with the shop's SKUs (`catalog.findings.changed`,
    kept by catalog_findings.py). A line carrying one of them fails the checks: a duplicate SKU
    names two different goods to the warehouse, and an item the WMS rejected makes it reject the
    order; held back here, the operator sees why and fixes the catalog, not the order."""

    duplicate_skus: frozenset[str] = frozenset()
    rejected_skus: Mapping[str, str] = field(default_factory=dict)
    """SKU -> the WMS's reason."""

    @property
    def skus(self) -> frozenset[str]:
        return self.duplicate_skus | self.rejected_skus.keys()


NO_CATALOG_PROBLEMS = CatalogProblems()


def check_problems(
    order: Order,
    fulfillment_orders: Sequence[FulfillmentOrder],
    catalog: CatalogProblems = NO_CATALOG_PROBLEMS,
) -> list[str]:
    """Operator-readable reasons the WMS could not ship these FOs, empty when they are fine."""
    problems: list[str] = []
    problems.extend(_address_problems(order.shipping_address))
    position = 0
    skus: list[str] = []
    for fo in fulfillment_orders:
        for line in shippable_lines(fo):
            position += 1
            sku = (line.sku or "").strip()
            if not sku:
                problems.append(f"line {position} ({line.title}) has no SKU")
            skus.append(sku)
    problems.extend(catalog_problems(skus, catalog))
    return problems


def catalog_problems(skus: Iterable[str], catalog: CatalogProblems) -> list[str]:
    """One reason per SKU the catalog has wrong, each said once however many lines carry it."""
    problems: list[str] = []
    for sku in dict.fromkeys(sku for sku in skus if sku):
        if sku in catalog.duplicate_skus:
            problems.append(f"SKU {sku} is on several variants: fix the catalog")
        if sku in catalog.rejected_skus:
            problems.append(f"the warehouse rejected item {sku}: {catalog.rejected_skus[sku]}")
    return problems


def _address_problems(address: ShippingAddress | None) -> list[str]:
    if address is None:
        return ["order has no shipping address"]
    required = {
        "name": address.name,
        "street address": address.address1,
        "city": address.city,
        "country": address.country_code,
    }
    problems = [f"shipping address has no {what}" for what, value in required.items() if not value]
    if not address.postal_code and address.country_code not in _NO_POSTAL_CODE_COUNTRIES:
        problems.append("shipping address has no postal code")
    return problems


# --- references -----------------------------------------------------------------------------


def assign_refs(
    order_name: str, new_fo_ids: Sequence[str], sent: Iterable[SentFulfillmentOrder]
) -> dict[str, str]:
    """WMS order refs for FOs sent now; refs already sent never change.

    The order name alone when it is the order's only WMS order; otherwise `#1001-1`, `#1001-2`,
    ... in FO-id order. An FO appearing after others were sent takes the next free suffix, the
    unsuffixed name counting as suffix 1 (so `#1001` is followed by `#1001-2`).
    """
    sent_refs = [s.wms_order_ref for s in sent]
    ordered = sorted(new_fo_ids, key=gid_number)
    if not sent_refs and len(ordered) == 1:
        return {ordered[0]: order_name}
    used = [ref_suffix(order_name, ref) for ref in sent_refs]
    next_suffix = max(used, default=0) + 1
    return {fo_id: f"{order_name}-{next_suffix + i}" for i, fo_id in enumerate(ordered)}


# --- the create payload ---------------------------------------------------------------------


def build_create(
    order: Order, fo: FulfillmentOrder, ref: str, facility: str, *, share_email: bool
) -> WmsOrderCreate:
    """SPEC section 3 `wms.order.create`: no prices, only what shipping needs to know."""
    hold = fulfillment_hold_reason(fo)
    return WmsOrderCreate(
        wms_order_ref=ref,
        shopify_order_id=order.id,
        shopify_order_name=order.name,
        fulfillment_order_id=fo.id,
        facility=facility,
        placed_at=order.processed_at,
        on_hold=hold is not None,
        hold_reason=hold,
        ship_by=fo.fulfill_by,
        cash_on_delivery=is_cash_on_delivery(order),
        shipping_method=order.shipping_method or NO_SHIPPING_METHOD,
        ship_to=_ship_to(order, share_email),
        bill_to=_bill_to(order),
        note=order.note,
        tags=list(order.tags),
        lines=[
            OrderLine(
                line_ref=line.id,
                sku=(line.sku or "").strip(),
                quantity=line.remaining_quantity,
                title=line.title,
            )
            for line in shippable_lines(fo)
        ],
    )


def _ship_to(order: Order, share_email: bool) -> Address:
    address = order.shipping_address
    assert address is not None, "checked by check_problems"
    return Address(
        name=address.name or "",
        company=address.company,
        address1=address.address1 or "",
        address2=address.address2,
        city=address.city or "",
        province_code=address.province_code,
        postal_code=address.postal_code,
        country_code=address.country_code or "",
        phone=address.phone,
        email=order.email if share_email else None,
    )


def _bill_to(order: Order) -> Address | None:
    # Present only when the shop sends it: the order read asks Shopify for it only then.
    address = order.billing_address
    # An incomplete billing address (none given at checkout) is not sent rather than refused:
    # the WMS needs it for paperwork, the shipment does not wait for it.
    if address is None or not (
        address.name and address.address1 and address.city and address.country_code
    ):
        return None
    return Address(
        name=address.name,
        company=address.company,
        address1=address.address1,
        address2=address.address2,
        city=address.city,
        province_code=address.province_code,
        postal_code=address.postal_code,
        country_code=address.country_code,
        phone=address.phone,
        email=None,
    )


def is_cash_on_delivery(order: Order) -> bool:
    names = {name.casefold() for name in order.payment_gateways}
    return any("cash on delivery" in name or name == "cod" for name in names)


def fulfillment_hold_reason(fo: FulfillmentOrder) -> str | None:
    """Why Shopify holds this FO, or None when it is free to ship."""
    if fo.holds:
        return "; ".join(
            f"{hold.reason.lower()}: {hold.notes}" if hold.notes else hold.reason.lower()
            for hold in fo.holds
        )
    if fo.status == "ON_HOLD":
        return "on hold in Shopify"
    return None


# --- after sending: hold, release, re-date; everything else is only recorded -----------------


def _current_fo(
    order: Order, shop: ShopConfig, sent: SentFulfillmentOrder
) -> FulfillmentOrder | None:
    """The WMS order's FO if the WMS can still be told about it: open or held, and still at a
    location of the WMS order's facility (a moved FO's WMS order is being cancelled)."""
    fo = next((fo for fo in order.fulfillment_orders if fo.id == sent.fulfillment_order_id), None)
    if fo is None or fo.status not in _ADJUSTABLE_STATUSES:
        return None  # in progress, closed, cancelled or gone: not this service's to change
    if fo.location_id is None or shop.facility_for(fo.location_id) != sent.sent.facility:
        return None
    return fo


def _adjust_sent(
    order: Order, shop: ShopConfig, live: Sequence[SentFulfillmentOrder], risk_hold: bool
) -> tuple[tuple[WmsOrderHold, ...], tuple[WmsOrderRelease, ...], tuple[WmsOrderUpdate, ...]]:
    holds: list[WmsOrderHold] = []
    releases: list[WmsOrderRelease] = []
    updates: list[WmsOrderUpdate] = []
    for sent in sorted(live, key=lambda w: ref_suffix(order.name, w.wms_order_ref)):
        fo = _current_fo(order, shop, sent)
        if fo is None:
            continue
        hold_reason = RISK_HOLD_REASON if risk_hold else fulfillment_hold_reason(fo)
        if hold_reason is not None and not sent.on_hold:
            holds.append(WmsOrderHold(wms_order_ref=sent.wms_order_ref, reason=hold_reason))
        elif hold_reason is None and sent.on_hold:
            releases.append(WmsOrderRelease(wms_order_ref=sent.wms_order_ref))
        if fo.fulfill_by != sent.ship_by:
            updates.append(WmsOrderUpdate(wms_order_ref=sent.wms_order_ref, ship_by=fo.fulfill_by))
    return tuple(holds), tuple(releases), tuple(updates)


def _unsent_edits(
    order: Order, shop: ShopConfig, live: Sequence[SentFulfillmentOrder]
) -> tuple[UnsentEdit, ...]:
    """Fields of the order that differ from what a WMS order still at work was sent with.

    Units are not among them: those travel as new WMS orders and reductions (reconcile.py).
    """
    edits: list[UnsentEdit] = []
    for sent in sorted(live, key=lambda w: ref_suffix(order.name, w.wms_order_ref)):
        if _current_fo(order, shop, sent) is None:
            continue  # shipped, closed or moved: differences are expected, not edits
        payload = sent.sent
        now_and_then: tuple[tuple[str, object, object], ...] = (
            (
                "shipping address",
                order.shipping_address,
                _as_shipping_address(payload.ship_to),
            ),
            (
                "shipping method",
                order.shipping_method or NO_SHIPPING_METHOD,
                payload.shipping_method,
            ),
            ("note", order.note, payload.note),
            ("tags", list(order.tags), payload.tags),
        )
        edits.extend(
            UnsentEdit(sent.wms_order_ref, what, _fingerprint(now))
            for what, now, then in now_and_then
            if now != then
        )
    return tuple(edits)


def _fingerprint(value: object) -> str:
    # A digest, not the value: the table of edits holds no personal data.
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def _as_shipping_address(sent: Address) -> ShippingAddress:
    return ShippingAddress(
        name=sent.name,
        company=sent.company,
        address1=sent.address1,
        address2=sent.address2,
        city=sent.city,
        province_code=sent.province_code,
        postal_code=sent.postal_code,
        country_code=sent.country_code,
        phone=sent.phone,
    )
