"""The order flow across services, on real infrastructure: a Shopify order becomes exactly one
WMS order, whatever Shopify's webhooks or the broker do on the way."""

import asyncio
from typing import Any

from contracts import order_correlation_id
from testkit.proxy import proxy_for, redirect

from .conftest import StartOrderFlow
from .e2e_support import SHOP, creates_for, webhooks_about

OUTAGE_S = 1.0
MONEY_WORDS = ("price", "amount", "total", "currency", "cost", "tax")


def keys_of(value: Any) -> set[str]:
    """Every key, at any depth, of a JSON document."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


async def test_an_order_reaches_the_wms_once_and_its_acceptance_is_recorded(
    order_flow: StartOrderFlow,
) -> None:
    async with order_flow() as flow:
        order = await flow.place_order(
            [("SKU-00001", 2, "Shop location"), ("SKU-00002", 1, "Shop location")]
        )

        [create] = await flow.wait_creates(order, 1)
        await flow.wait_accepted(1)
        await flow.settled()

        data = create.body["data"]
        assert (data["wms_order_ref"], data["shopify_order_id"]) == (order.name, order.gid)
        assert data["facility"] == "WH1"
        refs = flow.fulfillment_line_refs(order)
        assert sorted(
            (line["line_ref"], line["sku"], line["quantity"]) for line in data["lines"]
        ) == [
            (refs["SKU-00001"], "SKU-00001", 2),
            (refs["SKU-00002"], "SKU-00002", 1),
        ]
        assert data["ship_to"] == {
            "name": "Sam Buyer",
            "company": None,
            "address1": "1 Main St",
            "address2": None,
            "city": "Toronto",
            "province_code": "ON",
            "postal_code": "M5H 2M9",
            "country_code": "CA",
            "phone": None,
            "email": None,
        }
        assert data["shipping_method"] == {"code": "standard", "title": "Standard"}
        money = {k for k in keys_of(create.body) if any(w in k.lower() for w in MONEY_WORDS)}
        assert money == set(), f"prices sent to the WMS: {money}"

        # One conversation: the webhook the gateway published and the command share its id.
        correlation = str(order_correlation_id(SHOP, order.gid))
        webhooks = webhooks_about(flow.tap, order.gid)
        assert {m.envelope.type for m in webhooks} == {
            "shopify.webhook.orders.create",
            "shopify.webhook.orders.paid",
        }
        assert {str(m.envelope.correlation_id) for m in webhooks} == {correlation}
        assert str(create.envelope.correlation_id) == correlation
        assert create.amqp_correlation_id == correlation

        assert len(flow.tap.of_type("wms.order.create")) == 1
        assert flow.warehouse.order(order.name, SHOP).facility == "WH1"
        counts = (await flow.intake_status())["counts"]
        assert (counts["accepted"], counts["sent"], counts["pending_sync"]) == (1, 0, 0)


async def test_duplicated_and_reordered_webhooks_make_one_wms_order_per_order(
    order_flow: StartOrderFlow,
) -> None:
    async with order_flow() as flow:
        # The first half is held and then delivered newest first (orders/paid before
        # orders/create), after the second half, each of whose deliveries arrives twice.
        await flow.delivery_controls(reorder=True)
        held = [await flow.place_order([("SKU-00003", 1, "Shop location")]) for _ in range(5)]
        await flow.delivery_controls(reorder=False, duplicate_fraction=1.0)
        doubled = [await flow.place_order([("SKU-00004", 1, "Shop location")]) for _ in range(5)]
        await flow.sim.simulator.dispatcher.drain()
        assert await flow.release_held_webhooks() == 2 * len(held)  # create and paid each
        orders = held + doubled

        await flow.wait_accepted(len(orders))
        await flow.settled()

        delivered = [e for e in await flow.delivery_log() if e["outcome"] == "delivered"]
        assert len(delivered) == 2 * len(held) + 2 * 2 * len(doubled)
        # The gateway saw each repeated delivery (same X-Shopify-Webhook-Id) and published it once.
        assert (await flow.gateway_status())["duplicates"] == 2 * len(doubled)
        for order in orders:
            assert len(creates_for(flow.tap, order.name)) == 1, order.name
        assert len(flow.tap.of_type("wms.order.create")) == len(orders)
        assert (await flow.intake_status())["counts"]["accepted"] == len(orders)


async def test_an_order_whose_webhooks_were_lost_is_found_by_the_download(
    order_flow: StartOrderFlow,
) -> None:
    async with order_flow(download_mode="both") as flow:
        # The scheduled poll at start-up has run: the next one is half an hour away.
        await flow.wait_first_poll()
        await flow.delivery_controls(drop_fraction=1.0)
        lost = await flow.place_order([("SKU-00005", 2, "Warehouse East")])
        await flow.settled()
        assert {e["outcome"] for e in await flow.delivery_log()} == {"dropped"}
        assert flow.tap.messages == []

        downloaded = await flow.download(since="2020-01-01T00:00:00Z")

        assert (downloaded["orders_seen"], downloaded["wms_orders_created"]) == (1, 1)
        [create] = await flow.wait_creates(lost, 1)
        assert (create.body["data"]["facility"], create.body["data"]["wms_order_ref"]) == (
            "WH2",
            lost.name,
        )
        await flow.wait_accepted(1)
        # Downloading again finds the order already sent.
        again = await flow.download(since="2020-01-01T00:00:00Z")
        assert again["wms_orders_created"] == 0
        await flow.settled()
        assert len(flow.tap.of_type("wms.order.create")) == 1
        assert (await flow.intake_status())["counts"]["accepted"] == 1


async def test_a_broker_outage_during_a_burst_loses_and_doubles_no_order(
    order_flow: StartOrderFlow, isolated_vhost: str
) -> None:
    proxy = await proxy_for(isolated_vhost, 5672)
    try:
        async with order_flow(services_amqp_url=redirect(isolated_vhost, proxy)) as flow:
            orders = [
                await flow.place_order([("SKU-00006", 1, "Shop location")]) for _ in range(15)
            ]
            proxy.refusing = True
            proxy.disconnect_all()  # both services lose the broker, mid-burst
            back_at = asyncio.get_running_loop().time() + OUTAGE_S
            orders += [
                await flow.place_order([("SKU-00007", 1, "Shop location")]) for _ in range(15)
            ]
            await flow.sim.simulator.dispatcher.drain()
            # Every webhook was answered 200 at the first attempt while the broker was away...
            log = await flow.delivery_log()
            assert {(e["outcome"], e["status"], e["attempt"]) for e in log} == {
                ("delivered", 200, 1)
            }
            assert len(log) == 2 * len(orders)
            # ...because the gateway's outbox holds what it could not publish yet.
            assert await flow.gateway.pool.fetchval("SELECT count(*) FROM outbox") > 0
            await asyncio.sleep(max(0.0, back_at - asyncio.get_running_loop().time()))
            proxy.refusing = False

            await flow.wait_accepted(len(orders), timeout_s=30)
            await flow.settled()
            assert (await flow.intake_status())["counts"]["accepted"] == len(orders)

        creates = flow.tap.of_type("wms.order.create")
        # The relay may publish a message twice across a cut (same id): the WMS dedupes on it.
        ids_per_order = {
            order.name: {m.envelope.id for m in creates_for(flow.tap, order.name)}
            for order in orders
        }
        assert {name: len(ids) for name, ids in ids_per_order.items()} == {
            order.name: 1 for order in orders
        }
        assert len(flow.warehouse.orders) == len(orders)
        print(f"wms.order.create on the wire: {len(creates)} for {len(orders)} orders")
    finally:
        await proxy.stop()


async def test_an_order_on_two_mapped_locations_becomes_two_wms_orders_and_unmapped_none(
    order_flow: StartOrderFlow,
) -> None:
    async with order_flow() as flow:
        split = await flow.place_order(
            [("SKU-00008", 1, "Shop location"), ("SKU-00009", 3, "Warehouse East")]
        )
        elsewhere = await flow.place_order([("SKU-00010", 1, "Pop-up")])

        await flow.wait_creates(split, 2)
        await flow.wait_accepted(2)
        await flow.settled()

        by_ref = {
            m.body["data"]["wms_order_ref"]: m.body["data"]
            for m in creates_for(flow.tap, split.name)
        }
        assert {
            ref: (data["facility"], [(line["sku"], line["quantity"]) for line in data["lines"]])
            for ref, data in by_ref.items()
        } == {
            f"{split.name}-1": ("WH1", [("SKU-00008", 1)]),
            f"{split.name}-2": ("WH2", [("SKU-00009", 3)]),
        }
        assert creates_for(flow.tap, elsewhere.name) == []
        assert len(flow.tap.of_type("wms.order.create")) == 2
        counts = (await flow.intake_status())["counts"]
        assert (counts["accepted"], counts["no_wms_work"]) == (2, 1)
