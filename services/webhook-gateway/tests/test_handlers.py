"""The gateway's handlers of shop and customer webhooks, on its own schema without a broker
(testkit.handlers): what each records or forgets, and the bodies it erases from the outbox."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from contracts import Envelope
from messaging import add_to_outbox
from testkit.handlers import handle, handler_pool
from testkit.plugin import IsolatedDatabase
from testkit.webhooks import webhook_envelope
from webhook_gateway import shop_records
from webhook_gateway.app import DEFINITION
from webhook_gateway.testing import SHOP, sample

OTHER_SHOP = "other.myshopify.com"
ORDERS = ["gid://shopify/Order/299938", "gid://shopify/Order/280263", "gid://shopify/Order/220458"]


@pytest.fixture
async def pool(isolated_database: IsolatedDatabase) -> AsyncIterator[asyncpg.Pool]:
    async with handler_pool(DEFINITION, isolated_database) as pool:
        yield pool


def webhook(
    topic: str,
    *,
    shop: str = SHOP,
    payload: dict[str, Any] | None = None,
    webhook_id: str = "w1",
    triggered_at: datetime | None = None,
) -> Envelope:
    body = json.loads(sample(topic)) if payload is None else payload
    return webhook_envelope(
        topic, body, shop=shop, webhook_id=webhook_id, triggered_at=triggered_at
    )


async def run(pool: asyncpg.Pool, envelope: Envelope) -> None:
    assert await handle(pool, DEFINITION, None, envelope) == []  # the gateway emits nothing


async def test_an_uninstall_is_kept_at_its_latest_time(pool: asyncpg.Pool) -> None:
    later = datetime(2026, 11, 22, 10, tzinfo=UTC)
    await run(pool, webhook("app/uninstalled", triggered_at=later))
    # Shopify's retry of an older event arriving late does not move the mark back.
    await run(pool, webhook("app/uninstalled", triggered_at=later - timedelta(days=1)))
    assert await shop_records.uninstalled_shops(pool) == {SHOP: later}


async def test_a_data_request_is_kept_once_with_ids_only(pool: asyncpg.Pool) -> None:
    for webhook_id in ("w1", "w2"):  # one request, delivered twice
        await run(pool, webhook("customers/data_request", webhook_id=webhook_id))
    [request] = await shop_records.data_requests(pool, open_only=True)
    assert (request["request_id"], request["customer_id"], request["order_ids"]) == (
        "9999",
        191167,
        ORDERS,
    )
    assert "john@example.com" not in json.dumps(request)


async def test_a_data_request_without_its_id_is_kept_under_the_delivery_id(
    pool: asyncpg.Pool,
) -> None:
    body = json.loads(sample("customers/data_request"))
    del body["data_request"]
    await run(pool, webhook("customers/data_request", payload=body, webhook_id="delivery-7"))
    assert await shop_records.data_request(pool, SHOP, "delivery-7") is not None


async def test_a_customer_redaction_forgets_that_customers_requests_only(
    pool: asyncpg.Pool,
) -> None:
    await run(pool, webhook("customers/data_request"))
    someone_else = json.loads(sample("customers/data_request"))
    someone_else.update(
        customer={"id": 5, "email": "ann@example.com"},
        orders_requested=[1],
        data_request={"id": 1},
    )
    await run(pool, webhook("customers/data_request", payload=someone_else))

    await run(pool, webhook("customers/redact"))
    remaining = await shop_records.data_requests(pool, open_only=False)
    assert [r["request_id"] for r in remaining] == ["1"]


async def test_a_shop_redaction_erases_what_the_gateway_holds_of_the_shop(
    pool: asyncpg.Pool,
) -> None:
    await run(pool, webhook("customers/data_request"))
    await run(pool, webhook("customers/data_request", shop=OTHER_SHOP))
    # A webhook not yet published: its body, in the outbox, names the customer.
    async with pool.acquire() as conn, conn.transaction():
        await add_to_outbox(conn, webhook("customers/data_request"))

    await run(pool, webhook("shop/redact"))
    assert [r["shop"] for r in await shop_records.data_requests(pool, open_only=False)] == [
        OTHER_SHOP
    ]
    held = await pool.fetchval("SELECT body FROM outbox")
    assert b"john@example.com" not in held
    assert json.loads(held)["data"]["payload"]["customer"]["id"] == 191167
