"""inventory-sync's `catalog` section on the status page: findings become problems listing the
products to fix, a failed full sync is one until a later one is done, and the page renders
without the section (an inventory-sync from before the catalog flow)."""

from typing import Any

from operator_status.overview import overview
from operator_status.page import render

from .test_overview import sections

MUG = {
    "product_title": "Mug",
    "variant_title": "Blue",
    "product_id": "gid://shopify/Product/1",
    "variant_id": "gid://shopify/ProductVariant/11",
}
CUP = {
    "product_title": "Cup",
    "variant_title": None,
    "product_id": "gid://shopify/Product/2",
    "variant_id": "gid://shopify/ProductVariant/21",
}


def sync(state: str, finished_at: str | None, **more: Any) -> dict[str, Any]:
    return {"job_id": f"job-{finished_at}", "state": state, "finished_at": finished_at, **more}


def catalog_shop(shop: str, **findings: Any) -> dict[str, Any]:
    return {"shop": shop, "variants": 3, "items": 2, "findings": findings, "syncs": []}


def test_catalog_findings_are_problems_with_the_products_to_fix() -> None:
    shop = catalog_shop(
        "a",
        duplicate_skus={
            "total": 3,  # more than listed: the title counts them all
            "fix": "give each variant its own SKU",
            "skus": [{"sku": "MUG-1", "since": "2026-11-22T09:00:00Z", "variants": [MUG, CUP]}],
        },
        missing_sku={"total": 1, "variants": [CUP]},
        rejected_by_wms={
            "total": 1,
            "skus": [{"sku": "MUG-2", "reason": "barcode 1 is held for MUG-1", **MUG,
                      "rejected_at": "2026-11-22T10:00:00Z"}],
        },
    )  # fmt: skip
    doc = overview(sections(inventory_sync={"catalog": {"shops": [shop]}}))
    problems = {p["kind"]: p for p in doc["problems"]}
    assert doc["healthy"] is False
    duplicates = problems["catalog_duplicate_skus"]
    assert duplicates["title"].startswith("3 SKUs on several variants")
    assert [(r["sku"], r["product"], r["variant_id"]) for r in duplicates["rows"]] == [
        ("MUG-1", "Mug", MUG["variant_id"]),
        ("MUG-1", "Cup", CUP["variant_id"]),
    ]
    missing = problems["catalog_missing_skus"]
    assert missing["title"].startswith("1 shippable variant without a SKU")
    assert missing["rows"] == [
        {"shop": "a", "product": "Cup", "variant": None, "product_id": CUP["product_id"],
         "variant_id": CUP["variant_id"]}
    ]  # fmt: skip
    [rejected] = problems["catalog_rejected_items"]["rows"]
    assert (rejected["sku"], rejected["reason"], rejected["product"]) == (
        "MUG-2",
        "barcode 1 is held for MUG-1",
        "Mug",
    )
    page = render(doc, "2026-11-22T10:00:00Z")
    assert "catalog_duplicate_skus" in page and "gid://shopify/ProductVariant/21" in page


def test_a_failed_full_sync_is_a_problem_until_a_later_one_is_done() -> None:
    failed = sync(
        "failed",
        "2026-11-22T08:00:00Z",
        error="bulk operation FAILED: INTERNAL_SERVER_ERROR",
        bulk_operation={"id": "gid://shopify/BulkOperation/9", "status": "FAILED"},
    )
    done = sync("done", "2026-11-21T02:00:00Z")
    shop = {**catalog_shop("a"), "syncs": [failed, done]}
    doc = overview(sections(inventory_sync={"catalog": {"shops": [shop]}}))
    [problem] = doc["problems"]
    assert problem["kind"] == "catalog_sync_failed"
    assert problem["rows"][0]["error"] == "bulk operation FAILED: INTERNAL_SERVER_ERROR"
    assert problem["rows"][0]["bulk_operation"] == "gid://shopify/BulkOperation/9"
    assert doc["shops"]["a"]["last_catalog_sync"] == "2026-11-21T02:00:00Z"

    retried = {**shop, "syncs": [sync("done", "2026-11-22T09:00:00Z"), failed, done]}
    doc = overview(sections(inventory_sync={"catalog": {"shops": [retried]}}))
    assert doc["healthy"] is True
    assert doc["shops"]["a"]["last_catalog_sync"] == "2026-11-22T09:00:00Z"
    assert "last catalog sync" in render(doc, "2026-11-22T10:00:00Z")


def test_a_clean_catalog_or_none_at_all_is_healthy_and_renders() -> None:
    clean = catalog_shop(
        "a", duplicate_skus={"total": 0, "skus": []}, missing_sku={"total": 0, "variants": []}
    )
    for inventory in ({"catalog": {"shops": [clean]}}, {}, {"catalog": None}):
        doc = overview(sections(inventory_sync=inventory))
        assert doc["healthy"] is True, inventory
        assert "shipbridge: healthy" in render(doc, "2026-11-22T10:00:00Z")
