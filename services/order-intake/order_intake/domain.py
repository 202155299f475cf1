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

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from contracts.wms import (
    Address,
    OrderLine,
    ShippingMethod,
    WmsOrderCreate,
    WmsOrderHold,
    WmsOrderRelease,
    WmsOrderUpdate,
)
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


@dataclass(frozen=True)
class FulfillmentOrder:
    id: str
    status: str
    """OPEN, IN_PROGRESS, SCHEDULED, ON_HOLD, INCOMPLETE, CANCELLED, CLOSED."""
    location_id: str | None
    fulfill_by: datetime | None
    holds: tuple[FulfillmentHold, ...] = ()
    lines: tuple[FulfillmentOrderLine, ...] = ()


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
    truncated: bool = False
    """Shopify had more FOs or FO lines than one read returns (see operations.ORDERS_BY_ID)."""


# --- what the WMS already knows, and what to do -----------------------------------------------


@dataclass(frozen=True)
class SentFulfillmentOrder:
    """An FO already sent to the WMS, as the WMS believes it now."""

    wms_order_ref: str
    fulfillment_order_id: str
    on_hold: bool
    ship_by: datetime | None
    sent: WmsOrderCreate
    """The payload it was created with: what later edits are compared against."""


OrderState = Literal[
    "sent", "filtered", "rejected_by_checks", "held_risk", "cancelled", "no_wms_work"
]


@dataclass(frozen=True)
class IgnoredEdit:
    wms_order_ref: str
    description: str


@dataclass(frozen=True)
class Decision:
    state: OrderState
    reason: str | None = None
    creates: tuple[WmsOrderCreate, ...] = ()
    holds: tuple[WmsOrderHold, ...] = ()
    releases: tuple[WmsOrderRelease, ...] = ()
    updates: tuple[WmsOrderUpdate, ...] = ()
    ignored_edits: tuple[IgnoredEdit, ...] = field(default=())


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
    already_sent: Mapping[str, SentFulfillmentOrder],
    now: datetime,
    *,
    share_email: bool = False,
) -> Decision:
    """The whole decision for one order; `already_sent` is keyed by FO id."""
    if order.cancelled_at is not None:
        # Sent or not, a cancellation is the cancellation service's business.
        return Decision("cancelled", f"cancelled in Shopify ({order.cancel_reason or 'no reason'})")
    risk_hold = shop.order_download.hold_high_risk and is_high_risk(order)
    holds, releases, updates = _adjust_sent(order, already_sent, risk_hold)
    # Whatever happens to new FOs, the ones already sent get their adjustments.
    base = Decision(
        "sent" if already_sent else "no_wms_work",
        holds=holds,
        releases=releases,
        updates=updates,
        ignored_edits=_ignored_edits(order, already_sent),
    )
    candidates = [
        fo for fo in sendable_fulfillment_orders(order, shop) if fo.id not in already_sent
    ]
    if not candidates:
        reason = None if already_sent else "no open fulfillment order at a mapped location"
        return replace(base, reason=reason)
    filtered = filter_reason(order, shop, now)
    if filtered is not None:
        return replace(base, state=base.state if already_sent else "filtered", reason=filtered)
    if risk_hold:
        return replace(base, state="held_risk", reason=RISK_HOLD_REASON)
    problems = check_problems(order, candidates)
    if problems:
        return replace(base, state="rejected_by_checks", reason="; ".join(problems))
    refs = assign_refs(order.name, [fo.id for fo in candidates], already_sent.values())
    creates = tuple(
        build_create(order, fo, refs[fo.id], _facility(shop, fo), share_email=share_email)
        for fo in candidates
    )
    return replace(base, state="sent", creates=creates)


def is_high_risk(order: Order) -> bool:
    return order.risk_recommendation == "CANCEL" or "HIGH" in order.risk_levels


def _facility(shop: ShopConfig, fo: FulfillmentOrder) -> str:
    facility = shop.facility_for(fo.location_id) if fo.location_id else None
    assert facility is not None, "only FOs at mapped locations are sendable"
    return facility


def shippable_lines(fo: FulfillmentOrder) -> list[FulfillmentOrderLine]:
    return [line for line in fo.lines if line.requires_shipping and line.remaining_quantity > 0]


def sendable_fulfillment_orders(order: Order, shop: ShopConfig) -> list[FulfillmentOrder]:
    """FOs the WMS should have: at a mapped location, open or held, with something to ship.

    In FO-id order (numeric), which is the order suffixes are handed out in.
    """
    return sorted(
        (
            fo
            for fo in order.fulfillment_orders
            if fo.status in _SENDABLE_STATUSES
            and fo.location_id is not None
            and shop.facility_for(fo.location_id) is not None
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


def check_problems(order: Order, fulfillment_orders: Sequence[FulfillmentOrder]) -> list[str]:
    """Operator-readable reasons the WMS could not ship these FOs, empty when they are fine."""
    problems: list[str] = []
    if order.truncated:
        problems.append(
            "order has more fulfillment orders or lines than one read returns; not supported"
        )
    problems.extend(_address_problems(order.shipping_address))
    position = 0
    for fo in fulfillment_orders:
        for line in shippable_lines(fo):
            position += 1
            if not (line.sku or "").strip():
                problems.append(f"line {position} ({line.title}) has no SKU")
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
    used = [_suffix(order_name, ref) for ref in sent_refs]
    next_suffix = max(used, default=0) + 1
    return {fo_id: f"{order_name}-{next_suffix + i}" for i, fo_id in enumerate(ordered)}


def _suffix(order_name: str, ref: str) -> int:
    if ref == order_name:
        return 1
    tail = ref.removeprefix(order_name + "-")
    return int(tail) if tail.isdigit() else 0


def gid_number(gid: str) -> int:
    tail = gid.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


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
        bill_to=None,
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


def _adjust_sent(
    order: Order, already_sent: Mapping[str, SentFulfillmentOrder], risk_hold: bool
) -> tuple[tuple[WmsOrderHold, ...], tuple[WmsOrderRelease, ...], tuple[WmsOrderUpdate, ...]]:
    holds: list[WmsOrderHold] = []
    releases: list[WmsOrderRelease] = []
    updates: list[WmsOrderUpdate] = []
    current = {fo.id: fo for fo in order.fulfillment_orders}
    for fo_id, sent in sorted(already_sent.items(), key=lambda item: gid_number(item[0])):
        fo = current.get(fo_id)
        if fo is None or fo.status not in _ADJUSTABLE_STATUSES:
            continue  # in progress, closed, cancelled or moved: not this service's to change
        hold_reason = RISK_HOLD_REASON if risk_hold else fulfillment_hold_reason(fo)
        if hold_reason is not None and not sent.on_hold:
            holds.append(WmsOrderHold(wms_order_ref=sent.wms_order_ref, reason=hold_reason))
        elif hold_reason is None and sent.on_hold:
            releases.append(WmsOrderRelease(wms_order_ref=sent.wms_order_ref))
        if fo.fulfill_by != sent.ship_by:
            updates.append(WmsOrderUpdate(wms_order_ref=sent.wms_order_ref, ship_by=fo.fulfill_by))
    return tuple(holds), tuple(releases), tuple(updates)


def _ignored_edits(
    order: Order, already_sent: Mapping[str, SentFulfillmentOrder]
) -> tuple[IgnoredEdit, ...]:
    """Differences between what was sent and the order now that the WMS is not told about."""
    current_fos = {fo.id: fo for fo in order.fulfillment_orders}
    edits: list[IgnoredEdit] = []
    for fo_id, sent in sorted(already_sent.items(), key=lambda item: gid_number(item[0])):
        fo = current_fos.get(fo_id)
        if fo is None or fo.status not in _ADJUSTABLE_STATUSES:
            continue  # shipped or closed: differences are expected, not edits
        payload = sent.sent
        changed = [
            what
            for what, differs in (
                (
                    "shipping address",
                    order.shipping_address != _as_shipping_address(payload.ship_to),
                ),
                ("shipping method", _shipping_method_changed(order, payload)),
                ("note", order.note != payload.note),
                ("tags", list(order.tags) != payload.tags),
                ("lines", _lines_grew_or_changed(fo, payload)),
            )
            if differs
        ]
        if changed:
            edits.append(
                IgnoredEdit(
                    sent.wms_order_ref,
                    "order edited after it was sent to the WMS: " + ", ".join(changed) + " changed",
                )
            )
    return tuple(edits)


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


def _shipping_method_changed(order: Order, sent: WmsOrderCreate) -> bool:
    return (order.shipping_method or NO_SHIPPING_METHOD) != sent.shipping_method


def _lines_grew_or_changed(fo: FulfillmentOrder, sent: WmsOrderCreate) -> bool:
    # Lines shrink as the WMS ships them; only new lines, new SKUs or more units are edits.
    sent_lines = {line.line_ref: line for line in sent.lines}
    for line in shippable_lines(fo):
        before = sent_lines.get(line.id)
        if before is None or before.sku != (line.sku or "").strip():
            return True
        if line.remaining_quantity > before.quantity:
            return True
    return False
