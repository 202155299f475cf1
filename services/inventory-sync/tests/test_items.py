"""The catalog flow's pure decisions: variant -> item, digest, per-SKU decision, findings, and
bulk JSONL assembly with `__parentId`."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from inventory_sync import items
from inventory_sync.items import BulkAssembler, Carrier, Sent

T = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
IMG = "https://cdn.example.com/v.png"
FEATURED = "https://cdn.example.com/p.png"


def product(**over: Any) -> dict[str, Any]:
    return {
        "id": "gid://shopify/Product/10",
        "title": "Blue mug",
        "updatedAt": "2026-11-22T09:00:00Z",
        "featuredMedia": {"preview": {"image": {"url": FEATURED}}},
        **over,
    }


def variant(n: int = 1, **over: Any) -> dict[str, Any]:
    item = {
        "id": f"gid://shopify/InventoryItem/{100 + n}",
        "requiresShipping": True,
        "harmonizedSystemCode": "691200",
        "countryCodeOfOrigin": "PT",
        "measurement": {"weight": {"value": 350.0, "unit": "GRAMS"}},
        **over.pop("inventoryItem", {}),
    }
    return {
        "id": f"gid://shopify/ProductVariant/{n}",
        "title": "Large",
        "sku": f"MUG-{n}",
        "barcode": f"000{n}",
        "updatedAt": "2026-11-22T08:00:00Z",
        "inventoryItem": item,
        "media": {"nodes": []},
        **over,
    }


def test_a_shippable_variant_with_a_sku_is_an_item_with_every_field() -> None:
    read = items.parse_variant(
        variant(media={"nodes": [{"preview": {"image": {"url": IMG}}}]}), product()
    )
    assert read is not None and read.item is not None
    assert read.item.model_dump(mode="json") == {
        "sku": "MUG-1",
        "title": "Blue mug - Large",
        "barcode": "0001",
        "weight": {"value": 350.0, "unit": "GRAMS"},
        "hs_code": "691200",
        "country_of_origin": "PT",
        "image_url": IMG,
        "shopify_variant_id": "gid://shopify/ProductVariant/1",
        "shopify_inventory_item_id": "gid://shopify/InventoryItem/101",
        # the later of the variant's and the product's updatedAt
        "updated_at": "2026-11-22T09:00:00Z",
    }
    assert (read.variant_id, read.product_id) == (1, 10)


def test_default_title_and_image_fallback() -> None:
    read = items.parse_variant(variant(title="Default Title"), product())
    assert read is not None and read.item is not None
    assert read.item.title == "Blue mug"
    assert read.item.image_url == FEATURED  # no variant image: the product's
    bare = items.parse_variant(variant(), product(featuredMedia=None))
    assert bare is not None and bare.item is not None and bare.item.image_url is None


def test_not_shippable_or_without_sku_is_no_item() -> None:
    digital = items.parse_variant(variant(inventoryItem={"requiresShipping": False}), product())
    assert digital is not None and digital.item is None and digital.shippable is False
    blank = items.parse_variant(variant(sku="  "), product())
    assert blank is not None and blank.item is None and blank.sku is None and blank.shippable


def test_a_bad_optional_field_is_left_out_not_the_item() -> None:
    read = items.parse_variant(variant(inventoryItem={"countryCodeOfOrigin": "pt?"}), product())
    assert read is not None and read.item is not None
    assert read.item.country_of_origin is None


def test_digest_ignores_updated_at_and_sees_every_field_sent() -> None:
    a = items.parse_variant(variant(), product())
    later = items.parse_variant(variant(updatedAt="2026-11-23T00:00:00Z"), product())
    other = items.parse_variant(variant(barcode="999"), product())
    heavier = items.parse_variant(
        variant(inventoryItem={"measurement": {"weight": {"value": 1, "unit": "KILOGRAMS"}}}),
        product(),
    )
    assert a and later and other and heavier
    assert a.digest == later.digest
    assert len({a.digest, other.digest, heavier.digest}) == 3


def carrier(n: int, digest: str = "d") -> Carrier:
    return Carrier(n, digest, {"sku": "S", "updated_at": T.isoformat()})


def test_one_carrier_is_sent_only_when_its_digest_changed() -> None:
    assert isinstance(items.decide_sku("S", [carrier(1)], None, T), items.Send)
    assert isinstance(items.decide_sku("S", [carrier(1)], Sent("d", 1, T), T), items.Keep)
    assert isinstance(items.decide_sku("S", [carrier(1, "e")], Sent("d", 1, T), T), items.Send)
    # the same item now from another variant (SKU moved): the WMS is told the new ids
    assert isinstance(items.decide_sku("S", [carrier(2, "e")], Sent("d", 1, T), T), items.Send)


def test_a_change_within_the_second_of_the_last_upsert_is_dated_after_it() -> None:
    # Shopify's updatedAt has second precision: the change reads as old as what was sent.
    same_second = items.decide_sku("S", [carrier(1, "e")], Sent("d", 1, T), T)
    assert isinstance(same_second, items.Send)
    assert items.item_updated_at(same_second.item) == T + timedelta(seconds=1)
    later = items.decide_sku("S", [carrier(1, "e")], Sent("d", 1, T - timedelta(hours=1)), T)
    assert isinstance(later, items.Send)
    assert items.item_updated_at(later.item) == T


def test_no_carrier_discontinues_what_was_sent_after_its_last_update() -> None:
    assert isinstance(items.decide_sku("S", [], None, T), items.Keep)
    gone = items.decide_sku("S", [], Sent("d", 1, T + timedelta(hours=1)), T)
    assert gone == items.Discontinue("S", T + timedelta(hours=1))


def test_two_carriers_are_a_duplicate_neither_sent_nor_discontinued() -> None:
    decided = items.decide_sku("S", [carrier(2), carrier(1)], Sent("d", 1, T), T)
    assert decided == items.Duplicate("S", (1, 2))


def test_decide_all_sorts_decisions() -> None:
    decided = items.decide_all(
        ["A", "B", "C", "D"],
        {"A": [carrier(1)], "C": [carrier(3), carrier(4)], "D": [carrier(5)]},
        {"B": Sent("d", 2, T), "D": Sent("d", 5, T)},
        T,
    )
    assert [s.sku for s in decided.sends] == ["A"]
    assert [d.sku for d in decided.discontinues] == ["B"]
    assert [d.sku for d in decided.duplicates] == ["C"]


def test_findings_compare_without_as_of() -> None:
    empty = items.findings([], {}, T)
    assert items.same_findings(None, empty)
    one = items.findings(["B", "A"], {"C": "barcode taken"}, T)
    assert one.duplicate_skus == ["A", "B"]
    assert not items.same_findings(None, one)
    assert items.same_findings(one, items.findings(["A", "B"], {"C": "barcode taken"}, T))
    assert not items.same_findings(one, items.findings(["A"], {"C": "barcode taken"}, T))
    assert not items.same_findings(one, items.findings(["A", "B"], {"C": "other"}, T))


def bulk_line(n: int, **over: Any) -> dict[str, Any]:
    line = variant(n, **over)
    del line["media"]  # a connection: its nodes are child lines
    line["product"] = product()
    return line


def test_bulk_lines_assemble_variants_with_their_child_images() -> None:
    lines = [
        bulk_line(1),
        {"preview": {"image": {"url": IMG}}, "__parentId": "gid://shopify/ProductVariant/1"},
        bulk_line(2),
        bulk_line(3, inventoryItem={"requiresShipping": False}),
        {"preview": {"image": {"url": IMG}}, "__parentId": "gid://shopify/ProductVariant/1"},
    ]
    assembler = BulkAssembler()
    reads = []
    for raw in "\n".join(json.dumps(line) for line in lines).encode().splitlines(keepends=True):
        line = items.parse_line(raw)
        assert line is not None
        reads.extend(assembler.feed(line))
    assert [r.variant_id for r in reads] == [1, 2]  # 3 is complete only at the end
    reads.extend(assembler.finish())
    assert [r.variant_id for r in reads] == [1, 2, 3]
    first, second, third = reads
    assert first.item is not None and first.item.image_url == IMG
    assert second.item is not None and second.item.image_url == FEATURED
    assert third.item is None
    assert (assembler.lines, assembler.variants, assembler.orphans) == (5, 3, 1)
    assert items.parse_line(b"\n") is None
