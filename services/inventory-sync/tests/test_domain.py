"""inventory-sync's pure decisions."""

import dataclasses
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from contracts import SnapshotItem
from inventory_sync import domain
from inventory_sync.domain import Change, LevelFacts, PartRow, Queued, SetAside, Unchanged
from inventory_sync.settings import InventorySettings
from shopify_admin import UserError

FACTS = LevelFacts(
    sku="A",
    wms_available=10,
    item_ids=(7,),
    tracked=True,
    stocked=True,
    shopify_available=4,
    in_flight=0,
)


def facts(**overrides: Any) -> LevelFacts:
    return dataclasses.replace(FACTS, **overrides)


@pytest.mark.parametrize(
    ("wms", "in_flight", "expected"), [(10, 0, 10), (10, 3, 7), (2, 5, 0), (0, 0, 0)]
)
def test_the_quantity_set_is_the_warehouse_available_minus_units_in_flight_never_negative(
    wms: int, in_flight: int, expected: int
) -> None:
    assert domain.quantity_to_set(wms, in_flight) == expected


def test_a_change_is_pushed_only_when_shopify_has_something_else() -> None:
    assert domain.decide(facts()) == Change("A", 7, 10)
    assert domain.decide(facts(shopify_available=10)) == Unchanged("A", 7)
    assert domain.decide(facts(in_flight=6)) == Unchanged("A", 7)  # 10 - 6 = 4, what it has


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"item_ids": ()}, "unknown_sku"),
        ({"item_ids": (7, 9)}, "duplicate_sku"),
        ({"wms_available": -1}, "negative_quantity"),
        ({"tracked": False}, "not_tracked"),
        ({"stocked": False, "shopify_available": None}, "not_stocked_at_location"),
        ({"item_ids": (), "wms_available": -5}, "unknown_sku"),  # mapping first
    ],
)
def test_rows_that_cannot_be_pushed_are_set_aside_with_their_reason(
    overrides: dict[str, object], reason: str
) -> None:
    decision = domain.decide(facts(**overrides))
    assert isinstance(decision, SetAside)
    assert decision.reason == reason
    assert reason in domain.REASON_TEXT


def test_a_duplicate_names_both_items() -> None:
    decision = domain.decide(facts(item_ids=(7, 9)))
    assert isinstance(decision, SetAside)
    assert decision.detail == "gid://shopify/InventoryItem/7, gid://shopify/InventoryItem/9"


def test_a_plan_sorts_decisions_and_counts_reasons() -> None:
    plan = domain.plan(
        [facts(sku="A"), facts(sku="B", shopify_available=10), facts(sku="C", item_ids=())]
    )
    assert [c.sku for c in plan.changes] == ["A"]
    assert [u.sku for u in plan.unchanged] == ["B"]
    assert plan.set_aside_counts() == {"unknown_sku": 1}
    assert plan.considered == 3
    assert domain.add_counts({"a": 1}, {"a": 2, "b": 1}) == {"a": 3, "b": 1}


def test_a_batch_sends_only_what_still_differs() -> None:
    cut = domain.cut_batch([Queued(1, "A", 5, 3), Queued(2, "B", 5, 5), Queued(3, "C", 5, None)])
    assert [q.sku for q in cut.to_send] == ["A"]
    assert [q.sku for q in cut.already_right] == ["B"]
    assert [q.sku for q in cut.not_stocked] == ["C"]


def test_user_errors_are_sorted_by_the_quantity_they_name() -> None:
    def at(position: int, field: str) -> list[str]:
        return ["input", "quantities", str(position), field]

    errors = [
        UserError(at(1, "changeFromQuantity"), "stale", "CHANGE_FROM_QUANTITY_STALE"),
        UserError(at(3, "locationId"), "not stocked", "ITEM_NOT_STOCKED_AT_LOCATION"),
        UserError(at(4, "quantity"), "too high", "INVALID_QUANTITY_TOO_HIGH"),
        UserError(["input", "reason"], "bad reason", "INVALID_REASON"),
        UserError(at(99, "quantity"), "out of range", "X"),
    ]
    answer = domain.read_user_errors(errors, batch_size=5)
    assert answer.stale == [1]
    assert [(r.position, r.reason) for r in answer.refused] == [
        (3, "not_stocked_at_location"),
        (4, "rejected_by_shopify"),
    ]
    assert answer.whole_batch == ["INVALID_REASON: bad reason", "X: out of range"]


def test_retry_delays_grow_and_are_capped() -> None:
    # after_failure(n): n is the failures before this one, so the first retry waits the base.
    push = InventorySettings(push_retry_base_s=1.0, push_retry_max_s=5.0).push_backoff
    assert [push.after_failure(n) for n in (0, 1, 2, 3)] == [1.0, 2.0, 4.0, 5.0]
    assert push.after_failure(1_000) == 5.0  # a batch is never given up on


def test_a_failing_job_runs_job_max_attempts_times_then_fails() -> None:
    jobs = InventorySettings(job_retry_base_s=5.0, job_max_attempts=4).job_backoff
    assert [jobs.after_failure(n) for n in range(4)] == [5.0, 10.0, 20.0, None]


def test_placed_units_count_shippable_lines_with_a_sku() -> None:
    payload = {
        "line_items": [
            {"sku": "A", "quantity": 2, "fulfillable_quantity": 2, "requires_shipping": True},
            {"sku": "A", "quantity": 1},
            {"sku": "B", "quantity": 3, "fulfillable_quantity": 1},
            {"sku": "", "quantity": 5},
            {"sku": "C", "quantity": 1, "requires_shipping": False},
            {"sku": "D", "quantity": 1, "gift_card": True},
            {"sku": "E", "quantity": True},
            "nonsense",
        ]
    }
    assert domain.placed_units(payload) == {"A": 3, "B": 1}
    assert domain.placed_units({}) == {}


TORONTO = ZoneInfo("America/Toronto")


def test_the_daily_run_is_due_once_per_local_day_after_its_time() -> None:
    at_two = time(2, 0)
    before = datetime(2026, 11, 22, 6, 30, tzinfo=UTC)  # 01:30 in Toronto
    after = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)  # 02:30 in Toronto
    yesterday, today = date(2026, 11, 21), date(2026, 11, 22)
    assert domain.daily_run_due(before, TORONTO, at_two, yesterday) is None
    assert domain.daily_run_due(after, TORONTO, at_two, yesterday) == today
    assert domain.daily_run_due(after, TORONTO, at_two, today) is None
    # Down for three days: one catch-up run, not three.
    assert domain.daily_run_due(after, TORONTO, at_two, date(2026, 11, 18)) == today


def test_a_new_feed_runs_first_at_its_next_daily_time() -> None:
    at_two = time(2, 0)
    before = datetime(2026, 11, 22, 6, 30, tzinfo=UTC)
    after = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)
    assert domain.daily_baseline(before, TORONTO, at_two) == date(2026, 11, 21)
    assert domain.daily_run_due(before, TORONTO, at_two, date(2026, 11, 21)) is None
    assert domain.daily_baseline(after, TORONTO, at_two) == date(2026, 11, 22)


def test_gids() -> None:
    assert domain.gid_number("gid://shopify/InventoryItem/12", "InventoryItem") == 12
    assert (
        domain.gid_number("gid://shopify/InventoryLevel/5?inventory_item_id=1", "InventoryLevel")
        == 5
    )
    assert domain.gid_number("gid://shopify/Location/12", "InventoryItem") is None
    assert domain.gid_number("gid://shopify/InventoryItem/x", "InventoryItem") is None
    assert domain.item_gid(3) == "gid://shopify/InventoryItem/3"
    assert domain.location_gid(4) == "gid://shopify/Location/4"
    quantities = [{"name": "on_hand", "quantity": 9}, {"name": "available", "quantity": 4}]
    assert domain.available_of({"quantities": quantities}) == 4
    assert domain.available_of({"quantities": []}) is None


def test_a_part_splits_into_the_first_row_of_each_sku_and_its_repeats() -> None:
    items = [
        SnapshotItem(sku="A", available=1, on_hand=1),
        SnapshotItem(sku="B", available=2, on_hand=2),
        SnapshotItem(sku="A", available=3, on_hand=4),
    ]
    firsts, repeats = domain.first_rows(2, items)
    assert firsts == [PartRow("A", 2, 0, 1, 1), PartRow("B", 2, 1, 2, 2)]
    assert repeats == [PartRow("A", 2, 2, 3, 4)]


def test_a_sku_twice_in_one_part_is_set_aside_quoting_both_rows() -> None:
    rows = [PartRow("A", 2, 7, 3, 4), PartRow("A", 2, 1, 5, 5)]
    assert domain.duplicate_in_snapshot("WH1-S", rows) == SetAside(
        "A",
        "duplicate_in_snapshot",
        "SKU appears twice in part 2 of snapshot WH1-S: "
        "available 5, on hand 5; available 3, on hand 4",
    )
    assert "duplicate_in_snapshot" in domain.REASON_TEXT


def test_a_sku_in_several_parts_names_them_and_quotes_a_few_rows() -> None:
    across = domain.duplicate_in_snapshot("S", [PartRow("A", 3, 0, 1, 1), PartRow("A", 1, 4, 2, 2)])
    assert across.detail == (
        "SKU appears twice, in parts 1 and 3 of snapshot S: "
        "available 2, on hand 2 (part 1); available 1, on hand 1 (part 3)"
    )
    many = [PartRow("A", 1 + n % 3, n, n, n) for n in range(7)]
    detail = domain.duplicate_in_snapshot("S", many).detail
    assert detail is not None
    assert detail.startswith("SKU appears 7 times, in parts 1, 2 and 3 of snapshot S: ")
    assert detail.endswith("(+2 more)") and detail.count("available") == 5
