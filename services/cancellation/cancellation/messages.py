"""What cancellation tells others, always inside the caller's transaction (through the outbox):
the warehouse (`wms.order.cancel`) and inventory-sync (`cancellations.order.restocked`)."""

from datetime import datetime
from uuid import UUID

import structlog
from pydantic import BaseModel

from cancellation import domain, store
from cancellation.domain import WmsOrder
from contracts import OrderRestocked, WmsOrderCancel, new_envelope, order_correlation_id
from messaging import add_to_outbox
from storage import Connection

log = structlog.get_logger(__name__)


async def ask_warehouse_to_cancel(
    conn: Connection,
    shop: str,
    order: WmsOrder,
    shopify_reason: str | None,
    now: datetime,
    causation_id: UUID | None,
) -> None:
    """Send `wms.order.cancel` once for this WMS order; its answer is tracked."""
    await store.insert_cancel_request(conn, shop, order, "requested", None)
    command = WmsOrderCancel(
        wms_order_ref=order.ref,
        reason=domain.warehouse_cancel_reason(shopify_reason),
        requested_at=now,
    )
    await _send(conn, shop, order, "wms.order.cancel", command, causation_id)
    log.info("cancellation.warehouse_asked", wms_order_ref=order.ref)


async def announce_restock(
    conn: Connection,
    shop: str,
    order: WmsOrder,
    *,
    restocked_in_shopify: bool,
    causation_id: UUID | None,
) -> bool:
    """Tell inventory-sync that the unshipped units of a cancelled WMS order are back, once per
    WMS order whichever direction the cancellation came from. False if nothing was announced
    (everything had shipped, or it was announced before)."""
    lines = domain.restocked_lines(order)
    restock_id = domain.restock_id(shop, order.ref)
    if not lines or not await store.record_restock(
        conn, restock_id, shop, order.ref, restocked_in_shopify, lines
    ):
        return False
    event = OrderRestocked(
        restock_id=restock_id,
        wms_order_ref=order.ref,
        shopify_order_id=order.order_gid,
        facility=order.facility,
        location_id=order.location_id,
        restocked_in_shopify=restocked_in_shopify,
        lines=lines,
    )
    await _send(conn, shop, order, "cancellations.order.restocked", event, causation_id)
    log.info(
        "cancellation.restocked",
        wms_order_ref=order.ref,
        units=sum(line.quantity for line in lines),
        restocked_in_shopify=restocked_in_shopify,
    )
    return True


async def _send(
    conn: Connection,
    shop: str,
    order: WmsOrder,
    message_type: str,
    payload: BaseModel,
    causation_id: UUID | None,
) -> None:
    # The order's own correlation id, whichever message caused this one: everything about one
    # order can be followed across services.
    envelope = new_envelope(
        message_type,
        payload,
        shop=shop,
        correlation_id=order_correlation_id(shop, order.order_gid),
        causation_id=causation_id,
    )
    await add_to_outbox(conn, envelope)
