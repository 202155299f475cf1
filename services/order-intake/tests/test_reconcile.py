"""Unit tests of keeping the warehouse's work equal to Shopify's after sending (reconcile.py,
through domain.decide): split, move, merge, partial hold, edits, answers, resends.

`World` plays the store: it saves each decision as store.save_decisions would (new WMS orders,
the one pending change per WMS order) and applies the WMS's answers as store.answer_change
does, so each test reads as a story.
"""

from dataclasses import dataclass, field, replace
from typing import Any

from contracts.wms import ReduceLine, WmsOrderCancel, WmsOrderHold, WmsOrderReduce
from order_intake.domain import (
    Decision,
    FulfillmentHold,
    FulfillmentOrder,
    Order,
    SentFulfillmentOrder,
    decide,
)
from order_intake.reconcile import PendingChange, RefusedChange, holding

from .test_domain import NOW, UNMAPPED_LOCATION, WH2_LOCATION, fo, line, order, shop

NAME = "#1009"


def fo_gid(n: int) -> str:
    return f"gid://shopify/FulfillmentOrder/{n}"


def line_gid(n: int) -> str:
    return f"gid://shopify/FulfillmentOrderLineItem/{n}"


@dataclass
class World:
    sent: list[SentFulfillmentOrder] = field(default_factory=list)

    def decide(self, the_order: Order) -> Decision:
        decision = decide(the_order, shop(), self.sent, NOW)
        self.save(decision)
        return decision

    def save(self, decision: Decision) -> None:
        by_ref = {w.wms_order_ref: w for w in self.sent}
        for c in decision.creates:
            by_ref[c.wms_order_ref] = SentFulfillmentOrder(
                wms_order_ref=c.wms_order_ref,
                fulfillment_order_id=c.fulfillment_order_id,
                on_hold=c.on_hold,
                ship_by=c.ship_by,
                sent=c,
                line_items={
                    ln.line_ref: decision.line_items[ln.line_ref]
                    for ln in c.lines
                    if ln.line_ref in decision.line_items
                },
            )
        for h in decision.holds:
            by_ref[h.wms_order_ref] = replace(by_ref[h.wms_order_ref], on_hold=True)
        for rel in decision.releases:
            by_ref[rel.wms_order_ref] = replace(by_ref[rel.wms_order_ref], on_hold=False)
        for r in decision.reduces:
            pending = PendingChange("reduce", tuple(r.lines), r.reason, NOW)
            by_ref[r.wms_order_ref] = replace(by_ref[r.wms_order_ref], pending=pending)
        for cancel in decision.cancels:
            w = by_ref[cancel.wms_order_ref]
            held = tuple(
                ReduceLine(line_ref=ref, sku="x", quantity=q) for ref, q in holding(w).items()
            )
            pending = PendingChange("cancel", held, cancel.reason, NOW)
            by_ref[cancel.wms_order_ref] = replace(w, pending=pending)
        self.sent = list(by_ref.values())

    def answer(self, ref: str, outcome: str = "done", reason: str | None = None) -> None:
        w = self.get(ref)
        assert w.pending is not None, f"{ref} has nothing pending"
        if outcome == "refused":
            refused = RefusedChange(w.pending.kind, w.pending.change, reason, NOW)
            new = replace(w, pending=None, refused=refused)
        elif w.pending.kind == "cancel":
            new = replace(w, pending=None, cancelled=True, assigned=dict.fromkeys(holding(w), 0))
        else:
            held = holding(w)
            for ln in w.pending.lines:
                held[ln.line_ref] -= ln.quantity
            new = replace(w, pending=None, assigned=held)
        self.sent = [new if x.wms_order_ref == ref else x for x in self.sent]

    def get(self, ref: str) -> SentFulfillmentOrder:
        return next(w for w in self.sent if w.wms_order_ref == ref)

    def held(self) -> dict[str, dict[str, int]]:
        """What the warehouse holds, per ref (only refs holding something)."""
        return {
            w.wms_order_ref: {k: v for k, v in holding(w).items() if v}
            for w in self.sent
            if any(holding(w).values())
        }


def the_order(*fos: FulfillmentOrder, **fields: Any) -> Order:
    return order(*fos, name=NAME, **fields)


def creates(decision: Decision) -> list[tuple[str, str, list[tuple[str, int]]]]:
    return [
        (
            c.wms_order_ref,
            c.fulfillment_order_id.rsplit("/", 1)[1],
            [(ln.line_ref.rsplit("/", 1)[1], ln.quantity) for ln in c.lines],
        )
        for c in decision.creates
    ]


def reduce_lines(decision: Decision) -> dict[str, list[tuple[str, int]]]:
    return {
        r.wms_order_ref: [(ln.line_ref.rsplit("/", 1)[1], ln.quantity) for ln in r.lines]
        for r in decision.reduces
    }


# --- the bug this fixes: a partial hold splits the FO ----------------------------------------


def test_a_partial_hold_reduces_the_held_wms_order_and_sends_the_split_off_units_after() -> None:
    world = World()
    [first] = world.decide(the_order(fo(1, line(11, "A", remaining=2)))).creates
    assert first.wms_order_ref == NAME

    # One unit held: the held part keeps the FO id (1 unit), the rest is a new FO 2.
    hold = FulfillmentHold("OTHER", "check")
    split = the_order(
        fo(1, line(11, "A", remaining=1), status="ON_HOLD", holds=(hold,)),
        fo(2, line(21, "A", remaining=1, item=11)),
    )
    decision = world.decide(split)
    assert decision.holds == (WmsOrderHold(wms_order_ref=NAME, reason="other: check"),)
    assert reduce_lines(decision) == {NAME: [("11", 1)]}
    assert decision.reduces[0].reason.startswith("units left fulfillment order 1")
    assert decision.creates == ()  # not before the warehouse confirms
    assert decision.state == "waiting_for_wms"
    assert decision.reason == f"waiting for the warehouse to confirm changes to {NAME}"

    # Read again before the answer: nothing more is asked or sent.
    again = world.decide(split)
    assert (again.reduces, again.creates, again.holds) == ((), (), ())

    world.answer(NAME)
    after = world.decide(split)
    assert creates(after) == [(f"{NAME}-2", "2", [("21", 1)])]
    assert after.reduces == after.cancels == ()
    assert world.held() == {NAME: {line_gid(11): 1}, f"{NAME}-2": {line_gid(21): 1}}

    # Released later: the WMS order is released; nothing is sent twice.
    released = world.decide(
        the_order(fo(1, line(11, "A", remaining=1)), fo(2, line(21, "A", remaining=1, item=11)))
    )
    assert [r.wms_order_ref for r in released.releases] == [NAME]
    assert released.creates == released.reduces == ()


def test_a_refused_reduce_sends_nothing_new_and_says_what_the_warehouse_said() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=2))))
    split = the_order(fo(1, line(11, "A", remaining=1)), fo(2, line(21, "A", remaining=1, item=11)))
    world.decide(split)
    world.answer(NAME, "refused", "picking started")

    decision = world.decide(split)
    assert decision.creates == decision.reduces == ()
    assert decision.state == "waiting_for_wms"
    assert decision.reason == (
        f"the warehouse refused to reduce {NAME}: picking started; "
        "nothing more is sent until an operator re-syncs the order"
    )
    assert world.held() == {NAME: {line_gid(11): 2}}


# --- moves -----------------------------------------------------------------------------------


def test_a_whole_move_to_another_facility_cancels_then_sends_there() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=2))))
    moved = the_order(fo(1, line(11, "A", remaining=2), location=WH2_LOCATION))

    decision = world.decide(moved)
    assert decision.cancels == (
        WmsOrderCancel(
            wms_order_ref=NAME,
            reason="fulfillment order 1 moved to facility WH2",
            requested_at=NOW,
        ),
    )
    assert decision.creates == () and decision.holds == ()
    world.answer(NAME)

    after = world.decide(moved)
    assert creates(after) == [(f"{NAME}-2", "1", [("11", 2)])]
    assert after.creates[0].facility == "WH2"
    assert after.cancels == ()
    assert world.held() == {f"{NAME}-2": {line_gid(11): 2}}


def test_a_move_to_an_unmapped_location_cancels_and_sends_nothing() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=2))))
    moved = the_order(fo(1, line(11, "A", remaining=2), location=UNMAPPED_LOCATION))
    decision = world.decide(moved)
    assert [c.reason for c in decision.cancels] == [
        "fulfillment order 1 moved to a location not mapped to a facility"
    ]
    world.answer(NAME)
    after = world.decide(moved)
    assert after.creates == after.cancels == ()
    assert world.held() == {}


def test_a_partial_move_reduces_and_the_moved_units_follow_the_answer() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=2), line(12, "B", remaining=1))))
    # B moves to WH2 as a new FO 2; FO 1 keeps A.
    moved = the_order(
        fo(1, line(11, "A", remaining=2)),
        fo(2, line(22, "B", remaining=1, item=12), location=WH2_LOCATION),
    )
    decision = world.decide(moved)
    assert reduce_lines(decision) == {NAME: [("12", 1)]}
    assert decision.creates == ()
    world.answer(NAME)
    after = world.decide(moved)
    assert creates(after) == [(f"{NAME}-2", "2", [("22", 1)])]


def test_a_move_of_a_partly_shipped_fo_keeps_the_shipped_units_and_cancels_nothing_shipped() -> (
    None
):
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=3))))
    # One unit shipped from WH1; Shopify then closes FO 1 and re-creates the rest at WH2.
    moved = the_order(
        fo(1, line(11, "A", remaining=0, total=1), status="CLOSED"),
        fo(2, line(21, "A", remaining=2, item=11), location=WH2_LOCATION),
    )
    decision = world.decide(moved)
    assert reduce_lines(decision) == {NAME: [("11", 2)]}
    assert decision.reduces[0].reason == "fulfillment order 1 is closed"
    world.answer(NAME)
    after = world.decide(moved)
    assert creates(after) == [(f"{NAME}-2", "2", [("21", 2)])]
    assert world.held() == {NAME: {line_gid(11): 1}, f"{NAME}-2": {line_gid(21): 2}}


def test_a_cancelled_answer_to_a_moved_fo_that_vanished_sends_the_new_fo() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=1))))
    gone = the_order(fo(5, line(51, "A", remaining=1, item=11), location=WH2_LOCATION))
    decision = world.decide(gone)
    assert [c.reason for c in decision.cancels] == [
        "its fulfillment order is no longer in the Shopify order"
    ]
    world.answer(NAME)
    assert creates(world.decide(gone)) == [(f"{NAME}-2", "5", [("51", 1)])]


# --- merges and edits ------------------------------------------------------------------------


def test_a_merge_cancels_the_merged_away_wms_order_before_sending_the_extra_units() -> None:
    world = World()
    two = the_order(fo(1, line(11, "A", remaining=1)), fo(2, line(21, "B", remaining=1)))
    assert [c.wms_order_ref for c in world.decide(two).creates] == [f"{NAME}-1", f"{NAME}-2"]
    # FO 2 merged into FO 1: FO 1 now carries B too; FO 2 is closed without lines.
    merged = the_order(
        fo(1, line(11, "A", remaining=1), line(13, "B", remaining=1, item=21)),
        fo(2, line(21, "B", remaining=0, total=0), status="CLOSED"),
    )
    decision = world.decide(merged)
    assert [c.wms_order_ref for c in decision.cancels] == [f"{NAME}-2"]
    assert decision.creates == ()
    world.answer(f"{NAME}-2")
    after = world.decide(merged)
    assert creates(after) == [(f"{NAME}-3", "1", [("13", 1)])]
    assert world.held() == {f"{NAME}-1": {line_gid(11): 1}, f"{NAME}-3": {line_gid(13): 1}}
    # Nothing more on the next read.
    still = world.decide(merged)
    assert still.creates == still.cancels == still.reduces == ()


def test_an_edit_removing_units_reduces_and_adding_units_sends_an_extra_wms_order() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=3), line(12, "B", remaining=1))))
    fewer = the_order(fo(1, line(11, "A", remaining=1), line(12, "B", remaining=1)))
    decision = world.decide(fewer)
    assert reduce_lines(decision) == {NAME: [("11", 2)]}
    world.answer(NAME)
    assert world.decide(fewer).reduces == ()

    more = the_order(
        fo(1, line(11, "A", remaining=2), line(12, "B", remaining=1), line(14, "C", remaining=1))
    )
    extra = world.decide(more)
    assert creates(extra) == [(f"{NAME}-2", "1", [("11", 1), ("14", 1)])]
    assert world.held() == {
        NAME: {line_gid(11): 1, line_gid(12): 1},
        f"{NAME}-2": {line_gid(11): 1, line_gid(14): 1},
    }
    # Cutting back again takes units from the newest WMS order first.
    back = world.decide(the_order(fo(1, line(11, "A", remaining=1), line(12, "B", remaining=1))))
    assert back.cancels == (
        WmsOrderCancel(
            wms_order_ref=f"{NAME}-2",
            reason="units left fulfillment order 1 (split, merged, edited or removed)",
            requested_at=NOW,
        ),
    )
    assert back.reduces == ()


def test_a_removed_line_is_reduced_and_our_own_shipments_are_not_reductions() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=2), line(12, "B", remaining=1))))
    # A shipped one A (remaining 1 of total 2) while B was removed from the order.
    decision = world.decide(the_order(fo(1, line(11, "A", remaining=1, total=2))))
    assert decision.reduces == (
        WmsOrderReduce(
            wms_order_ref=NAME,
            lines=[ReduceLine(line_ref=line_gid(12), sku="B", quantity=1)],
            reason="units left fulfillment order 1 (split, merged, edited or removed)",
            requested_at=NOW,
        ),
    )


def test_fo_line_ids_changing_do_not_look_like_new_units() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=2))))
    recut = world.decide(the_order(fo(1, line(99, "A", remaining=2, item=11))))
    assert recut.creates == recut.reduces == recut.cancels == ()


def test_a_closed_fo_after_shipping_everything_changes_nothing() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=2))))
    done = world.decide(the_order(fo(1, line(11, "A", remaining=0, total=2), status="CLOSED")))
    assert done.creates == done.reduces == done.cancels == ()


# --- answers, rejections, resends --------------------------------------------------------


def test_a_wms_rejection_is_not_resent_by_itself_but_is_after_an_operator_resync() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=2))))
    world.sent = [replace(world.get(NAME), wms_state="rejected")]
    fixed = the_order(fo(1, line(11, "A-FIXED", remaining=2)))
    assert world.decide(fixed).creates == ()

    world.sent = [replace(world.get(NAME), resend_requested=True)]
    decision = world.decide(fixed)
    assert creates(decision) == [(NAME, "1", [("11", 2)])]
    assert decision.resent == frozenset({NAME})
    assert [ln.sku for ln in decision.creates[0].lines] == ["A-FIXED"]


def test_no_reduce_or_cancel_is_sent_for_a_rejected_wms_order() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=2))))
    world.sent = [replace(world.get(NAME), wms_state="rejected")]
    decision = world.decide(the_order(fo(1, line(11, "A", remaining=2), location=WH2_LOCATION)))
    assert decision.cancels == decision.reduces == ()
    assert creates(decision) == [(f"{NAME}-2", "1", [("11", 2)])]


def test_a_cancelled_shopify_order_is_left_to_the_cancellation_service() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=2))))
    decision = world.decide(the_order(fo(1, status="CANCELLED"), cancelled_at=NOW))
    assert decision.state == "cancelled"
    assert decision.cancels == decision.reduces == ()


def test_filters_do_not_hold_back_units_of_an_order_already_sent() -> None:
    world = World()
    world.decide(the_order(fo(1, line(11, "A", remaining=2))))
    hold = FulfillmentHold("OTHER", None)
    split = the_order(
        fo(1, line(11, "A", remaining=1), status="ON_HOLD", holds=(hold,)),
        fo(2, line(21, "A", remaining=1, item=11)),
        fulfillment_status="ON_HOLD",  # not among the statuses the shop downloads
    )
    world.decide(split)
    world.answer(NAME)
    assert [c.wms_order_ref for c in world.decide(split).creates] == [f"{NAME}-2"]
