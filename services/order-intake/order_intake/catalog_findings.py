"""The shop's catalog findings, from inventory-sync (`catalog.findings.changed`), kept for the
order checks.

inventory-sync owns the catalog and its findings (a SKU on several variants, an item the WMS
rejected); it sends them whole whenever they change. Only the latest `as_of` per shop is kept,
so a repeated or late message changes nothing. Orders carrying these SKUs fail the checks
(domain.catalog_problems) rather than going to the warehouse; when a SKU stops being a problem,
the orders held back for it are read again, and go out if nothing else stops them.
"""

import structlog

from contracts import CatalogFindings
from messaging import MessageContext
from order_intake import store
from order_intake.deps import IntakeDeps
from order_intake.domain import NO_CATALOG_PROBLEMS, CatalogProblems
from storage import Connection

log = structlog.get_logger(__name__)


async def on_catalog_findings(findings: CatalogFindings, ctx: MessageContext[IntakeDeps]) -> None:
    before = await problems(ctx.conn, ctx.shop)
    if not await _keep(ctx.conn, ctx.shop, findings):
        log.info("catalog.findings_stale", shop=ctx.shop, as_of=findings.as_of.isoformat())
        return
    cleared = sorted(before.skus - set(findings.duplicate_skus) - findings.rejected_skus.keys())
    rereads = await _reread_orders_held_for(ctx.conn, ctx.shop, cleared) if cleared else 0
    log.info(
        "catalog.findings_kept",
        shop=ctx.shop,
        duplicate_skus=len(findings.duplicate_skus),
        rejected_skus=len(findings.rejected_skus),
        cleared=cleared,
        orders_read_again=rereads,
    )


async def problems(conn: Connection, shop: str) -> CatalogProblems:
    """The shop's SKU problems as last told (none when inventory-sync never said)."""
    row = await conn.fetchrow(
        "SELECT duplicate_skus, rejected_skus FROM catalog_findings WHERE shop = $1", shop
    )
    if row is None:
        return NO_CATALOG_PROBLEMS
    return CatalogProblems(frozenset(row["duplicate_skus"]), dict(row["rejected_skus"]))


async def _keep(conn: Connection, shop: str, findings: CatalogFindings) -> bool:
    """Store the findings unless newer ones are already kept; True when stored."""
    stored = await conn.fetchval(
        """
        INSERT INTO catalog_findings (shop, duplicate_skus, rejected_skus, as_of)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (shop) DO UPDATE
        SET duplicate_skus = EXCLUDED.duplicate_skus,
            rejected_skus = EXCLUDED.rejected_skus,
            as_of = EXCLUDED.as_of,
            received_at = now()
        WHERE catalog_findings.as_of < EXCLUDED.as_of
        RETURNING true
        """,
        shop,
        sorted(set(findings.duplicate_skus)),
        findings.rejected_skus,
        findings.as_of,
    )
    return stored is not None


async def _reread_orders_held_for(conn: Connection, shop: str, skus: list[str]) -> int:
    """Ask for a read of every order of the shop the checks held back for one of these SKUs
    (its reason names the SKU in domain.catalog_problems' words); returns how many."""
    patterns = [
        pattern
        for sku in skus
        for pattern in (
            f"%SKU {_like_escaped(sku)} is on several variants%",
            f"%the warehouse rejected item {_like_escaped(sku)}:%",
        )
    ]
    order_gids = await conn.fetch(
        "SELECT order_gid FROM orders "
        "WHERE shop = $1 AND state = 'rejected_by_checks' AND reason LIKE ANY($2::text[])",
        shop,
        patterns,
    )
    for row in order_gids:
        await store.request_sync(conn, shop, row["order_gid"], "catalog findings cleared")
    return len(order_gids)


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
