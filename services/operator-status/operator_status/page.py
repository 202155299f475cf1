"""The status page for people: the overview (overview.py) as one small HTML page, problems
first. Server-rendered, no script; it refreshes itself. Every value is escaped: reasons and
errors come from other systems."""

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

REFRESH_S = 10
MAX_ROWS = 20
_TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$"
)

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d232b}
header{padding:16px 28px;color:#fff;display:flex;align-items:baseline;gap:16px}
header.healthy{background:#1f7a4d} header.attention{background:#b3261e}
header h1{margin:0;font-size:20px} header span{opacity:.85}
main{padding:8px 28px 40px;max-width:1400px}
h2{font-size:16px;margin:24px 0 8px;text-transform:uppercase;letter-spacing:.04em;color:#4a5562}
.problem{background:#fff;border-left:5px solid #d08a00;border-radius:4px;margin:10px 0;
 padding:10px 14px;box-shadow:0 1px 2px #0001}
.problem.critical{border-left-color:#b3261e}
.problem h3{margin:0 0 6px;font-size:15px}
.tag{font-size:12px;background:#e8ebef;border-radius:3px;padding:1px 6px;margin-right:6px}
table{border-collapse:collapse;background:#fff;width:100%;margin:4px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e8ebef;vertical-align:top}
th{font-weight:600;color:#4a5562;background:#fafbfc}
td.bad{color:#b3261e;font-weight:600} td.ok{color:#1f7a4d}
.muted{color:#8a94a0} details{background:#fff;margin:6px 0;padding:6px 12px;border-radius:4px}
summary{cursor:pointer;font-weight:600}
"""


def _scalar(value: Any) -> str:
    if value is None:
        return "<span class='muted'>-</span>"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        match = _TIMESTAMP.match(value)
        if match:  # ISO timestamps: shorter, to the second
            return html.escape(f"{match[1]} {match[2]}")
    return html.escape(str(value))


def _table(rows: Sequence[Mapping[str, Any]], depth: int, first: str | None = None) -> str:
    shown = list(rows)[:MAX_ROWS]
    columns: list[str] = [first] if first else []
    for row in shown:
        columns += [k for k in row if k not in columns]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{render_value(row.get(c), depth + 1)}</td>" for c in columns)
        + "</tr>"
        for row in shown
    )
    more = len(rows) - len(shown)
    tail = f"<div class='muted'>and {more} more</div>" if more > 0 else ""
    return f"<table><tr>{head}</tr>{body}</table>{tail}"


def render_value(value: Any, depth: int = 0) -> str:
    """Any JSON value as HTML: objects as tables, lists of objects as tables with one row each,
    so a section whose shape the page does not know is still readable."""
    if isinstance(value, Mapping):
        if not value:
            return "<span class='muted'>none</span>"
        if depth < 3 and all(isinstance(v, Mapping) and v for v in value.values()):
            return _table([{"": k, **v} for k, v in value.items()], depth, first="")
        rows = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{render_value(v, depth + 1)}</td></tr>"
            for k, v in value.items()
        )
        return f"<table>{rows}</table>"
    if isinstance(value, list):
        if not value:
            return "<span class='muted'>none</span>"
        if all(isinstance(v, Mapping) for v in value):
            return _table(value, depth)
        return ", ".join(_scalar(v) for v in value)
    return _scalar(value)


def _problems(problems: Sequence[Mapping[str, Any]]) -> str:
    if not problems:
        return "<p class='muted'>Nothing needs attention.</p>"
    return "".join(
        f"<section class='problem {html.escape(p['severity'])}' "
        f"data-kind='{html.escape(p['kind'])}'>"
        f"<h3><span class='tag'>{html.escape(p['service'])}</span>{html.escape(p['title'])}</h3>"
        f"{_table(p['rows'], 1) if p['rows'] else ''}</section>"
        for p in problems
    )


def _state_cell(state: str, shown: str | None = None) -> str:
    css = "ok" if state == "ready" else "bad"
    return f"<td class='{css}'>{html.escape(state if shown is None else shown)}</td>"


def _services(summary: Mapping[str, Mapping[str, Any]]) -> str:
    columns = ("queue_depth", "in_flight", "outbox_pending", "oldest_pending_age_s", "dead_letters")
    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in ("service", "state", *columns))
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td>{_state_cell(line['state'])}"
        + "".join(f"<td>{_scalar(line.get(c))}</td>" for c in columns)
        + "</tr>"
        for name, line in sorted(summary.items(), key=lambda kv: (kv[1]["state"] == "ready", kv[0]))
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _shops(shops: Mapping[str, Mapping[str, Any]]) -> str:
    if not shops:
        return "<p class='muted'>No shop reported yet.</p>"
    columns = (
        "last_order_poll",
        "last_order_poll_result",
        "last_inventory_sync",
        "last_catalog_sync",
        "webhook_subscriptions",
        "uninstalled_at",
    )
    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in ("shop", *columns))
    rows = "".join(
        f"<tr><td>{html.escape(shop)}</td>"
        + "".join(f"<td>{_scalar(line.get(c))}</td>" for c in columns)
        + "</tr>"
        for shop, line in shops.items()
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _service_state(state: Any) -> str:
    shown = str(state or "unknown")
    return _state_cell("ready" if shown == "registered" else shown, shown.replace("_", " "))


def _fulfillment_services(doc: Mapping[str, Any]) -> str:
    """Each facility connected as a Shopify fulfillment service (its state and the location
    Shopify made for it), and the requests waiting for the warehouse; nothing when there is
    neither (a deployment of merchant-managed locations only, or an older order-intake)."""
    services = doc.get("fulfillment_services") or []
    waiting = doc.get("requests_waiting_for_wms") or {}
    if not services and not waiting.get("count"):
        return ""
    columns = ("service_id", "location_id", "last_checked_at", "problem")
    head = "".join(
        f"<th>{c.replace('_', ' ')}</th>" for c in ("shop", "facility", "name", "state", *columns)
    )
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{_scalar(s.get(c))}</td>" for c in ("shop", "facility", "name"))
        + _service_state(s.get("state"))
        + "".join(f"<td>{_scalar(s.get(c))}</td>" for c in columns)
        + "</tr>"
        for s in services
    )
    table = f"<table><tr>{head}</tr>{rows}</table>" if services else ""
    count = waiting.get("count") or 0
    oldest = waiting.get("oldest") or []
    listed = (
        f"<h3 id='waiting-requests'>{count} fulfillment request{'' if count == 1 else 's'} "
        f"waiting for the warehouse</h3>{_table(oldest, 1) if oldest else ''}"
        if count
        else ""
    )
    return f"<h2 id='fulfillment-services'>Fulfillment services</h2>{table}{listed}"


def _details(services: Mapping[str, Mapping[str, Any]]) -> str:
    return "".join(
        f"<details><summary>{html.escape(name)}</summary>{render_value(section)}</details>"
        for name, section in services.items()
    )


def render(doc: Mapping[str, Any], generated_at: str) -> str:
    problems = doc["problems"]
    verdict = "healthy" if doc["healthy"] else f"{len(problems)} need attention"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='refresh' content='{REFRESH_S}'>"
        f"<title>shipbridge: {html.escape(verdict)}</title><style>{_STYLE}</style></head><body>"
        f"<header class='{'healthy' if doc['healthy'] else 'attention'}'>"
        f"<h1>shipbridge: {html.escape(verdict)}</h1>"
        f"<span>{_scalar(generated_at)} UTC, refreshes every {REFRESH_S} s</span></header><main>"
        f"<h2 id='problems'>Needs attention</h2>{_problems(problems)}"
        f"<h2 id='shops'>Shops</h2>{_shops(doc['shops'])}"
        f"{_fulfillment_services(doc)}"
        f"<h2 id='services'>Services</h2>{_services(doc['summary'])}"
        f"<h2 id='details'>Everything each service reports</h2>{_details(doc['services'])}"
        "</main></body></html>"
    )
