"""Shops that uninstalled the app: order-intake stops syncing them.

After app/uninstalled the shop's token is revoked: polling would only fail, and reading an order
a webhook names would too. So the shop is marked, its pending reads are dropped, polling skips
it and its order webhooks are ignored. A webhook Shopify triggered after the uninstall can only
come from a reinstalled app: it clears the mark (Shopify sends nothing on install itself).
"""

from datetime import datetime

import structlog

from contracts import ShopifyWebhook
from messaging import MessageContext
from order_intake.deps import IntakeDeps
from storage import Connection

log = structlog.get_logger(__name__)


async def on_app_uninstalled(webhook: ShopifyWebhook, ctx: MessageContext[IntakeDeps]) -> None:
    at = webhook.triggered_at or webhook.received_at
    shop = ctx.shop
    await ctx.conn.execute(
        """
        INSERT INTO uninstalled_shops (shop, uninstalled_at) VALUES ($1, $2)
        ON CONFLICT (shop) DO UPDATE
        SET uninstalled_at = GREATEST(uninstalled_shops.uninstalled_at, EXCLUDED.uninstalled_at)
        """,
        shop,
        at,
    )
    dropped = await ctx.conn.execute("DELETE FROM pending_syncs WHERE shop = $1", shop)
    log.warning("shop.uninstalled_sync_stopped", at=at.isoformat(), dropped=dropped)


async def still_uninstalled(conn: Connection, shop: str, triggered_at: datetime | None) -> bool:
    """Whether to ignore a webhook of the shop; a webhook newer than the uninstall reinstates it."""
    uninstalled_at = await conn.fetchval(
        "SELECT uninstalled_at FROM uninstalled_shops WHERE shop = $1", shop
    )
    if uninstalled_at is None:
        return False
    if triggered_at is not None and triggered_at > uninstalled_at:
        await conn.execute("DELETE FROM uninstalled_shops WHERE shop = $1", shop)
        log.warning("shop.reinstalled", uninstalled_at=uninstalled_at.isoformat())
        return False
    return True


async def is_uninstalled(conn: Connection, shop: str) -> bool:
    found = await conn.fetchval("SELECT 1 FROM uninstalled_shops WHERE shop = $1", shop)
    return found is not None


async def uninstalled_shops(conn: Connection) -> dict[str, str]:
    rows = await conn.fetch("SELECT shop, uninstalled_at FROM uninstalled_shops ORDER BY shop")
    return {r["shop"]: r["uninstalled_at"].isoformat() for r in rows}
