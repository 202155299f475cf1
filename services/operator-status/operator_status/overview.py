"""From every service's /status to what an operator needs first: pure, no I/O.

`overview(sections)` reads the sections the services returned (a section with `up: false` is a
service that did not answer) and answers: the problems, most serious first, each with the rows
to act on; a line per service (state, backlog, oldest pending, dead letters); and a line per
shop (last order poll, last inventory sync, webhook subscriptions, uninstalled).

Sections it knows how to read (anything else is still shown, generically, by the page):
- every service: `database`, `broker`, `backlog`, `dead_letters` (service_runtime.ops);
- order-intake `orders`: `recent_rejections.by_checks|by_wms`, `failed_syncs`, `polling`,
  `wms_changes` (reduces/cancels the warehouse refused or never answered), `unsent_edits`
  (edits of orders already sent that the warehouse was not told about), and `retention`;
- order-intake `fulfillment_services`: one entry per (shop, facility) connected as a Shopify
  fulfillment service, with its `problem` (missing, failing, deleted by an operator while still
  configured); and `fulfillment_requests` (either may be absent): `rejected`,
  `refused_cancellations` and `failed_answers` are problems; `waiting_for_wms` is work in
  flight, listed on the page (a WMS order never answered is already `wms_changes`'s
  create_unanswered);
- webhook-gateway: `webhook_subscriptions.shops`, `privacy.open_data_requests`;
- fulfillment-sync `shipments.failed`: shipments that did not become fulfillments;
- cancellation `cancellations.needs_attention`: {what: [rows]} an operator must look at;
- inventory-sync `inventory.facilities`: per shop and facility, `last_snapshot` (its
  `completed_at`) and `realtime.last_push_at`: the shop's last inventory sync is the latest;
- inventory-sync `catalog.shops` (may be absent): per shop, `findings` (`duplicate_skus`,
  `missing_sku`, `rejected_by_wms`, each with its `total` and the products to fix) are problems,
  and so is a full catalog sync (`syncs`, newest first) that failed after the last one done;
  the last one done is the shop's `last_catalog_sync`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Section = Mapping[str, Any]

SEVERITY = {"critical": 0, "attention": 1}


@dataclass(frozen=True)
class Problem:
    service: str
    kind: str
    severity: str
    """critical: a service cannot work; attention: something is stuck or refused."""
    title: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "kind": self.kind,
            "severity": self.severity,
            "title": self.title,
            "rows": self.rows,
        }


def _get(section: Section, *path: str) -> Any:
    node: Any = section
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _rows(value: Any) -> list[dict[str, Any]]:
    return (
        [dict(row) for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def state_of(section: Section) -> str:
    if not section.get("up"):
        return "down"
    return "ready" if section.get("database") and section.get("broker") else "not ready"


def _availability(name: str, section: Section) -> list[Problem]:
    state = state_of(section)
    if state == "down":
        error = section.get("error") or "no answer"
        return [Problem(name, "down", "critical", f"{name} is down", [{"error": error}])]
    if state == "not ready":
        missing = [part for part in ("database", "broker") if not section.get(part)]
        row = {"unreachable": ", ".join(missing)}
        return [Problem(name, "not_ready", "critical", f"{name} is not ready", [row])]
    return []


def _dead_letters(name: str, section: Section) -> list[Problem]:
    count = _get(section, "dead_letters", "open") or 0
    if not count:
        return []
    rows = [
        {k: row.get(k) for k in ("id", "type", "reason", "attempts", "dead_at")}
        for row in _rows(_get(section, "dead_letters", "recent"))
    ]
    title = f"{name}: {_plural(count, 'dead letter')} waiting for replay"
    return [Problem(name, "dead_letters", "attention", title, rows)]


def _order_intake(name: str, section: Section) -> list[Problem]:
    problems: list[Problem] = []
    by_checks = _rows(_get(section, "orders", "recent_rejections", "by_checks"))
    by_wms = _rows(_get(section, "orders", "recent_rejections", "by_wms"))
    rejected = [
        {"shop": r.get("shop"), "order": r.get("order_name"), "rejected_by": "checks",
         "reason": r.get("reason"), "at": r.get("decided_at")}
        for r in by_checks
    ] + [
        {"shop": r.get("shop"), "order": r.get("wms_order_ref"), "rejected_by": "warehouse",
         "reason": r.get("wms_reason"), "at": r.get("answered_at")}
        for r in by_wms
    ]  # fmt: skip
    if rejected:
        title = f"{_plural(len(rejected), 'order')} rejected: fix and re-sync"
        problems.append(Problem(name, "rejected_orders", "attention", title, rejected))
    changes = [
        {"shop": r.get("shop"), "order": r.get("order_name"), "wms_order": r.get("wms_order_ref"),
         "problem": str(r.get("problem") or "").replace("_", " "),
         "changed_in_shopify": r.get("change_in_shopify"),
         "warehouse_said": r.get("warehouse_said"), "since": r.get("since")}
        for r in _rows(_get(section, "orders", "wms_changes"))
    ]  # fmt: skip
    if changes:
        title = (
            f"{_plural(len(changes), 'order change')} the warehouse refused or did not answer: "
            "its new work waits; re-sync once sorted out"
        )
        problems.append(Problem(name, "wms_changes", "attention", title, changes))
    edits = [
        {"shop": r.get("shop"), "order": r.get("order_name"), "wms_order": r.get("wms_order_ref"),
         "field": r.get("field"), "since": r.get("first_seen_at")}
        for r in _rows(_get(section, "orders", "unsent_edits"))
    ]  # fmt: skip
    if edits:
        title = (
            f"{_plural(len(edits), 'edit')} of orders already at the warehouse not sent to it: "
            "tell the warehouse, then re-sync"
        )
        problems.append(Problem(name, "unsent_edits", "attention", title, edits))
    failed = _rows(_get(section, "orders", "failed_syncs"))
    if failed:
        title = f"{_plural(len(failed), 'order')} could not be read from Shopify"
        problems.append(Problem(name, "failed_syncs", "attention", title, failed))
    polls = _get(section, "orders", "polling") or {}
    failed_polls = [
        {"shop": shop, "at": poll.get("last_poll_at"), "error": poll.get("last_error")}
        for shop, poll in polls.items()
        if isinstance(poll, Mapping) and poll.get("last_result") == "failed"
    ]
    if failed_polls:
        title = f"order download failed for {_plural(len(failed_polls), 'shop')}"
        problems.append(Problem(name, "order_poll_failed", "attention", title, failed_polls))
    problems += _fulfillment_services(name, section)
    retention_error = _get(section, "retention", "last_error")
    if retention_error:
        problems.append(
            Problem(
                name,
                "retention_failed",
                "attention",
                "personal data past retention could not be erased",
                [{"error": retention_error}],
            )
        )
    return problems


def _request_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"shop": r.get("shop"), "order": r.get("order_name"),
         "fulfillment_order": r.get("fulfillment_order_id"), "wms_order": r.get("wms_order_ref"),
         **({"answer": str(r["kind"]).replace("_", " ")} if r.get("kind") else {}),
         "reason": r.get("reason"), "message": r.get("message"), "since": r.get("since")}
        for r in rows
    ]  # fmt: skip


# fulfillment_requests group -> (problem kind, what one row is, the rest of the title)
_REQUEST_PROBLEMS = {
    "rejected": (
        "rejected_requests",
        "fulfillment request",
        "rejected: the merchant sees why in Shopify",
    ),
    "refused_cancellations": (
        "refused_cancellations",
        "cancellation request",
        "the warehouse refused",
    ),
    "failed_answers": (
        "failed_request_answers",
        "answer",
        "to Shopify's requests could not be given",
    ),
}


def _fulfillment_services(name: str, section: Section) -> list[Problem]:
    problems: list[Problem] = []
    failing = [
        {"shop": e.get("shop"), "facility": e.get("facility"), "name": e.get("name"),
         "problem": e.get("problem"), "service_id": e.get("service_id"),
         "location_id": e.get("location_id"), "last_checked_at": e.get("last_checked_at")}
        for e in _rows(section.get("fulfillment_services"))
        if e.get("problem")
    ]  # fmt: skip
    if failing:
        title = f"{_plural(len(failing), 'fulfillment service')} not registered as configured"
        problems.append(Problem(name, "fulfillment_services", "attention", title, failing))
    requests = section.get("fulfillment_requests")
    for group, (kind, noun, tail) in _REQUEST_PROBLEMS.items():
        rows = _request_rows(_rows(_get(requests or {}, group)))
        if rows:
            title = f"{_plural(len(rows), noun)} {tail}"
            problems.append(Problem(name, kind, "attention", title, rows))
    return problems


def fulfillment_services(sections: Mapping[str, Section]) -> list[dict[str, Any]]:
    """Every fulfillment service order-intake knows of, problem or not (for the page)."""
    intake = sections.get("order-intake", {})
    return [
        {k: e.get(k) for k in ("shop", "facility", "name", "state", "service_id", "location_id",
                               "last_checked_at", "last_error", "problem")}
        for e in _rows(intake.get("fulfillment_services"))
    ]  # fmt: skip


def waiting_requests(sections: Mapping[str, Section]) -> dict[str, Any]:
    """Fulfillment requests sent to the warehouse and not answered yet: the oldest, and how many."""
    requests = _get(sections.get("order-intake", {}), "fulfillment_requests") or {}
    rows = _request_rows(_rows(_get(requests, "waiting_for_wms")))
    count = _get(requests, "waiting_for_wms_count")
    return {
        "count": count if isinstance(count, int) else len(rows),
        "oldest": [{k: v for k, v in r.items() if k not in ("reason", "message")} for r in rows],
    }


def _webhook_gateway(name: str, section: Section) -> list[Problem]:
    problems: list[Problem] = []
    shops = _get(section, "webhook_subscriptions", "shops") or {}
    unhealthy = [
        {"shop": shop, "missing": ", ".join(s.get("missing") or []), "error": s.get("error"),
         "checked_at": s.get("checked_at")}
        for shop, s in shops.items()
        if isinstance(s, Mapping) and not s.get("healthy") and not s.get("uninstalled_at")
    ]  # fmt: skip
    if unhealthy:
        title = f"webhook subscriptions incomplete for {_plural(len(unhealthy), 'shop')}"
        problems.append(Problem(name, "webhook_subscriptions", "attention", title, unhealthy))
    requests = _rows(_get(section, "privacy", "open_data_requests"))
    if requests:
        rows = [
            {"shop": r.get("shop"), "request": r.get("request_id"),
             "orders": len(r.get("order_ids") or []), "received_at": r.get("received_at"),
             "age_days": r.get("age_days")}
            for r in requests
        ]  # fmt: skip
        title = f"{_plural(len(rows), 'customer data request')} to export (due within 30 days)"
        problems.append(Problem(name, "data_requests", "attention", title, rows))
    return problems


def _fulfillment_sync(name: str, section: Section) -> list[Problem]:
    rows = _rows(_get(section, "shipments", "failed"))
    if not rows:
        return []
    title = f"{_plural(len(rows), 'shipment')} could not become a Shopify fulfillment"
    return [Problem(name, "fulfillment_failures", "attention", title, rows)]


def _cancellation(name: str, section: Section) -> list[Problem]:
    groups = _get(section, "cancellations", "needs_attention") or {}
    rows = [
        {"what": what.replace("_", " "), **row}
        for what, listed in groups.items()
        for row in _rows(listed)
    ]
    if not rows:
        return []
    title = f"{_plural(len(rows), 'cancellation')} need an operator"
    return [Problem(name, "cancellations_need_attention", "attention", title, rows)]


def _product(row: Mapping[str, Any]) -> dict[str, Any]:
    """The variant to fix, as the merchant finds it in Shopify's admin."""
    return {
        "product": row.get("product_title"),
        "variant": row.get("variant_title"),
        "product_id": row.get("product_id"),
        "variant_id": row.get("variant_id"),
    }


def _finding_total(finding: Any, listed: int) -> int:
    total = _get(finding, "total")
    return total if isinstance(total, int) and total >= listed else listed


def _catalog_shops(section: Section) -> list[dict[str, Any]]:
    return _rows(_get(section, "catalog", "shops"))


def catalog_problems(name: str, section: Section) -> list[Problem]:
    """inventory-sync's catalog findings, each with the products to fix, and failed full
    catalog syncs (also `shipbridge catalog problems`)."""
    problems: list[Problem] = []
    duplicates: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    totals = {"duplicates": 0, "missing": 0, "rejected": 0}
    failed_syncs: list[dict[str, Any]] = []
    for entry in _catalog_shops(section):
        shop = entry.get("shop")
        findings = entry.get("findings") or {}
        skus = _rows(_get(findings, "duplicate_skus", "skus"))
        totals["duplicates"] += _finding_total(_get(findings, "duplicate_skus"), len(skus))
        for finding in skus:
            variants = _rows(finding.get("variants")) or [{}]
            duplicates += [
                {"shop": shop, "sku": finding.get("sku"), **_product(v),
                 "since": finding.get("since")}
                for v in variants
            ]  # fmt: skip
        variants = _rows(_get(findings, "missing_sku", "variants"))
        totals["missing"] += _finding_total(_get(findings, "missing_sku"), len(variants))
        missing += [{"shop": shop, **_product(v)} for v in variants]
        refusals = _rows(_get(findings, "rejected_by_wms", "skus"))
        totals["rejected"] += _finding_total(_get(findings, "rejected_by_wms"), len(refusals))
        rejected += [
            {"shop": shop, "sku": r.get("sku"), "reason": r.get("reason"), **_product(r),
             "rejected_at": r.get("rejected_at")}
            for r in refusals
        ]  # fmt: skip
        failed_syncs += _failed_catalog_syncs(shop, entry)
    if totals["duplicates"]:
        title = (
            f"{_plural(totals['duplicates'], 'SKU')} on several variants: give each variant its "
            "own SKU (neither goes to the warehouse, orders carrying it are held back)"
        )
        problems.append(Problem(name, "catalog_duplicate_skus", "attention", title, duplicates))
    if totals["missing"]:
        title = (
            f"{_plural(totals['missing'], 'shippable variant')} without a SKU: give each a SKU "
            "so the warehouse can know it"
        )
        problems.append(Problem(name, "catalog_missing_skus", "attention", title, missing))
    if totals["rejected"]:
        title = (
            f"{_plural(totals['rejected'], 'item')} the warehouse rejected: fix the product "
            "(orders carrying it are held back)"
        )
        problems.append(Problem(name, "catalog_rejected_items", "attention", title, rejected))
    if failed_syncs:
        title = f"full catalog sync failed for {_plural(len(failed_syncs), 'shop')}"
        problems.append(Problem(name, "catalog_sync_failed", "attention", title, failed_syncs))
    return problems


def _failed_catalog_syncs(shop: Any, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The shop's newest full sync, when it failed and none was done since (newest first)."""
    for sync in _rows(entry.get("syncs")):
        if sync.get("state") == "done":
            return []
        if sync.get("state") == "failed":
            bulk = sync.get("bulk_operation") or {}
            return [
                {"shop": shop, "job_id": sync.get("job_id"), "error": sync.get("error"),
                 "bulk_operation": _get(bulk, "id"), "bulk_status": _get(bulk, "status"),
                 "attempts": sync.get("attempts"), "failed_at": sync.get("finished_at")}
            ]  # fmt: skip
    return []


def _last_catalog_sync(entry: Mapping[str, Any] | None) -> Any:
    if entry is None:
        return None
    done = [
        when
        for sync in _rows(entry.get("syncs"))
        if sync.get("state") == "done" and isinstance(when := sync.get("finished_at"), str)
    ]
    return max(done, default=None)


# Checks of every service, then of the services whose sections say more.
_ALL = (_availability, _dead_letters)
_BY_SERVICE = {
    "order-intake": (_order_intake,),
    "webhook-gateway": (_webhook_gateway,),
    "fulfillment-sync": (_fulfillment_sync,),
    "cancellation": (_cancellation,),
    "inventory-sync": (catalog_problems,),
}


def problems_of(sections: Mapping[str, Section]) -> list[Problem]:
    found = [
        problem
        for name, section in sections.items()
        for check in (*_ALL, *(_BY_SERVICE.get(name, ()) if section.get("up") else ()))
        for problem in check(name, section)
    ]
    return sorted(found, key=lambda p: SEVERITY.get(p.severity, 9))


def service_line(section: Section) -> dict[str, Any]:
    backlog = section.get("backlog") or {}
    oldest = [
        age
        for age in (
            backlog.get("outbox_oldest_age_s"),
            _get(section, "orders", "backlog", "oldest_age_s"),
        )
        if isinstance(age, int | float)
    ]
    return {
        "state": state_of(section),
        "queue_depth": backlog.get("queue_depth"),
        "in_flight": backlog.get("in_flight"),
        "outbox_pending": backlog.get("outbox_pending"),
        "oldest_pending_age_s": max(oldest) if oldest else None,
        "dead_letters": _get(section, "dead_letters", "open"),
    }


def shop_lines(sections: Mapping[str, Section]) -> dict[str, dict[str, Any]]:
    gateway = sections.get("webhook-gateway", {})
    intake = sections.get("order-intake", {})
    inventory = sections.get("inventory-sync", {})
    polls = _get(intake, "orders", "polling") or {}
    subscriptions = _get(gateway, "webhook_subscriptions", "shops") or {}
    feeds: dict[str, list[Mapping[str, Any]]] = {}
    for facility in _rows(_get(inventory, "inventory", "facilities")):
        feeds.setdefault(str(facility.get("shop")), []).append(facility)
    uninstalled = {
        **(_get(gateway, "uninstalled_shops") or {}),
        **(_get(intake, "uninstalled_shops") or {}),
    }
    catalogs = {str(entry.get("shop")): entry for entry in _catalog_shops(inventory)}
    shops = sorted(
        set(gateway.get("shops") or []) | set(polls) | set(subscriptions) | set(feeds)
        | set(uninstalled) | set(catalogs)
    )  # fmt: skip
    return {
        shop: {
            **_shop_line(shop, polls, subscriptions, feeds, uninstalled),
            "last_catalog_sync": _last_catalog_sync(catalogs.get(shop)),
        }
        for shop in shops
    }


def _shop_line(
    shop: str,
    polls: Mapping[str, Any],
    subscriptions: Mapping[str, Any],
    feeds: Mapping[str, list[Mapping[str, Any]]],
    uninstalled: Mapping[str, Any],
) -> dict[str, Any]:
    poll = polls.get(shop) or {}
    sub = subscriptions.get(shop)
    facilities = feeds.get(shop, [])
    # ISO timestamps of one service, all UTC: their text order is their time order.
    syncs = [
        when
        for f in facilities
        for when in (_get(f, "last_snapshot", "completed_at"), _get(f, "realtime", "last_push_at"))
        if isinstance(when, str)
    ]
    return {
        "last_order_poll": poll.get("last_poll_at"),
        "last_order_poll_result": poll.get("last_result"),
        "last_inventory_sync": max(syncs, default=None),
        "webhook_subscriptions": _subscription_state(sub),
        "uninstalled_at": uninstalled.get(shop)
        or (sub.get("uninstalled_at") if isinstance(sub, Mapping) else None),
    }


def _subscription_state(sub: Any) -> str | None:
    if not isinstance(sub, Mapping):
        return None
    if sub.get("healthy"):
        return "healthy"
    if sub.get("missing"):
        return "missing " + ", ".join(sub["missing"])
    return str(sub.get("error") or "not checked yet")


def overview(sections: Mapping[str, Section]) -> dict[str, Any]:
    """The status document: problems first, then services, shops and fulfillment services,
    then every section."""
    problems = problems_of(sections)
    return {
        "healthy": not problems,
        "problems": [p.as_json() for p in problems],
        "summary": {name: service_line(section) for name, section in sections.items()},
        "shops": shop_lines(sections),
        "fulfillment_services": fulfillment_services(sections),
        "requests_waiting_for_wms": waiting_requests(sections),
        "services": dict(sections),
    }
