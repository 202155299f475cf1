"""order-intake's part of the privacy promises: redact a customer or a whole shop, export what
it holds about some orders, and erase personal data past retention.

- customers/redact: the customer's WMS orders are scrubbed (by the orders Shopify names, and by
  the email or phone they were shipped to), and so are messages still held about those orders.
- shop/redact: everything about the shop goes (Shopify sends it 48 hours after an uninstall).
- retention: WMS orders shipped, or whose order was cancelled, more than
  PERSONAL_DATA_RETENTION_DAYS ago (default 90) are scrubbed the same way, on a schedule; so
  are dead letters that old.
"""

from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiohttp import web
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts import ShipmentSynced, ShopifyWebhook
from messaging import MessageContext
from messaging.personal_data import (
    MessageSelection,
    erase_personal_data_in_messages,
    erase_personal_data_in_old_dead_letters,
    personal_data_in_messages,
)
from order_intake import personal_data
from order_intake.deps import IntakeDeps
from service_runtime import require_operator
from service_runtime.requests import json_object, text_field
from shopify_admin.compliance import customer_request
from work_queue import WorkStats, periodic

log = structlog.get_logger(__name__)


class RetentionSettings(BaseSettings):
    """Deployment-wide (no service prefix): every service keeps personal data as long."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    personal_data_retention_days: float = 90.0
    retention_check_interval_s: float = 3600.0
    retention_batch_size: int = 500


async def on_customer_redact(webhook: ShopifyWebhook, ctx: MessageContext[IntakeDeps]) -> None:
    shop = ctx.shop
    request = customer_request(webhook.payload)
    touched = await personal_data.erase_orders(ctx.conn, shop, request.order_gids, request.contacts)
    messages = await erase_personal_data_in_messages(
        ctx.conn, MessageSelection.about_orders(shop, touched, request.contacts)
    )
    log.info("privacy.customer_redacted", orders=len(touched), messages=messages)


async def on_shop_redact(_: ShopifyWebhook, ctx: MessageContext[IntakeDeps]) -> None:
    shop = ctx.shop
    await personal_data.forget_shop(ctx.conn, shop)
    messages = await erase_personal_data_in_messages(
        ctx.conn, MessageSelection(shop, whole_shop=True)
    )
    log.info("privacy.shop_redacted", messages=messages)


async def on_shipment_synced(synced: ShipmentSynced, ctx: MessageContext[IntakeDeps]) -> None:
    """Retention of a WMS order's personal data counts from when nothing is left to ship."""
    if not synced.fulfillment_order_complete:
        return
    if not await personal_data.mark_shipped(ctx.conn, ctx.shop, synced.wms_order_ref):
        log.warning("shipment.for_unknown_wms_order", wms_order_ref=synced.wms_order_ref)


def privacy_routes(pool: asyncpg.Pool) -> list[web.RouteDef]:
    async def export(request: web.Request) -> web.Response:
        """POST /privacy/export {"shop", "order_ids"}: the personal data held for those orders."""
        require_operator(request)
        body = await json_object(request)
        shop = text_field(body, "shop")
        order_gids = [str(gid) for gid in body.get("order_ids") or []]
        async with pool.acquire() as conn:
            orders = await personal_data.export(conn, shop, order_gids)
            held = await personal_data_in_messages(
                conn, MessageSelection.about_orders(shop, set(order_gids))
            )
        return web.json_response(
            {
                "service": "order-intake",
                "wms_orders": orders,
                "held_messages": [m.as_json() for m in held],
            }
        )

    return [web.post("/privacy/export", export)]


class RetentionPurge:
    """The schedule that erases personal data past retention.

    Its rounds run on the one worker loop: nothing wakes it but the clock (every
    `retention_check_interval_s`), and a round that fails (the database is away) is logged and
    shown on /status until the next one catches up.
    """

    def __init__(self, pool: asyncpg.Pool, settings: RetentionSettings) -> None:
        self._pool = pool
        self._settings = settings
        self.stats = WorkStats("wms_orders_erased", "dead_letters_erased")
        self.last_run_at: datetime | None = None
        self.last_error: str | None = None

    async def run(self) -> None:
        await periodic("retention", self._round, self._settings.retention_check_interval_s).run()

    def status(self) -> dict[str, Any]:
        return {
            "last_run_at": self.last_run_at.isoformat() if self.last_run_at else None,
            "last_error": self.last_error,
            **self.stats.as_json(),
        }

    async def _round(self) -> int:
        try:
            erased = await self.purge_once()
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            raise
        else:
            self.last_error = None
        finally:
            self.last_run_at = datetime.now(UTC)
        return erased

    async def purge_once(self) -> int:
        """Erase everything due, a batch per transaction; returns how many WMS orders."""
        days = self._settings.personal_data_retention_days
        erased = 0
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                due = await personal_data.due_for_erasure(
                    conn, days, self._settings.retention_batch_size
                )
                await personal_data.erase(conn, due)
                for shop in {key.shop for key in due}:
                    orders = {key.order_gid for key in due if key.shop == shop}
                    await erase_personal_data_in_messages(
                        conn, MessageSelection.about_orders(shop, orders)
                    )
            erased += len(due)
            if len(due) < self._settings.retention_batch_size:
                break
        async with self._pool.acquire() as conn, conn.transaction():
            dead = await erase_personal_data_in_old_dead_letters(conn, days)
        self.stats.add("wms_orders_erased", erased)
        self.stats.add("dead_letters_erased", dead)
        if erased or dead:
            log.info("retention.personal_data_erased", wms_orders=erased, dead_letters=dead)
        return erased
