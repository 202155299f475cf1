"""Retention purge: erasing the personal data of WMS orders shipped more than 90 days ago.

order-intake's purge (order_intake.privacy.RetentionPurge) reads a batch of due WMS orders
with one statement, scrubs them in Python and writes them back with one batched statement per
transaction. The baseline, measured in the same run on the same rows, is the obvious loop: one
transaction per WMS order, reading and updating it. Both leave the same rows behind (checked).

`python -m bench.privacy_retention [--quick]` (20,000 WMS orders, or 2,000).
"""

import argparse
import json
import time
from collections.abc import Awaitable, Callable

import asyncpg
import uvloop

from bench.infra import scratch
from messaging.personal_data import scrub
from order_intake.app import DEFINITION as INTAKE
from order_intake.privacy import RetentionPurge, RetentionSettings
from service_runtime import ServiceRuntime
from storage import create_pool
from testkit.services import test_settings

ORDERS = 20_000
QUICK_ORDERS = 2_000
SHOP = "bench.myshopify.com"


def payload(n: int) -> dict[str, object]:
    return {
        "wms_order_ref": f"#{n}", "shopify_order_id": f"gid://shopify/Order/{n}",
        "shopify_order_name": f"#{n}", "fulfillment_order_id": f"gid://shopify/FulfillmentOrder/{n}",
        "facility": "WH1", "placed_at": "2026-06-01T10:00:00Z", "on_hold": False,
        "hold_reason": None, "ship_by": None, "cash_on_delivery": False,
        "shipping_method": {"code": "standard", "title": "Standard"},
        "ship_to": {"name": f"Customer {n}", "company": None, "address1": f"{n} Main St",
                    "address2": None, "city": "Toronto", "province_code": "ON",
                    "postal_code": "M5H 2M9", "country_code": "CA", "phone": "+1 416 555 0100",
                    "email": None},
        "bill_to": None, "note": "leave at the door", "tags": [],
        "lines": [{"line_ref": f"gid://shopify/FulfillmentOrderLineItem/{n}", "sku": "SKU-1",
                   "quantity": 1, "title": "Mug"}],
    }  # fmt: skip


async def seed(pool: asyncpg.Pool, count: int) -> None:
    await pool.execute("TRUNCATE wms_orders")
    await pool.executemany(
        """
        INSERT INTO wms_orders (shop, wms_order_ref, order_gid, fulfillment_order_id, facility,
                                on_hold, sent_payload, sent_at, shipped_at)
        VALUES ($1, $2, $3, $4, 'WH1', false, $5, now() - interval '120 days',
                now() - interval '100 days')
        """,
        [
            (SHOP, f"#{n}", f"gid://shopify/Order/{n}", f"gid://shopify/FulfillmentOrder/{n}",
             payload(n))
            for n in range(count)
        ],
    )  # fmt: skip


async def per_order_baseline(pool: asyncpg.Pool) -> int:
    refs = await pool.fetch(
        "SELECT shop, wms_order_ref FROM wms_orders WHERE personal_data_erased_at IS NULL "
        "AND shipped_at < now() - interval '90 days'"
    )
    for r in refs:
        async with pool.acquire() as conn, conn.transaction():
            sent = await conn.fetchval(
                "SELECT sent_payload FROM wms_orders WHERE shop = $1 AND wms_order_ref = $2 "
                "FOR UPDATE",
                r["shop"],
                r["wms_order_ref"],
            )
            await conn.execute(
                "UPDATE wms_orders SET sent_payload = $3, personal_data_erased_at = now() "
                "WHERE shop = $1 AND wms_order_ref = $2",
                r["shop"],
                r["wms_order_ref"],
                scrub(sent).document,
            )
    return len(refs)


async def remaining_personal_data(pool: asyncpg.Pool) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM wms_orders WHERE sent_payload->'ship_to'->>'name' <> $1",
            "[redacted]",
        )
    )


async def run(count: int = ORDERS) -> None:
    print(f"== privacy retention: erase {count:,} shipped WMS orders' personal data")
    async with scratch() as space:
        runtime = ServiceRuntime(INTAKE, test_settings(space.database, space.amqp_url))
        await runtime.migrate()
        pool = await create_pool(
            runtime.database.dsn(space.database.admin_dsn), runtime.schema, max_size=4
        )
        try:
            results = {}
            purges: dict[str, Callable[[], Awaitable[int]]] = {
                "baseline: one transaction per order": lambda: per_order_baseline(pool),
                "shipbridge: batched purge": RetentionPurge(pool, RetentionSettings()).purge_once,
            }
            for name, purge in purges.items():
                await seed(pool, count)
                started = time.perf_counter()
                erased = await purge()
                elapsed = time.perf_counter() - started
                assert erased == count and await remaining_personal_data(pool) == 0
                results[name] = count / elapsed
                print(f"  {name:<40} {elapsed:7.2f} s  {count / elapsed:9,.0f} orders/s")
            base, ours = results.values()
            print(f"  ratio: {ours / base:.1f}x the baseline")
            figures = {"bench": "privacy_retention", "orders": count,
                       "baseline_per_s": round(base), "shipbridge_per_s": round(ours)}  # fmt: skip
            print(json.dumps(figures))
        finally:
            await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ORDERS:,} orders")
    args = parser.parse_args()
    uvloop.run(run(QUICK_ORDERS if args.quick else ORDERS))
