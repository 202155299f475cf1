"""Catalog findings from inventory-sync (`catalog.findings.changed`): kept per shop, latest
`as_of` wins, and an order line carrying a duplicate or WMS-rejected SKU fails the checks."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from contracts import INTERNAL_EVENTS, Envelope, new_envelope
from messaging.amqp import publish_envelope
from order_intake.app import DEFINITION
from order_intake.catalog_findings import problems
from order_intake.deps import IntakeDeps
from order_intake.domain import CatalogProblems, catalog_problems, decide
from shop_config import ShopsConfig
from testkit.handlers import handle, handler_pool
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually

from .conftest import DOMAIN as INTAKE_SHOP
from .conftest import IntakeFactory
from .test_domain import NOW, fo, line, order, shop

DOMAIN = "findings.myshopify.com"
DEPS = IntakeDeps(ShopsConfig({}))
AS_OF = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
DUPLICATE = "SKU ABC-1 is on several variants: fix the catalog"
REJECTED = "the warehouse rejected item ABC-2: barcode 0123 is already held for SKU ABC-9"
CATALOG = CatalogProblems(
    duplicate_skus=frozenset({"ABC-1"}),
    rejected_skus={"ABC-2": "barcode 0123 is already held for SKU ABC-9"},
)


# --- the pure check -------------------------------------------------------------------------


def test_a_line_with_a_duplicate_or_rejected_sku_fails_the_checks_with_the_reason() -> None:
    the_order = order(fo(1, line(11, "ABC-1"), line(12, "FINE"), line(13, "ABC-2")))
    decision = decide(the_order, shop(), [], NOW, catalog=CATALOG)
    assert (decision.state, decision.creates) == ("rejected_by_checks", ())
    assert decision.reason == f"{DUPLICATE}; {REJECTED}"


def test_each_sku_is_named_once_and_after_the_orders_own_problems() -> None:
    the_order = order(
        fo(1, line(11, "ABC-1"), line(12, None, title="Gift")),
        fo(2, line(21, " ABC-1 "), location="gid://shopify/Location/2"),
    )
    decision = decide(the_order, shop(), [], NOW, catalog=CATALOG)
    assert decision.reason == f"line 2 (Gift) has no SKU; {DUPLICATE}"


def test_a_sku_both_duplicate_and_rejected_gets_both_reasons() -> None:
    both = CatalogProblems(frozenset({"X"}), {"X": "no weight"})
    assert catalog_problems(["X"], both) == [
        "SKU X is on several variants: fix the catalog",
        "the warehouse rejected item X: no weight",
    ]


def test_without_findings_or_with_other_skus_the_order_goes_out() -> None:
    assert decide(order(), shop(), [], NOW).state == "sent"
    assert decide(order(), shop(), [], NOW, catalog=CATALOG).state == "sent"
    # Lines that do not ship are not the warehouse's business.
    not_shipped = order(fo(1, line(11, "FINE"), line(12, "ABC-1", ships=False)))
    assert decide(not_shipped, shop(), [], NOW, catalog=CATALOG).state == "sent"


# --- the handler ----------------------------------------------------------------------------


@pytest.fixture
async def pool(isolated_database: IsolatedDatabase) -> AsyncIterator[asyncpg.Pool]:
    async with handler_pool(DEFINITION, isolated_database) as pool:
        yield pool


def findings(
    *,
    duplicates: tuple[str, ...] = (),
    rejected: dict[str, str] | None = None,
    as_of: datetime = AS_OF,
) -> Envelope:
    data: dict[str, Any] = {
        "duplicate_skus": list(duplicates),
        "rejected_skus": rejected or {},
        "as_of": as_of.isoformat(),
    }
    return new_envelope("catalog.findings.changed", data, shop=DOMAIN)


async def kept(pool: asyncpg.Pool, shop_domain: str = DOMAIN) -> CatalogProblems:
    async with pool.acquire() as conn:
        return await problems(conn, shop_domain)


async def test_the_latest_findings_of_a_shop_are_kept_and_older_ones_ignored(
    pool: asyncpg.Pool,
) -> None:
    assert await kept(pool) == CatalogProblems()
    first = findings(duplicates=("ABC-1",), rejected={"ABC-2": "no"})
    assert await handle(pool, DEFINITION, DEPS, first) == []
    assert await kept(pool) == CatalogProblems(frozenset({"ABC-1"}), {"ABC-2": "no"})

    late = findings(duplicates=("OLD",), as_of=AS_OF - timedelta(minutes=1))
    await handle(pool, DEFINITION, DEPS, late)
    await handle(pool, DEFINITION, DEPS, first)  # the same again
    assert (await kept(pool)).duplicate_skus == {"ABC-1"}

    await handle(pool, DEFINITION, DEPS, findings(as_of=AS_OF + timedelta(minutes=1)))
    assert await kept(pool) == CatalogProblems()  # whole: an empty list clears them
    assert await kept(pool, "other.myshopify.com") == CatalogProblems()


async def insert_order(pool: asyncpg.Pool, gid: str, state: str, reason: str | None) -> None:
    await pool.execute(
        "INSERT INTO orders (shop, order_gid, order_name, state, reason, shopify_updated_at) "
        "VALUES ($1, $2, $3, $4, $5, now())",
        DOMAIN,
        gid,
        f"#{gid.rsplit('/', 1)[1]}",
        state,
        reason,
    )


async def test_orders_held_back_for_a_sku_that_is_no_longer_a_problem_are_read_again(
    pool: asyncpg.Pool,
) -> None:
    await handle(
        pool,
        DEFINITION,
        DEPS,
        findings(duplicates=("ABC-1", "AB_1"), rejected={"ABC-2": "barcode 0123 ..."}),
    )
    await insert_order(pool, "gid://shopify/Order/1", "rejected_by_checks", DUPLICATE)
    await insert_order(pool, "gid://shopify/Order/2", "rejected_by_checks", REJECTED)
    await insert_order(
        pool, "gid://shopify/Order/3", "rejected_by_checks", "SKU AB_1 is on several variants"
    )
    await insert_order(pool, "gid://shopify/Order/4", "rejected_by_checks", "order has no city")
    await insert_order(pool, "gid://shopify/Order/5", "sent", None)

    # ABC-1 is fixed; ABC-2 and AB_1 are still wrong (and `_` in a SKU matches only itself).
    later = findings(
        duplicates=("AB_1",), rejected={"ABC-2": "still"}, as_of=AS_OF + timedelta(hours=1)
    )
    await handle(pool, DEFINITION, DEPS, later)

    reads = await pool.fetch("SELECT order_gid, reason FROM pending_syncs")
    assert [(r["order_gid"], r["reason"]) for r in reads] == [
        ("gid://shopify/Order/1", "catalog findings cleared")
    ]


# --- through the service ----------------------------------------------------------------------


async def test_an_order_with_a_duplicate_sku_is_held_back_then_sent_once_the_catalog_is_fixed(
    intake: IntakeFactory,
) -> None:
    sku = "SKU-00007"
    async with intake() as world:

        async def tell(duplicates: list[str], as_of: datetime) -> None:
            data = {"duplicate_skus": duplicates, "rejected_skus": {}, "as_of": as_of.isoformat()}
            told = new_envelope("catalog.findings.changed", data, shop=INTAKE_SHOP)
            await publish_envelope(world.channel, told, INTERNAL_EVENTS)

            async def kept_now() -> bool:
                stored = await world.runtime.pool.fetchval(
                    "SELECT as_of FROM catalog_findings WHERE shop = $1", INTAKE_SHOP
                )
                return bool(stored == as_of)

            await eventually(kept_now)

        await tell([sku], AS_OF)
        created = await world.create_order([(sku, 1, "Shop location")])
        await world.webhook("orders/create", created["id"])
        reason = await world.wait_state(created["id"], "rejected_by_checks")
        assert reason == f"SKU {sku} is on several variants: fix the catalog"
        await world.settled()
        assert world.creates_for(created["name"]) == []

        await tell([], AS_OF + timedelta(hours=1))  # the merchant fixed the catalog
        [create] = await world.wait_creates(created["name"], 1)
        assert create["lines"][0]["sku"] == sku
