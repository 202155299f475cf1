"""The one line `make run` prints every few seconds from the status page's JSON: pure.

Every service's state, queue depth and open dead letters; then each fulfillment service with its
registration state and what was answered to Shopify's requests; then each shop's catalog as WMS
items (inventory-sync): the newest full sync, the items sent and the findings. Sections a
service has not filled in (yet) are left out, never an error: this line must not stop the demo.
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


def _total(findings: Mapping[str, Any], name: str) -> Any:
    return _dict(findings.get(name)).get("total", 0)


def _catalogs(doc: Mapping[str, Any]) -> list[str]:
    inventory = _dict(_dict(doc.get("services")).get("inventory-sync"))
    shops = _dict(inventory.get("catalog")).get("shops")
    if not isinstance(shops, list):
        return []
    parts = []
    for entry in map(_dict, shops):
        syncs = entry.get("syncs")
        newest = _dict(syncs[0]) if isinstance(syncs, list) and syncs else {}
        sync = f"sync {newest.get('state')}" if newest else "no sync yet"
        if newest.get("state") not in (None, "done", "failed"):
            # Mid-sync, the job's own count moves while the shop's total does not yet.
            progress = _dict(newest.get("progress"))
            sync += f" ({progress.get('variants_read', 0)} variants read)"
        findings = _dict(entry.get("findings"))
        parts.append(
            f"| catalog {entry.get('shop')}: {sync}, {entry.get('items_sent', 0)} items sent; "
            f"findings {_total(findings, 'rejected_by_wms')} rejected by the WMS, "
            f"{_total(findings, 'duplicate_skus')} duplicate SKUs, "
            f"{_total(findings, 'missing_sku')} without SKU"
        )
    return parts


def summary_line(doc: Mapping[str, Any]) -> str:
    verdict = "HEALTHY" if doc.get("healthy") else "ATTENTION"
    return " ".join([verdict, *_services(doc), *_fulfillment_services(doc), *_catalogs(doc)])
