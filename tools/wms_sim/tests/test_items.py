"""Items learned from `wms.item.upsert`: the latest per SKU and shop, dropped when
discontinued, refused when their barcode is another SKU's; orders follow what was learned."""

import random
from datetime import UTC, datetime

from contracts import Envelope, WmsInventoryAdjusted, WmsItemRejected, WmsOrderRejected
from wms_sim.catalog import Catalog, build_catalog
from wms_sim.config import Facility, LearnedCatalog, SimConfig
from wms_sim.testing import SHOP, item_discontinued, item_upsert, order_create, state_machine
from wms_sim.warehouse import Warehouse

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
OTHER_SHOP = "other.myshopify.com"


def types(events: list[Envelope]) -> list[str]:
    return [event.type for event in events]


def learning(**overrides: object) -> Warehouse:
    """A warehouse whose catalog is only what it is sent, at WH1 of SHOP and of OTHER_SHOP."""
    facilities = (Facility(SHOP, "WH1"), Facility(OTHER_SHOP, "WH1"))
    settings: dict[str, object] = {
        "seed": 3,
        "facilities": facilities,
        "catalog": LearnedCatalog(min_quantity=5, max_quantity=5),
        "ship_delay_s": (60.0, 60.0),
        "split_probability": 0.0,
        "own_cancel_probability": 0.0,
    }
    config = SimConfig(**{**settings, **overrides})  # type: ignore[arg-type]
    rng = random.Random(config.seed)
    return Warehouse(config, build_catalog(config.catalog, config.facilities, rng), rng)


def held(wh: Warehouse, shop: str = SHOP) -> dict[str, str | None]:
    """SKU -> title of the items held."""
    return {item.sku: item.title for item in wh.items.held(shop)}


def test_an_order_for_a_sku_never_sent_is_rejected_and_accepted_once_it_was() -> None:
    wh = learning()
    [rejected] = wh.handle(order_create("#1", [("MUG", 1)]), T0)
    assert rejected.data_as(WmsOrderRejected).reason == "unknown SKU at WH1: MUG"

    upsert = item_upsert("MUG", barcode="111")
    events = wh.handle(upsert, T0)
    # Received at the shop's one facility, reported in the upsert's conversation.
    assert types(events) == ["wms.inventory.adjusted"]
    adjusted = events[0].data_as(WmsInventoryAdjusted)
    assert (adjusted.sku, adjusted.available, adjusted.on_hand) == ("MUG", 5, 5)
    assert events[0].causation_id == upsert.id and events[0].shop == SHOP

    assert types(wh.handle(order_create("#2", [("MUG", 2)]), T0))[0] == "wms.order.accepted"
    assert held(wh) == {"MUG": "Item MUG"}
    assert held(wh, OTHER_SHOP) == {}  # items belong to a shop


def test_the_latest_updated_at_wins_whatever_the_order_of_arrival() -> None:
    wh = learning()
    wh.handle(item_upsert("MUG", title="Mug v2", updated_at="2026-11-21T12:00:00Z"), T0)
    late = item_upsert("MUG", title="Mug v1", updated_at="2026-11-21T11:00:00Z")
    assert wh.handle(late, T0) == []
    same = item_upsert("MUG", title="Mug v2 again", updated_at="2026-11-21T12:00:00Z")
    assert wh.handle(same, T0) == []
    assert held(wh) == {"MUG": "Mug v2"}
    # A newer one replaces it, without receiving the goods a second time.
    newer = item_upsert("MUG", title="Mug v3", updated_at="2026-11-21T13:00:00Z")
    assert wh.handle(newer, T0) == []
    assert held(wh) == {"MUG": "Mug v3"}


def test_a_discontinued_item_is_dropped_and_an_older_upsert_does_not_bring_it_back() -> None:
    wh = learning()
    wh.handle(item_upsert("MUG", updated_at="2026-11-21T12:00:00Z"), T0)
    wh.handle(item_discontinued("MUG", updated_at="2026-11-21T13:00:00Z"), T0)
    assert held(wh) == {}
    [rejected] = wh.handle(order_create("#1", [("MUG", 1)]), T0)
    assert rejected.type == "wms.order.rejected"

    wh.handle(item_upsert("MUG", updated_at="2026-11-21T12:30:00Z"), T0)  # sent before, late
    assert held(wh) == {}
    # A discontinuation older than the item held is the stale one.
    wh.handle(item_upsert("MUG", updated_at="2026-11-21T14:00:00Z"), T0)
    wh.handle(item_discontinued("MUG", updated_at="2026-11-21T13:30:00Z"), T0)
    assert list(held(wh)) == ["MUG"]


def test_a_barcode_held_for_another_sku_is_rejected_with_the_sku_that_holds_it() -> None:
    wh = learning()
    wh.handle(item_upsert("MUG", barcode="0123456789012"), T0)
    clash = item_upsert("MUG-COPY", barcode="0123456789012")
    [rejected] = wh.handle(clash, T0)
    assert rejected.type == "wms.item.rejected"
    assert rejected.causation_id == clash.id
    assert rejected.data_as(WmsItemRejected) == WmsItemRejected(
        sku="MUG-COPY", reason="barcode 0123456789012 is already held for SKU MUG"
    )
    assert list(held(wh)) == ["MUG"]
    [refused] = wh.handle(order_create("#1", [("MUG-COPY", 1)]), T0)
    assert refused.data_as(WmsOrderRejected).reason == "unknown SKU at WH1: MUG-COPY"

    # The same barcode in another shop, the item's own barcode again, and blank barcodes: fine.
    assert types(wh.handle(item_upsert("X", barcode="0123456789012", shop=OTHER_SHOP), T0)) == [
        "wms.inventory.adjusted"
    ]
    again = item_upsert("MUG", barcode="0123456789012", updated_at="2026-11-21T19:00:00Z")
    assert wh.handle(again, T0) == []
    assert "wms.item.rejected" not in types(
        wh.handle(item_upsert("A", barcode=" "), T0) + wh.handle(item_upsert("B", barcode=""), T0)
    )


def test_a_barcode_is_free_again_once_its_item_moved_off_it_or_was_discontinued() -> None:
    wh = learning()
    wh.handle(item_upsert("MUG", barcode="111", updated_at="2026-11-21T12:00:00Z"), T0)
    wh.handle(item_upsert("MUG", barcode="222", updated_at="2026-11-21T13:00:00Z"), T0)
    assert "wms.item.rejected" not in types(wh.handle(item_upsert("CUP", barcode="111"), T0))
    wh.handle(item_discontinued("MUG", updated_at="2026-11-21T14:00:00Z"), T0)
    assert "wms.item.rejected" not in types(wh.handle(item_upsert("BOWL", barcode="222"), T0))


def test_items_survive_as_state_and_the_barcode_index_is_rebuilt_from_it() -> None:
    wh = learning()
    wh.handle(item_upsert("MUG", barcode="111"), T0)
    saved = wh.state.model_copy(deep=True)
    config = SimConfig(catalog=LearnedCatalog(), facilities=(Facility(SHOP, "WH1"),))
    restored = Warehouse(config, Catalog(initial_on_hand={}), random.Random(1), saved)
    [rejected] = restored.handle(item_upsert("CUP", barcode="111"), T0)
    assert rejected.type == "wms.item.rejected"


def test_with_its_own_catalog_the_warehouse_also_knows_items_sent_and_forgets_discontinued() -> (
    None
):
    wh = state_machine({"WH1": {"MUG": 10}})
    assert wh.handle(item_upsert("NEW"), T0) == []  # known, nothing received: no catalog says so
    accepted = wh.handle(order_create("#1", [("NEW", 1)]), T0)
    assert types(accepted)[0] == "wms.order.accepted"
    wh.handle(item_discontinued("MUG"), T0)
    [rejected] = wh.handle(order_create("#2", [("MUG", 1)]), T0)
    assert rejected.data_as(WmsOrderRejected).reason == "unknown SKU at WH1: MUG"
