"""The line `make run` prints every few seconds: services, then the fulfillment service and what
was answered to its requests; never an error over a section not filled in."""

from devstack.status_line import summary_line

UP = {"up": True, "backlog": {"queue_depth": 0}, "dead_letters": {"open": 0}}


def test_services_only() -> None:
    doc = {"healthy": True, "services": {"webhook-gateway": UP, "cancellation": {"up": False}}}

    assert summary_line(doc) == "HEALTHY webhook-gateway=ok q0 dl0 cancellation=DOWN"


def test_the_fulfillment_service_and_its_answers() -> None:
    intake = {
        **UP,
        "fulfillment_requests": {
            "waiting_for_wms_count": 2,
            "answers": {
                "accept_fulfillment.answered": 12,
                "reject_fulfillment.answered": 3,
                "accept_cancellation.answered": 1,
                "reject_fulfillment.failed_attempts": 5,
            },
        },
    }
    doc = {
        "healthy": False,
        "services": {"order-intake": intake},
        "fulfillment_services": [{"facility": "WH2", "state": "registered"}],
    }

    assert summary_line(doc) == (
        "ATTENTION order-intake=ok q0 dl0 | WH2 registered: requests 12 accepted, 3 rejected, "
        "1 cancellations accepted, 0 refused, 2 waiting for the WMS"
    )


def test_a_service_not_registered_yet_and_no_request_counts() -> None:
    doc = {
        "healthy": False,
        "services": {"order-intake": UP},
        "fulfillment_services": [{"facility": "WH2", "state": None}],
    }

    assert summary_line(doc) == (
        "ATTENTION order-intake=ok q0 dl0 | WH2 unknown: requests 0 accepted, 0 rejected, "
        "0 cancellations accepted, 0 refused"
    )


def _catalog(syncs: list[dict[str, object]], sent: int, rejected: int) -> dict[str, object]:
    return {
        **UP,
        "catalog": {
            "shops": [
                {
                    "shop": "demo.myshopify.com",
                    "items_sent": sent,
                    "findings": {
                        "duplicate_skus": {"total": 0, "skus": []},
                        "missing_sku": {"total": 1, "variants": []},
                        "rejected_by_wms": {"total": rejected, "skus": []},
                    },
                    "syncs": syncs,
                }
            ]
        },
    }


def test_the_catalog_items_sent_and_findings() -> None:
    done = {"state": "done", "progress": {"variants_read": 2000}}
    doc = {"healthy": True, "services": {"inventory-sync": _catalog([done], 2000, 200)}}

    assert summary_line(doc) == (
        "HEALTHY inventory-sync=ok q0 dl0 | catalog demo.myshopify.com: sync done, 2000 items "
        "sent; findings 200 rejected by the WMS, 0 duplicate SKUs, 1 without SKU"
    )


def test_a_catalog_sync_under_way_shows_its_progress() -> None:
    running = {"state": "running", "progress": {"variants_read": 750}}
    doc = {"healthy": True, "services": {"inventory-sync": _catalog([running], 0, 0)}}

    assert summary_line(doc).endswith(
        "| catalog demo.myshopify.com: sync running (750 variants read), 0 items sent; "
        "findings 0 rejected by the WMS, 0 duplicate SKUs, 1 without SKU"
    )


def test_no_catalog_section_no_catalog_part() -> None:
    doc = {"healthy": True, "services": {"inventory-sync": {**UP, "catalog": {}}}}

    assert summary_line(doc) == "HEALTHY inventory-sync=ok q0 dl0"
