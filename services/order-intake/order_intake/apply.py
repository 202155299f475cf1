"""Applying one order as Shopify has it now: the single path every trigger ends in.

The sync worker (webhooks), the polling download and the operator's re-sync all call
`apply_order(s)` inside a transaction of their own: lock the orders, load what was already
decided, decide, save, and queue the resulting WMS commands and events in the outbox, all
committed together.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from pydantic import BaseModel

from contracts import (
    Envelope,
    FulfillmentOrderLineRef,
    ShopifyOrderCancelled,
    WmsOrderCreate,
    WmsOrderSent,
    new_envelope,
    order_correlation_id,
)
from messaging import add_to_outbox
from order_intake import catalog_findings, registry_store, store
from order_intake.domain import Decision, Order, decide
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
    [applied] = await apply_orders(conn, shop, [order_json], now)
    return applied


async def apply_orders(
    conn: Connection, shop: ShopConfig, orders_json: Sequence[Mapping[str, Any]], now: datetime
) -> list[Applied]:
    """`apply_order` for many orders of one shop at once, in the caller's transaction.

    Each statement covers the whole batch (one lock call, one read of past decisions, one of
    sent FOs, one write per table), so a batch of 100 costs about as many round trips as one
    order did. The orders must be distinct.
    """
    orders = [parse_order(order_json) for order_json in orders_json]
    gids = [order.id for order in orders]
    if shop.service_facilities:
        # Where Shopify put the shop's fulfillment services: their FOs are this shop's too.
        shop = shop.with_service_locations(
            await registry_store.service_locations(conn, shop.domain)
        )
    if len(set(gids)) != len(gids):
        raise ValueError("apply_orders needs distinct orders")
    await store.lock_orders(conn, shop.domain, gids)
    last_decisions = await store.last_decisions(conn, shop.domain, gids)
    sent = await store.sent_fulfillment_orders(conn, shop.domain, gids)
    catalog = await catalog_findings.problems(conn, shop.domain)
    results: list[Applied] = []
    decided: list[tuple[Order, Decision]] = []
    messages: list[Envelope] = []
    for order in orders:
        last = last_decisions.get(order.id)
        if last is not None and order.updated_at < last.shopify_updated_at:
            # Read before a newer version that is already applied (e.g. a poll page fetched
            # before a webhook-triggered read): applying it would step back in time.
            log.info("order.stale_read_skipped", order=order.name)
            results.append(Applied(order.id, order.name, order.updated_at, None))
            continue
        decision = decide(
            order,
            shop,
            sent.get(order.id, []),
            now,
            share_email=shop.wms_order.share_customer_email,  # shop_config wms_order
            catalog=catalog,
        )
        newly_cancelled = decision.state == "cancelled" and (
            last is None or last.state != "cancelled"
        )
        decided.append((order, decision))
        messages += _messages(shop.domain, order, decision, newly_cancelled, now)
        results.append(Applied(order.id, order.name, order.updated_at, decision))
        log.info(
            "order.decided",
            order=order.name,
            state=decision.state,
            reason=decision.reason,
            creates=len(decision.creates),
            holds=len(decision.holds),
            releases=len(decision.releases),
            updates=len(decision.updates),
            reduces=len(decision.reduces),
            cancels=len(decision.cancels),
            resent=sorted(decision.resent),
            answers=[a.kind for a in decision.answers],
        )
    await store.save_decisions(conn, shop.domain, decided)
    await add_to_outbox(conn, messages)
    return results


def _messages(
    shop: str, order: Order, decision: Decision, newly_cancelled: bool, now: datetime
) -> list[Envelope]:
    """The WMS commands of the decision, and what the other services need to know of it."""
    locations = {fo.id: fo.location_id for fo in order.fulfillment_orders}
    messages: list[tuple[str, BaseModel]] = [
        *(("wms.order.create", c) for c in decision.creates),
        *(("wms.order.hold", h) for h in decision.holds),
        *(("wms.order.release", r) for r in decision.releases),
        *(("wms.order.update", u) for u in decision.updates),
        *(("wms.order.reduce", r) for r in decision.reduces),
        *(("wms.order.cancel", c) for c in decision.cancels),
        *(("orders.wms_order.sent", _sent(c, locations, now)) for c in decision.creates),
    ]
    if newly_cancelled:
        assert order.cancelled_at is not None
        cancelled = ShopifyOrderCancelled(
            shopify_order_id=order.id,
            shopify_order_name=order.name,
            cancelled_at=order.cancelled_at,
            reason=order.cancel_reason,
        )
        messages.append(("orders.order.cancelled", cancelled))
    correlation_id = order_correlation_id(shop, order.id)
    return [
        new_envelope(kind, payload, shop=shop, correlation_id=correlation_id)
        for kind, payload in messages
    ]


def _sent(
    create: WmsOrderCreate, locations: Mapping[str, str | None], now: datetime
) -> WmsOrderSent:
    return WmsOrderSent(
        wms_order_ref=create.wms_order_ref,
        shopify_order_id=create.shopify_order_id,
        shopify_order_name=create.shopify_order_name,
        fulfillment_order_id=create.fulfillment_order_id,
        facility=create.facility,
        location_id=locations[create.fulfillment_order_id],
        placed_at=create.placed_at,
        sent_at=now,
        lines=[
            FulfillmentOrderLineRef(line_ref=line.line_ref, sku=line.sku, quantity=line.quantity)
            for line in create.lines
        ],
    )
