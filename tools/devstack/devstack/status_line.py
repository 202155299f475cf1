"""The one line `make run` prints every few seconds from the status page's JSON: pure.

Every service's state, queue depth and open dead letters; then each fulfillment service with its
registration state and what was answered to Shopify's requests. Sections a service has not
filled in (yet) are left out, never an error: this line must not stop the demo.
"""

from collections.abc import Mapping
from typing import Any

# order-intake's request_answers kinds, answered: how the line names them.
_ANSWERS = (
    ("accept_fulfillment", "accepted"),
    ("reject_fulfillment", "rejected"),
    ("accept_cancellation", "cancellations accepted"),
    ("reject_cancellation", "refused"),
)


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _services(doc: Mapping[str, Any]) -> list[str]:
    parts = []
    for name, section in _dict(doc.get("services")).items():
        s = _dict(section)
        if not s.get("up"):
            parts.append(f"{name}=DOWN")
            continue
        backlog = _dict(s.get("backlog"))
        dead_letters = _dict(s.get("dead_letters"))
        parts.append(f"{name}=ok q{backlog.get('queue_depth')} dl{dead_letters.get('open')}")
    return parts


def _fulfillment_services(doc: Mapping[str, Any]) -> list[str]:
    services = doc.get("fulfillment_services")
    if not isinstance(services, list) or not services:
        return []
    states = ", ".join(
        f"{_dict(s).get('facility')} {_dict(s).get('state') or 'unknown'}" for s in services
    )
    intake = _dict(_dict(doc.get("services")).get("order-intake"))
    requests = _dict(intake.get("fulfillment_requests"))
    answers = _dict(requests.get("answers"))
    counts = [f"{answers.get(f'{kind}.answered', 0)} {label}" for kind, label in _ANSWERS]
    waiting = requests.get("waiting_for_wms_count")
    if isinstance(waiting, int):
        counts.append(f"{waiting} waiting for the WMS")
    return [f"| {states}: requests {', '.join(counts)}"]


def summary_line(doc: Mapping[str, Any]) -> str:
    verdict = "HEALTHY" if doc.get("healthy") else "ATTENTION"
    return " ".join([verdict, *_services(doc), *_fulfillment_services(doc)])
