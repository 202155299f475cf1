"""inventory-sync's decisions, free of I/O: what to set in Shopify, what to set aside, how a
batch is cut, what Shopify's answer means, and when the daily run is due.

The rule for the quantity to set (module docstring of `app.py` and the README explain why):

    Shopify available = max(0, WMS available - units in flight for that SKU at that facility)

Units are in flight while the warehouse has not counted them in its `available`:
- lines of a WMS order we sent (`orders.wms_order.sent`) until the WMS accepts it, measured
  against the WMS's own clock: an order accepted after the snapshot's (or adjustment's) `as_of`
  is still in flight for that figure; a rejected or cancelled order is in flight for none;
- lines of an order placed in Shopify (`orders/create` webhook) that order-intake has not sent
  yet, for at most the placement hold: the facility is not known yet, so the hold counts them at
  every facility of the shop (it may under-offer briefly, it never oversells).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

SetAsideReason = Literal[
    "unknown_sku",
    "duplicate_sku",
    "negative_quantity",
    "not_tracked",
    "not_stocked_at_location",
    "rejected_by_shopify",
    "duplicate_in_snapshot",
]

REASON_TEXT: Mapping[str, str] = {
    "unknown_sku": "no Shopify inventory item has this SKU",
    "duplicate_sku": "the SKU is on more than one Shopify inventory item",
    "negative_quantity": "the warehouse reported a negative available quantity",
    "not_tracked": "Shopify does not track inventory for this item",
    "not_stocked_at_location": "the item is not stocked at the facility's Shopify location",
    "rejected_by_shopify": "Shopify refused the quantity",
    "duplicate_in_snapshot": "the warehouse's snapshot lists the SKU more than once",
}


def quantity_to_set(wms_available: int, in_flight: int) -> int:
    """What Shopify should offer: the warehouse's available minus what it has not counted yet."""
    return max(0, wms_available - in_flight)


# --- one SKU: push, leave, or set aside ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelFacts:
    """Everything known about one SKU at one facility when deciding what to push."""

    sku: str
    wms_available: int
    item_ids: Sequence[int]
    """The Shopify inventory items carrying the SKU (one, unless Shopify has duplicates)."""
    tracked: bool | None
    stocked: bool
    """The item has an inventory level at the facility's location."""
    shopify_available: int | None
    """What Shopify has (or will have once the push in flight lands), as far as we know."""
    in_flight: int


@dataclass(frozen=True, slots=True)
class SetAside:
    sku: str
    reason: SetAsideReason
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Unchanged:
    sku: str
    item_id: int


@dataclass(frozen=True, slots=True)
class Change:
    sku: str
    item_id: int
    target: int


Decision = SetAside | Unchanged | Change


def decide(facts: LevelFacts) -> Decision:
    """The checks before upload, in the order an operator would fix them, then the diff."""
    if not facts.item_ids:
        return SetAside(facts.sku, "unknown_sku")
    if len(facts.item_ids) > 1:
        items = ", ".join(item_gid(i) for i in facts.item_ids)
        return SetAside(facts.sku, "duplicate_sku", items)
    if facts.wms_available < 0:
        return SetAside(facts.sku, "negative_quantity", f"available {facts.wms_available}")
    if facts.tracked is False:
        return SetAside(facts.sku, "not_tracked")
    (item_id,) = facts.item_ids
    if not facts.stocked or facts.shopify_available is None:
        return SetAside(facts.sku, "not_stocked_at_location")
    target = quantity_to_set(facts.wms_available, facts.in_flight)
    if target == facts.shopify_available:
        return Unchanged(facts.sku, item_id)
    return Change(facts.sku, item_id, target)


@dataclass
class Plan:
    """The decisions for a set of SKUs, sorted by what has to be written."""

    changes: list[Change]
    unchanged: list[Unchanged]
    set_aside: list[SetAside]

    @property
    def considered(self) -> int:
        return len(self.changes) + len(self.unchanged) + len(self.set_aside)

    def set_aside_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.set_aside:
            counts[row.reason] = counts.get(row.reason, 0) + 1
        return counts


def plan(facts: Iterable[LevelFacts]) -> Plan:
    result = Plan([], [], [])
    for fact in facts:
        decision = decide(fact)
        if isinstance(decision, Change):
            result.changes.append(decision)
        elif isinstance(decision, Unchanged):
            result.unchanged.append(decision)
        else:
            result.set_aside.append(decision)
    return result


def add_counts(total: Mapping[str, int], more: Mapping[str, int]) -> dict[str, int]:
    merged = dict(total)
    for key, value in more.items():
        merged[key] = merged.get(key, 0) + value
    return merged


# --- a snapshot listing a SKU more than once ----------------------------------------------------
#
# Two rows for one SKU leave no way to tell which is true, so neither applies: the SKU is set
# aside (`duplicate_in_snapshot`, both rows in the detail) and every other row of the snapshot
# applies. The same holds when the two rows are in different parts of the snapshot: the parts
# are one feed, and taking whichever part arrived first would make the outcome depend on
# delivery order.

DUPLICATE_ROWS_SHOWN = 5
"""Rows quoted in a duplicate's detail; the rest are counted."""


@dataclass(frozen=True, slots=True)
class PartRow:
    """One row of a snapshot part: where it was and what it said."""

    sku: str
    part: int | None
    """None for a row stored before parts were recorded."""
    position: int | None
    """Its index among the part's items."""
    available: int
    on_hand: int


def first_rows(part: int, items: Iterable[Any]) -> tuple[list[PartRow], list[PartRow]]:
    """A part's rows (`SnapshotItem`s) split into the first row of each SKU and the rows
    repeating a SKU listed earlier in the same part."""
    firsts: list[PartRow] = []
    repeats: list[PartRow] = []
    seen: set[str] = set()
    for position, item in enumerate(items):
        row = PartRow(item.sku, part, position, item.available, item.on_hand)
        (repeats if item.sku in seen else firsts).append(row)
        seen.add(item.sku)
    return firsts, repeats


def duplicate_in_snapshot(snapshot_id: str, rows: Sequence[PartRow]) -> SetAside:
    """The set-aside of a SKU the snapshot lists more than once (`rows`, two at least)."""
    ordered = sorted(rows, key=lambda r: (r.part or 0, r.position or 0))
    parts = sorted({r.part for r in ordered if r.part is not None})
    times = "twice" if len(ordered) == 2 else f"{len(ordered)} times"
    if len(parts) == 1 and all(r.part is not None for r in ordered):
        where = f"appears {times} in part {parts[0]}"
    else:
        named = " and ".join(", ".join(str(p) for p in parts).rsplit(", ", 1)) or "?"
        where = f"appears {times}, in parts {named}"
    quoted = "; ".join(
        f"available {r.available}, on hand {r.on_hand}"
        + (f" (part {r.part})" if len(parts) > 1 else "")
        for r in ordered[:DUPLICATE_ROWS_SHOWN]
    )
    more = len(ordered) - DUPLICATE_ROWS_SHOWN
    if more > 0:
        quoted += f" (+{more} more)"
    detail = f"SKU {where} of snapshot {snapshot_id}: {quoted}"
    return SetAside(ordered[0].sku, "duplicate_in_snapshot", detail)


# --- a batch and Shopify's answer to it ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Queued:
    """A target waiting to be pushed, as the batch former sees it."""

    item_id: int
    sku: str
    target: int
    current: int | None
    """What we believe Shopify has now; None if the item is no longer stocked there."""


@dataclass
class BatchCut:
    to_send: list[Queued]
    already_right: list[Queued]
    not_stocked: list[Queued]


def cut_batch(queued: Iterable[Queued]) -> BatchCut:
    """Only real changes are sent; `changeFromQuantity` will be `current`."""
    cut = BatchCut([], [], [])
    for row in queued:
        if row.current is None:
            cut.not_stocked.append(row)
        elif row.current == row.target:
            cut.already_right.append(row)
        else:
            cut.to_send.append(row)
    return cut


STALE = "CHANGE_FROM_QUANTITY_STALE"

# userError codes about one quantity that no retry can fix, and how the SKU is then reported.
_REJECTED_CODES: Mapping[str, SetAsideReason] = {
    "INVALID_INVENTORY_ITEM": "unknown_sku",
    "ITEM_NOT_STOCKED_AT_LOCATION": "not_stocked_at_location",
    "INVALID_LOCATION": "not_stocked_at_location",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    position: int
    reason: SetAsideReason
    detail: str


@dataclass
class BatchAnswer:
    """What a refused batch's userErrors say. Shopify applies a batch whole or not at all."""

    stale: list[int]
    """Positions whose changeFromQuantity no longer matches: re-read them, then retry."""
    refused: list[Refusal]
    """Positions Shopify will never accept as they are: set aside."""
    whole_batch: list[str]
    """Errors naming no quantity (the request itself is wrong)."""


def read_user_errors(errors: Iterable[Any], batch_size: int) -> BatchAnswer:
    """Sort userErrors (`shopify_admin.UserError`) by the quantity they name, if any."""
    answer = BatchAnswer([], [], [])
    for error in errors:
        position = _quantity_position(error.field, batch_size)
        if position is None:
            answer.whole_batch.append(f"{error.code or 'ERROR'}: {error.message}")
        elif error.code == STALE:
            answer.stale.append(position)
        else:
            reason = _REJECTED_CODES.get(error.code or "", "rejected_by_shopify")
            answer.refused.append(Refusal(position, reason, f"{error.code}: {error.message}"))
    return answer


def _quantity_position(field: Sequence[str] | None, batch_size: int) -> int | None:
    # ["input", "quantities", "3", "changeFromQuantity"]
    if not field or len(field) < 3 or list(field[:2]) != ["input", "quantities"]:
        return None
    try:
        position = int(field[2])
    except ValueError:
        return None
    return position if 0 <= position < batch_size else None


# --- what the orders/create webhook says is about to leave ---------------------------------------


def placed_units(payload: Mapping[str, Any]) -> dict[str, int]:
    """Units per SKU of a REST-shaped order webhook body that a warehouse would ship.

    Lines without a SKU, gift cards and lines that need no shipping never reach a WMS.
    """
    units: dict[str, int] = {}
    for line in payload.get("line_items") or []:
        if not isinstance(line, Mapping):
            continue
        sku = line.get("sku")
        if not isinstance(sku, str) or not sku.strip():
            continue
        if line.get("gift_card") or line.get("requires_shipping") is False:
            continue
        quantity = line.get("fulfillable_quantity", line.get("quantity"))
        if isinstance(quantity, int) and not isinstance(quantity, bool) and quantity > 0:
            units[sku.strip()] = units.get(sku.strip(), 0) + quantity
    return units


# --- the daily run --------------------------------------------------------------------------------


def daily_run_due(
    now: datetime, timezone: ZoneInfo, daily_at: time, last_run_on: date
) -> date | None:
    """The local date whose daily run is due now, or None.

    Due once per local day, once the time of day has passed; a run missed while the service
    was down is caught up when it starts.
    """
    local = now.astimezone(timezone)
    if local.time() < daily_at or last_run_on >= local.date():
        return None
    return local.date()


def daily_baseline(now: datetime, timezone: ZoneInfo, daily_at: time) -> date:
    """The "last run" of a feed seen for the first time: its first run is the next daily time,
    not an immediate catch-up of a day it never had."""
    local = now.astimezone(timezone)
    return local.date() if local.time() >= daily_at else local.date() - timedelta(days=1)


def gid_number(gid: str, kind: str) -> int | None:
    """12345 from gid://shopify/<kind>/12345 (Shopify's ids are integers)."""
    prefix = f"gid://shopify/{kind}/"
    if not gid.startswith(prefix):
        return None
    tail = gid[len(prefix) :].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


def available_of(level: Mapping[str, Any]) -> int | None:
    """The `available` quantity of an InventoryLevel node (`quantities(names:)`)."""
    for quantity in level.get("quantities") or []:
        if isinstance(quantity, Mapping) and quantity.get("name") == "available":
            value = quantity.get("quantity")
            return value if isinstance(value, int) else None
    return None


def item_gid(item_id: int) -> str:
    return f"gid://shopify/InventoryItem/{item_id}"


def location_gid(location_id: int) -> str:
    return f"gid://shopify/Location/{location_id}"
