"""From the services' sections to problems, service lines and shop lines; and the page's
rendering of shapes it does not know. Pure: no service runs here."""

from typing import Any

from operator_status.overview import overview
from operator_status.page import render, render_value

READY = {"up": True, "database": True, "broker": True, "dead_letters": {"open": 0, "recent": []}}


def sections(**by_service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name.replace("_", "-"): {**READY, **section} for name, section in by_service.items()}


def test_all_ready_and_nothing_stuck_is_healthy() -> None:
    doc = overview(sections(order_intake={}, webhook_gateway={}))
    assert doc["healthy"] is True
    assert doc["problems"] == []
    assert doc["summary"]["order-intake"]["state"] == "ready"


def test_problems_come_most_serious_first_with_the_rows_to_act_on() -> None:
    doc = overview(
        {
            **sections(
                order_intake={
                    "dead_letters": {"open": 1, "recent": [{"id": 7, "reason": "bad"}]},
                    "orders": {
                        "recent_rejections": {
                            "by_checks": [{"shop": "a", "order_name": "#1", "reason": "no city"}],
                            "by_wms": [{"shop": "a", "wms_order_ref": "#2", "wms_reason": "SKU"}],
                        },
                        "polling": {"a": {"last_result": "failed", "last_error": "401"}},
                    },
                },
                webhook_gateway={
                    "shops": ["a", "b"],
                    "webhook_subscriptions": {
                        "shops": {
                            "a": {"healthy": False, "missing": ["orders/paid"]},
                            "b": {"healthy": False, "missing": ["orders/paid"],
                                  "uninstalled_at": "2026-11-01T00:00:00Z"},
                        }
                    },
                },
                cancellation={"cancellations": {"needs_attention": {"x": [{"ref": "#3"}]}}},
                inventory_sync={"database": False},
            ),
            "fulfillment-sync": {"up": False, "error": "ConnectionRefused"},
        }
    )  # fmt: skip
    kinds = [(p["service"], p["kind"]) for p in doc["problems"]]
    assert kinds[:2] == [("inventory-sync", "not_ready"), ("fulfillment-sync", "down")]
    assert set(kinds[2:]) == {
        ("order-intake", "dead_letters"),
        ("order-intake", "rejected_orders"),
        ("order-intake", "order_poll_failed"),
        ("webhook-gateway", "webhook_subscriptions"),
        ("cancellation", "cancellations_need_attention"),
    }
    rejected = next(p for p in doc["problems"] if p["kind"] == "rejected_orders")
    assert [(r["order"], r["rejected_by"], r["reason"]) for r in rejected["rows"]] == [
        ("#1", "checks", "no city"),
        ("#2", "warehouse", "SKU"),
    ]
    webhooks = next(p for p in doc["problems"] if p["kind"] == "webhook_subscriptions")
    assert [r["shop"] for r in webhooks["rows"]] == ["a"], "an uninstalled shop is not a problem"
    assert doc["healthy"] is False
    assert doc["shops"]["a"]["webhook_subscriptions"] == "missing orders/paid"
    assert doc["shops"]["a"]["last_order_poll_result"] == "failed"
    assert doc["shops"]["b"]["uninstalled_at"] == "2026-11-01T00:00:00Z"


def test_last_inventory_sync_per_shop_is_the_latest_of_its_facilities() -> None:
    doc = overview(
        sections(
            inventory_sync={
                "inventory": {
                    "facilities": [
                        {"shop": "a", "facility": "WH1",
                         "last_snapshot": {"completed_at": "2026-11-22T02:00:00+00:00"},
                         "realtime": {"last_push_at": "2026-11-22T04:00:00+00:00"}},
                        {"shop": "a", "facility": "WH2", "last_snapshot": None,
                         "realtime": {"last_push_at": None}},
                        {"shop": "b", "facility": "WH1",
                         "last_snapshot": {"completed_at": "2026-11-21T02:00:00+00:00"}},
                    ]
                }
            }
        )
    )  # fmt: skip
    assert doc["shops"]["a"]["last_inventory_sync"] == "2026-11-22T04:00:00+00:00"
    assert doc["shops"]["b"]["last_inventory_sync"] == "2026-11-21T02:00:00+00:00"


def test_failed_fulfillments_and_cancellations_needing_an_operator_are_problems() -> None:
    doc = overview(
        sections(
            fulfillment_sync={"shipments": {"failed": [{"shipment_id": "S1", "reason": "x"}]}},
            cancellation={
                "cancellations": {
                    "needs_attention": {
                        "cancelled_in_shopify_but_shipped": [{"order_name": "#7"}],
                        "warehouse_cancellations": [],
                    }
                }
            },
        )
    )
    by_kind = {p["kind"]: p for p in doc["problems"]}
    assert by_kind["fulfillment_failures"]["rows"] == [{"shipment_id": "S1", "reason": "x"}]
    assert by_kind["cancellations_need_attention"]["rows"] == [
        {"what": "cancelled in shopify but shipped", "order_name": "#7"}
    ]


def test_order_changes_the_warehouse_refused_or_left_unanswered_and_unsent_edits() -> None:
    orders = {
        "wms_changes": [
            {"shop": "s", "order_name": "#1009", "wms_order_ref": "#1009",
             "problem": "reduce_refused", "change_in_shopify": "units left fulfillment order 7",
             "warehouse_said": "picking started", "since": "2026-11-22T10:00:00Z"},
            {"shop": "s", "order_name": "#1010", "wms_order_ref": "#1010-2",
             "problem": "cancel_unanswered", "change_in_shopify": "fulfillment order 8 moved",
             "warehouse_said": "no answer", "since": "2026-11-22T09:00:00Z"},
        ],
        "unsent_edits": [
            {"shop": "s", "order_name": "#1011", "wms_order_ref": "#1011",
             "field": "shipping address", "first_seen_at": "2026-11-22T11:00:00Z"},
        ],
    }  # fmt: skip
    doc = overview(sections(order_intake={"orders": orders}))
    assert doc["healthy"] is False
    by_kind = {p["kind"]: p for p in doc["problems"]}
    changes = by_kind["wms_changes"]
    assert changes["title"].startswith("2 order changes the warehouse refused or did not answer")
    assert [(r["order"], r["problem"], r["warehouse_said"]) for r in changes["rows"]] == [
        ("#1009", "reduce refused", "picking started"),
        ("#1010", "cancel unanswered", "no answer"),
    ]
    assert changes["rows"][0]["changed_in_shopify"] == "units left fulfillment order 7"
    [edit] = by_kind["unsent_edits"]["rows"]
    assert (edit["order"], edit["field"]) == ("#1011", "shipping address")
    quiet = overview(sections(order_intake={"orders": {"wms_changes": [], "unsent_edits": []}}))
    assert quiet["healthy"] is True


def test_unknown_sections_are_rendered_generically_and_escaped() -> None:
    html = render_value(
        {"widgets": [{"name": "<script>x</script>", "count": 2}], "ok": True, "empty": []}
    )
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<th>name</th>" in html and "<td>2</td>" in html
    assert "yes" in html and "none" in html


def test_the_page_puts_problems_before_services_and_refreshes_itself() -> None:
    doc = overview({"order-intake": {"up": False, "error": "refused <b>"}})
    page = render(doc, "2026-11-22T10:00:00Z")
    assert page.index("id='problems'") < page.index("id='services'")
    assert "http-equiv='refresh'" in page
    assert "refused &lt;b&gt;" in page
    assert "1 need attention" in page
