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
