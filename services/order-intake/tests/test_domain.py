"""Unit tests of the pure decisions: filters, checks, refs, risk, hold/release/update, edits."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.wms import ShippingMethod, WmsOrderHold, WmsOrderRelease, WmsOrderUpdate
from order_intake.domain import (
    Decision,
    FulfillmentHold,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Order,
    SentFulfillmentOrder,
    ShippingAddress,
    assign_refs,
    decide,
    order_number,
)
from shop_config import ShopConfig

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
WH1_LOCATION = "gid://shopify/Location/1"
WH2_LOCATION = "gid://shopify/Location/2"
UNMAPPED_LOCATION = "gid://shopify/Location/3"
ADDRESS = ShippingAddress(
    name="Sam Buyer",
    company=None,
    address1="1 Main St",
    address2="Unit 4",
    city="Toronto",
    province_code="ON",
    postal_code="M5H 2M9",
    country_code="CA",
    phone="+14165550100",
)


def shop(**order_download: Any) -> ShopConfig:
    return ShopConfig.model_validate(
        {
            "domain": "example.myshopify.com",
            "locations": {WH1_LOCATION: "WH1", WH2_LOCATION: "WH2"},
            "order_download": order_download,
        }
    )


def line(
    n: int,
    sku: str | None = "SKU-1",
    *,
    remaining: int = 2,
    total: int | None = None,
    item: int | None = None,
    ships: bool = True,
    title: str = "Blue mug",
) -> FulfillmentOrderLine:
    """FO line `n` of order line item `item` (default: `n`); `total` defaults to `remaining`."""
    return FulfillmentOrderLine(
        id=f"gid://shopify/FulfillmentOrderLineItem/{n}",
        sku=sku,
        title=title,
        requires_shipping=ships,
        remaining_quantity=remaining,
        total_quantity=remaining if total is None else total,
        line_item_id=f"gid://shopify/LineItem/{n if item is None else item}",
    )


def fo(
    n: int,
    *lines: FulfillmentOrderLine,
    location: str = WH1_LOCATION,
    status: str = "OPEN",
    holds: tuple[FulfillmentHold, ...] = (),
    fulfill_by: datetime | None = None,
) -> FulfillmentOrder:
    return FulfillmentOrder(
        id=f"gid://shopify/FulfillmentOrder/{n}",
        status=status,
        location_id=location,
        fulfill_by=fulfill_by,
        holds=holds,
        lines=lines or (line(n * 10),),
    )


def order(*fos: FulfillmentOrder, **fields: Any) -> Order:
    values: dict[str, Any] = {
        "id": "gid://shopify/Order/500",
        "name": "#1001",
        "created_at": NOW - timedelta(hours=1),
        "updated_at": NOW - timedelta(minutes=5),
        "processed_at": NOW - timedelta(hours=1),
        "financial_status": "PAID",
        "fulfillment_status": "UNFULFILLED",
        "source_name": "web",
        "email": "sam@example.com",
        "tags": ("vip",),
        "note": "leave at the door",
        "risk_recommendation": "ACCEPT",
        "risk_levels": ("LOW",),
        "shipping_address": ADDRESS,
        "shipping_method": ShippingMethod(code="standard", title="Standard"),
        "fulfillment_orders": fos or (fo(1),),
    }
    values.update(fields)
    return Order(**values)


def sent_from(decision: Decision) -> list[SentFulfillmentOrder]:
    """What the store would hold after this decision was saved."""
    return [
        SentFulfillmentOrder(
            wms_order_ref=c.wms_order_ref,
            fulfillment_order_id=c.fulfillment_order_id,
            on_hold=c.on_hold,
            ship_by=c.ship_by,
            sent=c,
            line_items={line.line_ref: decision.line_items[line.line_ref] for line in c.lines},
        )
        for c in decision.creates
    ]


# --- the create payload --------------------------------------------------------------------


def test_a_paid_order_at_a_mapped_location_becomes_one_wms_order_named_like_the_order() -> None:
    the_order = order(
        fo(1, line(11, "ABC-1", remaining=2, title="Blue mug"), line(12, "ABC-2", remaining=1)),
        payment_gateways=("Cash on Delivery (COD)",),
    )
    decision = decide(the_order, shop(), [], NOW)

    assert decision.state == "sent"
    [create] = decision.creates
    payload = create.model_dump(mode="json")
    assert payload == {
        "wms_order_ref": "#1001",
        "shopify_order_id": "gid://shopify/Order/500",
        "shopify_order_name": "#1001",
        "fulfillment_order_id": "gid://shopify/FulfillmentOrder/1",
        "facility": "WH1",
        "placed_at": "2026-11-22T11:00:00Z",
        "on_hold": False,
        "hold_reason": None,
        "ship_by": None,
        "cash_on_delivery": True,
        "shipping_method": {"code": "standard", "title": "Standard"},
        "ship_to": {
            "name": "Sam Buyer",
            "company": None,
            "address1": "1 Main St",
            "address2": "Unit 4",
            "city": "Toronto",
            "province_code": "ON",
            "postal_code": "M5H 2M9",
            "country_code": "CA",
            "phone": "+14165550100",
            "email": None,
        },
        "bill_to": None,
        "note": "leave at the door",
        "tags": ["vip"],
        "lines": [
            {
                "line_ref": "gid://shopify/FulfillmentOrderLineItem/11",
                "sku": "ABC-1",
                "quantity": 2,
                "title": "Blue mug",
            },
            {
                "line_ref": "gid://shopify/FulfillmentOrderLineItem/12",
                "sku": "ABC-2",
                "quantity": 1,
                "title": "Blue mug",
            },
        ],
    }
    assert not (decision.holds or decision.releases or decision.updates or decision.unsent_edits)


def test_email_is_sent_only_when_the_wms_needs_it() -> None:
    [create] = decide(order(), shop(), [], NOW, share_email=True).creates
    assert create.ship_to.email == "sam@example.com"


def test_only_shippable_lines_with_remaining_quantity_are_sent() -> None:
    the_order = order(
        fo(1, line(11, "A"), line(12, "GIFT", ships=False), line(13, "DONE", remaining=0))
    )
    [create] = decide(the_order, shop(), [], NOW).creates
    assert [entry.sku for entry in create.lines] == ["A"]


@pytest.mark.parametrize(
    "fulfillment_order",
    [
        fo(1, location=UNMAPPED_LOCATION),
        fo(1, status="CLOSED"),
        fo(1, status="IN_PROGRESS"),
        fo(1, status="SCHEDULED"),
        fo(1, line(11, ships=False)),
        fo(1, line(11, remaining=0)),
    ],
    ids=["unmapped", "closed", "in-progress", "scheduled", "no-shipping", "nothing-left"],
)
def test_fulfillment_orders_the_wms_has_nothing_to_do_with_are_left_alone(
    fulfillment_order: FulfillmentOrder,
) -> None:
    decision = decide(order(fulfillment_order), shop(), [], NOW)
    assert decision.state == "no_wms_work"
    assert decision.creates == ()
    assert decision.reason == "no open fulfillment order at a mapped location"


def test_an_unmapped_location_is_left_alone_while_the_mapped_one_is_sent() -> None:
    the_order = order(fo(1, location=UNMAPPED_LOCATION), fo(2, location=WH2_LOCATION))
    [create] = decide(the_order, shop(), [], NOW).creates
    assert (create.wms_order_ref, create.facility) == ("#1001", "WH2")


# --- filters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "settings", "reason"),
    [
        ({"test": True}, {}, "test order"),
        ({"created_at": NOW - timedelta(days=61)}, {}, "older than 60 days"),
        ({"created_at": NOW - timedelta(days=8)}, {"max_age_days": 7}, "older than 7 days"),
        (
            {"name": "#1000"},
            {"starting_order_number": 1001},
            "order number below the starting number 1001",
        ),
        ({"source_name": "pos"}, {}, "point-of-sale order (the shop skips them)"),
        ({"financial_status": "PENDING"}, {}, "financial status pending is not downloaded"),
        ({"financial_status": "REFUNDED"}, {}, "financial status refunded is not downloaded"),
        ({"fulfillment_status": "FULFILLED"}, {}, "fulfillment status fulfilled is not downloaded"),
        (
            {"shipping_address": replace(ADDRESS, country_code="FR")},
            {"filters": {"ship_to_countries": ["CA", "US"]}},
            "ships to FR, not one of the shop's countries",
        ),
        ({}, {"filters": {"required_tags": ["wholesale"]}}, "missing required tag 'wholesale'"),
        (
            {"tags": ("No-Warehouse",)},
            {"filters": {"excluded_tags": ["no-warehouse"]}},
            "has excluded tag 'no-warehouse'",
        ),
    ],
    ids=[
        "test",
        "60-days",
        "max-age",
        "start-number",
        "pos",
        "pending",
        "refunded",
        "fulfilled",
        "country",
        "required-tag",
        "excluded-tag",
    ],
)
def test_filters_keep_orders_the_shop_does_not_want_out_of_the_wms(
    fields: dict[str, Any], settings: dict[str, Any], reason: str
) -> None:
    decision = decide(order(**fields), shop(**settings), [], NOW)
    assert (decision.state, decision.reason, decision.creates) == ("filtered", reason, ())


@pytest.mark.parametrize(
    ("fields", "settings"),
    [
        ({"financial_status": "PENDING"}, {"import_unpaid": True}),
        ({"source_name": "pos"}, {"pos_orders": "download"}),
        ({"name": "#1001"}, {"starting_order_number": 1001}),
        ({"name": "SB-2001-X"}, {"starting_order_number": 1001}),
        ({"fulfillment_status": "PARTIALLY_FULFILLED"}, {}),
        ({"financial_status": "PARTIALLY_REFUNDED"}, {}),
        (
            {"shipping_address": replace(ADDRESS, country_code="US")},
            {"filters": {"ship_to_countries": ["CA", "US"]}},
        ),
        ({"tags": ("Wholesale", "vip")}, {"filters": {"required_tags": ["wholesale"]}}),
    ],
    ids=[
        "import-unpaid",
        "pos-download",
        "start-number-itself",
        "prefixed-name",
        "partial",
        "partially-refunded",
        "country-listed",
        "required-tag-any-case",
    ],
)
def test_orders_the_filters_let_through_are_sent(
    fields: dict[str, Any], settings: dict[str, Any]
) -> None:
    decision = decide(order(**fields), shop(**settings), [], NOW)
    assert decision.state == "sent"
    assert len(decision.creates) == 1


def test_order_number_is_the_last_run_of_digits_of_the_name() -> None:
    assert order_number("#1001") == 1001
    assert order_number("SB1001-CA") == 1001
    assert order_number("no digits") is None


# --- checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"shipping_address": None}, "order has no shipping address"),
        (
            {"shipping_address": replace(ADDRESS, postal_code=None)},
            "shipping address has no postal code",
        ),
        (
            {"shipping_address": replace(ADDRESS, name=None, city=None)},
            "shipping address has no name; shipping address has no city",
        ),
        (
            {"shipping_address": replace(ADDRESS, address1=None)},
            "shipping address has no street address",
        ),
        (
            {
                "fulfillment_orders": (
                    fo(1, line(11, "A", title="Red mug"), line(12, None, title="Blue mug")),
                )
            },
            "line 2 (Blue mug) has no SKU",
        ),
        (
            {"fulfillment_orders": (fo(1, line(11, "  ")),), "shipping_address": None},
            "order has no shipping address; line 1 (Blue mug) has no SKU",
        ),
    ],
    ids=["no-address", "no-postal", "no-name-city", "no-street", "no-sku", "several"],
)
def test_checks_reject_orders_the_wms_could_not_ship_with_a_readable_reason(
    fields: dict[str, Any], reason: str
) -> None:
    decision = decide(order(**fields), shop(), [], NOW)
    assert (decision.state, decision.reason, decision.creates) == ("rejected_by_checks", reason, ())


def test_a_country_without_postal_codes_needs_none() -> None:
    hong_kong = replace(ADDRESS, country_code="HK", postal_code=None, province_code=None)
    assert decide(order(shipping_address=hong_kong), shop(), [], NOW).state == "sent"


def test_a_rejected_order_is_sent_once_the_merchant_fixes_it() -> None:
    broken = order(shipping_address=replace(ADDRESS, postal_code=None))
    assert decide(broken, shop(), [], NOW).state == "rejected_by_checks"
    fixed = replace(broken, shipping_address=ADDRESS)
    assert [c.wms_order_ref for c in decide(fixed, shop(), [], NOW).creates] == ["#1001"]


def test_one_bad_fulfillment_order_holds_back_the_whole_order() -> None:
    the_order = order(fo(1, line(11, "A")), fo(2, line(21, None), location=WH2_LOCATION))
    decision = decide(the_order, shop(), [], NOW)
    assert decision.state == "rejected_by_checks"
    assert decision.creates == ()


# --- references -----------------------------------------------------------------------------


def test_several_fulfillment_orders_are_numbered_in_fulfillment_order_id_order() -> None:
    the_order = order(fo(10, location=WH2_LOCATION), fo(9))  # 9 < 10 numerically, not as text
    decision = decide(the_order, shop(), [], NOW)
    refs = {c.fulfillment_order_id.rsplit("/", 1)[1]: c.wms_order_ref for c in decision.creates}
    assert refs == {"9": "#1001-1", "10": "#1001-2"}
    assert {c.facility for c in decision.creates} == {"WH1", "WH2"}


def test_a_fulfillment_order_appearing_later_takes_the_next_free_suffix() -> None:
    first = decide(order(fo(1)), shop(), [], NOW)
    sent = sent_from(first)
    later = decide(order(fo(1), fo(2, location=WH2_LOCATION)), shop(), sent, NOW)
    assert [c.wms_order_ref for c in later.creates] == ["#1001-2"]
    sent += sent_from(later)
    third = decide(order(fo(1), fo(2, location=WH2_LOCATION), fo(3)), shop(), sent, NOW)
    assert [c.wms_order_ref for c in third.creates] == ["#1001-3"]


def test_assign_refs_continues_after_the_highest_suffix() -> None:
    create = decide(order(fo(1), fo(2)), shop(), [], NOW)
    sent = sent_from(create)
    assert assign_refs("#1001", ["gid://shopify/FulfillmentOrder/7"], sent) == {
        "gid://shopify/FulfillmentOrder/7": "#1001-3"
    }


def test_a_fulfillment_order_already_sent_is_never_created_again() -> None:
    first = decide(order(), shop(), [], NOW)
    again = decide(order(), shop(), sent_from(first), NOW)
    assert again.creates == ()
    assert again.state == "sent"
    assert not (again.holds or again.releases or again.updates or again.unsent_edits)


def test_filters_do_not_unsend_what_was_sent() -> None:
    first = decide(order(), shop(), [], NOW)
    refunded = order(financial_status="REFUNDED")
    later = decide(refunded, shop(), sent_from(first), NOW)
    assert later.state == "sent"
    assert later.creates == ()


# --- risk -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "risk",
    [{"risk_recommendation": "CANCEL"}, {"risk_levels": ("LOW", "HIGH")}],
    ids=["recommendation", "assessment"],
)
def test_high_risk_orders_are_held_back_and_sent_once_the_risk_is_cleared(
    risk: dict[str, Any],
) -> None:
    risky = order(**risk)
    held = decide(risky, shop(), [], NOW)
    assert (held.state, held.reason, held.creates) == ("held_risk", "high fraud risk", ())
    cleared = order(risk_recommendation="ACCEPT", risk_levels=("LOW",))
    assert [c.wms_order_ref for c in decide(cleared, shop(), [], NOW).creates] == ["#1001"]


def test_high_risk_is_sent_when_the_shop_does_not_hold_it() -> None:
    risky = order(risk_recommendation="CANCEL", risk_levels=("HIGH",))
    assert decide(risky, shop(hold_high_risk=False), [], NOW).state == "sent"


def test_risk_raised_after_sending_holds_the_wms_order_and_clearing_it_releases() -> None:
    sent = sent_from(decide(order(), shop(), [], NOW))
    risky = decide(order(risk_recommendation="CANCEL"), shop(), sent, NOW)
    assert risky.holds == (WmsOrderHold(wms_order_ref="#1001", reason="high fraud risk"),)
    held = [replace(w, on_hold=True) for w in sent]
    cleared = decide(order(), shop(), held, NOW)
    assert cleared.releases == (WmsOrderRelease(wms_order_ref="#1001"),)


# --- after sending: hold, release, update, edits --------------------------------------------


def test_a_fulfillment_order_held_in_shopify_is_sent_on_hold() -> None:
    held = fo(1, status="ON_HOLD", holds=(FulfillmentHold("AWAITING_PAYMENT", "bank transfer"),))
    [create] = decide(order(held), shop(), [], NOW).creates
    assert (create.on_hold, create.hold_reason) == (True, "awaiting_payment: bank transfer")


def test_holding_and_releasing_in_shopify_holds_and_releases_the_wms_order() -> None:
    sent = sent_from(decide(order(fo(1)), shop(), [], NOW))
    hold = FulfillmentHold("INVENTORY_OUT_OF_STOCK", None)
    on_hold = decide(order(fo(1, status="ON_HOLD", holds=(hold,))), shop(), sent, NOW)
    assert on_hold.holds == (WmsOrderHold(wms_order_ref="#1001", reason="inventory_out_of_stock"),)
    assert on_hold.creates == on_hold.releases == ()
    held = [replace(w, on_hold=True) for w in sent]
    assert decide(order(fo(1, status="ON_HOLD", holds=(hold,))), shop(), held, NOW).holds == ()
    released = decide(order(fo(1)), shop(), held, NOW)
    assert released.releases == (WmsOrderRelease(wms_order_ref="#1001"),)


def test_a_new_ship_by_date_updates_the_wms_order() -> None:
    sent = sent_from(decide(order(fo(1)), shop(), [], NOW))
    ship_by = NOW + timedelta(days=2)
    moved = decide(order(fo(1, fulfill_by=ship_by)), shop(), sent, NOW)
    assert moved.updates == (WmsOrderUpdate(wms_order_ref="#1001", ship_by=ship_by),)
    assert moved.unsent_edits == ()


def test_nothing_is_adjusted_once_the_warehouse_is_working_on_it() -> None:
    sent = sent_from(decide(order(fo(1)), shop(), [], NOW))
    in_progress = fo(1, status="IN_PROGRESS", fulfill_by=NOW)
    decision = decide(order(in_progress, note="changed"), shop(), sent, NOW)
    assert not (decision.holds or decision.releases or decision.updates or decision.unsent_edits)


def test_other_edits_after_sending_are_shown_per_field_and_not_sent() -> None:
    sent = sent_from(decide(order(), shop(), [], NOW))
    edited = order(note="ring twice", shipping_address=replace(ADDRESS, address2=None))
    decision = decide(edited, shop(), sent, NOW)
    assert decision.creates == decision.updates == decision.holds == decision.reduces == ()
    assert [(e.wms_order_ref, e.field) for e in decision.unsent_edits] == [
        ("#1001", "shipping address"),
        ("#1001", "note"),
    ]
    # The same change read again is the same edit; another change of the field is a new one.
    again = decide(edited, shop(), sent, NOW)
    assert again.unsent_edits == decision.unsent_edits
    moved_again = decide(
        replace(edited, shipping_address=replace(ADDRESS, city="Ottawa")), shop(), sent, NOW
    )
    assert moved_again.unsent_edits[0].fingerprint != decision.unsent_edits[0].fingerprint


def test_lines_shrinking_as_the_warehouse_ships_change_nothing() -> None:
    sent = sent_from(decide(order(fo(1, line(11, "A", remaining=3))), shop(), [], NOW))
    shipped_some = decide(order(fo(1, line(11, "A", remaining=1, total=3))), shop(), sent, NOW)
    assert shipped_some.unsent_edits == shipped_some.reduces == shipped_some.creates == ()
    assert shipped_some.state == "sent"


# --- cancellation ---------------------------------------------------------------------------


def test_a_cancelled_order_is_never_sent() -> None:
    cancelled = order(cancelled_at=NOW, cancel_reason="CUSTOMER")
    decision = decide(cancelled, shop(), [], NOW)
    assert decision == Decision("cancelled", "cancelled in Shopify (CUSTOMER)")


def test_a_cancelled_order_already_sent_is_only_recorded() -> None:
    sent = sent_from(decide(order(), shop(), [], NOW))
    decision = decide(
        order(cancelled_at=NOW, fulfillment_orders=(fo(1, status="CANCELLED"),)), shop(), sent, NOW
    )
    assert decision.state == "cancelled"
    assert not (decision.creates or decision.holds or decision.releases or decision.updates)
