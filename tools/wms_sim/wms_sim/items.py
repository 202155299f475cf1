"""The items the warehouse holds for each shop, learned from `wms.item.upsert` (SPEC section 3).

A WMS keeps the latest version of each item by `updated_at`, so a repeated or late upsert
changes nothing. `wms.item.discontinued` drops an item and is remembered, so an older upsert
arriving after it does not bring the item back. An item whose barcode the warehouse already
holds for another SKU of the same shop is refused: receiving and packing identify goods by
scanning, and one barcode on two SKUs is a mis-pick waiting to happen.

No I/O: the warehouse state machine applies the outcome.
"""

from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from contracts import WmsItemUpsert
from wms_sim.state import ItemRecord, item_key

UpsertKind = Literal["learned", "changed", "stale", "rejected"]


@dataclass(frozen=True)
class UpsertOutcome:
    kind: UpsertKind
    """learned: a SKU the warehouse did not hold (new, or back after a discontinuation);
    changed: a newer version of one it holds; stale: not newer than what it has, ignored;
    rejected: refused, `reason` says why, and what the warehouse held before stays."""
    reason: str | None = None


class ItemBook:
    """Reads and changes the `items` of a WarehouseState in place, with a barcode index."""

    def __init__(self, records: MutableMapping[str, ItemRecord]) -> None:
        self._records = records
        self._barcodes: dict[tuple[str, str], str] = {}
        """(shop, barcode) -> SKU of the item holding it: a scan of every item per upsert would
        make learning a 100,000-item catalog quadratic."""
        for record in records.values():
            self._index(record)

    def upsert(self, shop: str, item: WmsItemUpsert) -> UpsertOutcome:
        key = item_key(shop, item.sku)
        record = self._records.get(key)
        if record is not None and record.updated_at >= item.updated_at:
            return UpsertOutcome("stale")
        barcode = _barcode(item)
        holder = self._barcodes.get((shop, barcode)) if barcode else None
        if holder is not None and holder != item.sku:
            reason = f"barcode {barcode} is already held for SKU {holder}"
            return UpsertOutcome("rejected", reason)
        held_before = record is not None and record.item is not None
        if record is not None:
            self._unindex(record)
        record = ItemRecord(shop=shop, sku=item.sku, updated_at=item.updated_at, item=item)
        self._records[key] = record
        self._index(record)
        return UpsertOutcome("changed" if held_before else "learned")

    def discontinue(self, shop: str, sku: str, updated_at: datetime) -> bool:
        """Drops the item unless the warehouse has newer word of it; True when it was held."""
        key = item_key(shop, sku)
        record = self._records.get(key)
        if record is not None and record.updated_at >= updated_at:
            return False
        held = record is not None and record.item is not None
        if record is not None:
            self._unindex(record)
        self._records[key] = ItemRecord(shop=shop, sku=sku, updated_at=updated_at, item=None)
        return held

    def record(self, shop: str, sku: str) -> ItemRecord | None:
        """What the warehouse was told about the SKU (None: nothing, ever)."""
        return self._records.get(item_key(shop, sku))

    def held(self, shop: str) -> Iterator[WmsItemUpsert]:
        """The items of the shop the warehouse holds now."""
        for record in self._records.values():
            if record.shop == shop and record.item is not None:
                yield record.item

    def _index(self, record: ItemRecord) -> None:
        barcode = _barcode(record.item) if record.item is not None else None
        if barcode:
            self._barcodes[(record.shop, barcode)] = record.sku

    def _unindex(self, record: ItemRecord) -> None:
        barcode = _barcode(record.item) if record.item is not None else None
        if barcode and self._barcodes.get((record.shop, barcode)) == record.sku:
            del self._barcodes[(record.shop, barcode)]


def _barcode(item: WmsItemUpsert) -> str | None:
    """Blank barcodes are no barcode: many items have none, and none of them clash."""
    return (item.barcode or "").strip() or None
