"""Applying one order as Shopify has it now: the single path every trigger ends in.

The sync worker (webhooks), the polling download and the operator's re-sync all call
`apply_order` inside a transaction of their own: lock the order, load what was already decided,
decide, save, and queue the resulting WMS commands in the outbox, all committed together.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from pydantic import BaseModel

from contracts import Envelope, new_envelope, order_correlation_id
from messaging import add_to_outbox
from order_intake import store
from order_intake.domain import Decision, decide
from order_intake.shopify_order import parse_order
from shop_config import ShopConfig
from storage import Connection

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Applied:
    order_gid: str
    order_name: str
    updated_at: datetime
    decision: Decision | None
    """None when a newer version of the order had already been applied (this read was stale)."""


async def apply_order(
    conn: Connection, shop: ShopConfig, order_json: Mapping[str, Any], now: datetime
) -> Applied:
    """Decide about one order (a ShipbridgeOrder node) and record it; call inside a transaction."""
    order = parse_order(order_json)
    await store.lock_order(conn, shop.domain, order.id)
    applied_update = await store.last_applied_update(conn, shop.domain, order.id)
    if applied_update is not None and order.updated_at < applied_update:
        # Read before a newer version that is already applied (e.g. a poll page fetched before
        # a webhook-triggered read): applying it would step back in time.
        log.info("order.stale_read_skipped", order=order.name)
        return Applied(order.id, order.name, order.updated_at, None)
    already_sent = await store.sent_fulfillment_orders(conn, shop.domain, order.id)
    decision = decide(order, shop, already_sent, now)
    await store.save_decision(conn, shop.domain, order, decision)
    await add_to_outbox(conn, _commands(shop.domain, order.id, decision))
    log.info(
        "order.decided",
        order=order.name,
        state=decision.state,
        reason=decision.reason,
        creates=len(decision.creates),
        holds=len(decision.holds),
        releases=len(decision.releases),
        updates=len(decision.updates),
    )
    return Applied(order.id, order.name, order.updated_at, decision)


def _commands(shop: str, order_gid: str, decision: Decision) -> list[Envelope]:
    correlation_id = order_correlation_id(shop, order_gid)
    messages: list[tuple[str, BaseModel]] = [
        *(("wms.order.create", c) for c in decision.creates),
        *(("wms.order.hold", h) for h in decision.holds),
        *(("wms.order.release", r) for r in decision.releases),
        *(("wms.order.update", u) for u in decision.updates),
    ]
    return [
        new_envelope(kind, payload, shop=shop, correlation_id=correlation_id)
        for kind, payload in messages
    ]
