"""Cancelled in Shopify -> cancelled at the warehouse, on real infrastructure and simulators."""

import json
import uuid
from typing import Any

import aio_pika

from contracts import (
    INTERNAL_EVENTS,
    OrderRestocked,
    WmsOrderCancel,
    WmsShipmentConfirmed,
    order_correlation_id,
)
from testkit.probe import eventually
from testkit.webhooks import webhook_envelope
from wms_sim import OrderStatus

from .conftest import DOMAIN, CancelWorld, WorldFactory


async def order_at_wh1(world: CancelWorld, *lines: tuple[str, int]) -> dict[str, Any]:
    return await world.create_order([(sku, quantity, "Shop location") for sku, quantity in lines])


async def test_a_cancel_racing_the_send_cancels_the_wms_order_as_soon_as_it_is_known(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await order_at_wh1(w, ("SKU-00001", 2))
        # order-intake sent the create just before the merchant cancelled; its mapping comes late.
        [sent] = await w.send_to_wms(order, announce=False)
        await w.merchant_cancels(order["id"])
        await w.webhook_cancelled(order["id"])

        async def recorded() -> bool:
            return (await w.status())["counts"]["shopify_cancellations"] == 1

        await eventually(recorded)
        await w.settled()
        assert w.tap.of_type("wms.order.cancel") == []  # nothing known to cancel yet

        await w.announce(sent)
        assert await w.wait_request(order["name"], "cancelled") is None
        [cancel] = w.cancels_for(order["name"])
        assert cancel.data_as(WmsOrderCancel).reason == "cancelled in Shopify (customer)"
        assert cancel.correlation_id == order_correlation_id(DOMAIN, order["id"])
        assert w.wms.order(order["name"], DOMAIN).status is OrderStatus.CANCELLED
        await w.settled()
        [restock] = w.restocks()
        assert [(x.sku, x.quantity) for x in restock.lines] == [("SKU-00001", 2)]


async def test_cancel_after_send_before_ship_cancels_once_whatever_is_repeated(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await order_at_wh1(w, ("SKU-00002", 3), ("SKU-00003", 1))
        [sent] = await w.send_to_wms(order)
        await w.merchant_cancels(order["id"])
        # The same webhook redelivered by the broker, a second delivery of it, order-intake's own
        # news of the cancellation, and the mapping once more.
        webhook = await w.webhook_cancelled(order["id"])
        await w.publish("internal.events", webhook)
        await w.webhook_cancelled(order["id"])
        await w.intake_saw_cancelled(order["id"])
        await w.announce(sent)

        await w.wait_request(order["name"], "cancelled")
        warehouse_order = w.wms.order(order["name"], DOMAIN)
        assert warehouse_order.status is OrderStatus.CANCELLED
        # The warehouse's answer repeated (redelivered, and sent again under a new id).
        [answer] = [e for e in w.wms.published if e.type == "wms.order.cancel_result"]
        await w.publish("wms.events", answer)
        await w.wms_event("wms.order.cancel_result", answer.data.model_dump(mode="json"))
        await w.settled()

        assert len(w.cancels_for(order["name"])) == 1
        [restocked] = w.tap.of_type("cancellations.order.restocked")
        restock = restocked.data_as(OrderRestocked)
        assert restock.model_dump(mode="json") == {
            "restock_id": f"{DOMAIN}|{order['name']}|cancel",
            "wms_order_ref": order["name"],
            "shopify_order_id": order["id"],
            "facility": "WH1",
            "location_id": w.location_gid("Shop location"),
            "restocked_in_shopify": True,
            "lines": [{"sku": "SKU-00002", "quantity": 3}, {"sku": "SKU-00003", "quantity": 1}],
        }
        assert restocked.correlation_id == order_correlation_id(DOMAIN, order["id"])
        status = await w.status()
        assert status["counts"]["shopify_cancellations"] == 1
        assert status["counts"]["warehouse_asked"] == {"cancelled": 1}
        assert status["open"] == {"waiting_for_warehouse": [], "waiting_for_shopify": []}
        assert status["counts"]["needs_attention"] == 0


async def test_an_order_that_shipped_before_the_cancel_is_an_alert_not_a_command(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await order_at_wh1(w, ("SKU-00004", 1))
        await w.send_to_wms(order)
        events = await w.wms.ship_now(order["name"], DOMAIN)
        [shipment] = [
            e.data_as(WmsShipmentConfirmed) for e in events if e.type == "wms.shipment.confirmed"
        ]

        async def shipment_seen() -> bool:
            return bool(await w.runtime.pool.fetchval("SELECT count(*) FROM shipments"))

        await eventually(shipment_seen)
        # The merchant cancels before fulfillment-sync made the fulfillment in Shopify.
        await w.merchant_cancels(order["id"])
        await w.intake_saw_cancelled(order["id"])

        reason = await w.wait_request(order["name"], "shipped")
        assert reason == f"shipped before the cancellation ({shipment.shipment_id})"
        await w.settled()
        assert w.tap.of_type("wms.order.cancel") == [] and w.restocks() == []
        [alert] = (await w.status())["needs_attention"]["cancelled_in_shopify_but_shipped"]
        assert (alert["order_name"], alert["state"]) == (order["name"], "shipped")


async def test_a_cancel_racing_the_shipment_is_refused_and_alerted_until_acknowledged(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await order_at_wh1(w, ("SKU-00005", 2))
        await w.send_to_wms(order)
        # The warehouse's link is down: our cancel waits in its queue while it ships the order.
        await w.wms.stop()
        await w.merchant_cancels(order["id"])
        await w.webhook_cancelled(order["id"])
        await eventually(lambda: len(w.cancels_for(order["name"])) == 1)
        [waiting] = (await w.status())["open"]["waiting_for_warehouse"]
        assert (waiting["order_name"], waiting["wms_order_ref"]) == (order["name"], order["name"])
        await w.wms.ship_now(order["name"], DOMAIN)
        await w.wms.start(w.runtime.settings.amqp_url)

        reason = await w.wait_request(order["name"], "refused")
        assert reason is not None and reason.startswith("already shipped")
        await w.settled()
        assert w.restocks() == []
        status = await w.status()
        assert status["counts"]["needs_attention"] == 1
        [alert] = status["needs_attention"]["cancelled_in_shopify_but_shipped"]
        assert (alert["wms_order_ref"], alert["state"]) == (order["name"], "refused")

        code, body = await w.post(
            "/cancellations/acknowledge", {"shop": DOMAIN, "wms_order_ref": order["name"]}
        )
        assert (code, body["acknowledged"]) == (200, True)
        status = await w.status()
        assert status["needs_attention"]["cancelled_in_shopify_but_shipped"] == []
        assert status["counts"]["warehouse_asked"] == {"refused": 1}
        code, _ = await w.post(
            "/cancellations/acknowledge", {"shop": DOMAIN, "wms_order_ref": order["name"]}
        )
        assert code == 404


async def test_a_partly_shipped_order_has_only_its_unshipped_units_cancelled_and_restocked(
    world: WorldFactory,
) -> None:
    async with world(split_shipments=True) as w:
        order = await order_at_wh1(w, ("SKU-00006", 5))
        [sent] = await w.send_to_wms(order)
        events = await w.wms.ship_now(order["name"], DOMAIN)
        [first] = [e for e in events if e.type == "wms.shipment.confirmed"]
        shipped = first.data_as(WmsShipmentConfirmed).lines[0].quantity
        assert 0 < shipped < 5
        # fulfillment-sync reports the same shipment: one shipment, counted once.
        await w.publish(
            "internal.events",
            first.caused(
                "fulfillments.shipment.synced",
                {
                    "shipment_id": first.data_as(WmsShipmentConfirmed).shipment_id,
                    "wms_order_ref": order["name"],
                    "shopify_order_id": order["id"],
                    "fulfillment_order_id": sent.fulfillment_order_id,
                    "fulfillment_id": "gid://shopify/Fulfillment/1",
                    "lines": [{**sent.lines[0].model_dump(), "quantity": shipped}],
                    "fulfillment_order_complete": False,
                },
            ),
        )

        async def both_heard() -> bool:
            return bool(await w.runtime.pool.fetchval("SELECT count(*) FROM shipments"))

        await eventually(both_heard)
        await w.merchant_cancels(order["id"])
        await w.webhook_cancelled(order["id"])

        reason = await w.wait_request(order["name"], "cancelled")
        assert reason is not None and reason.startswith("partially shipped")
        await w.settled()
        [restock] = w.restocks()
        assert [(x.sku, x.quantity) for x in restock.lines] == [("SKU-00006", 5 - shipped)]
        assert w.wms.order(order["name"], DOMAIN).lines[0].cancelled == 5 - shipped


async def test_a_customer_redaction_scrubs_their_webhook_held_as_a_dead_letter(
    world: WorldFactory,
) -> None:
    async with world() as w:
        order = await order_at_wh1(w, ("SKU-00001", 1))
        email = w.sim_order(order["id"]).email
        assert email
        # A webhook this version of the service cannot read is kept whole as a dead letter.
        body = json.loads((await w.webhook_cancelled(order["id"])).to_json())
        body.update(id=str(uuid.uuid4()), version=99)
        await w.channel.default_exchange.publish(
            aio_pika.Message(json.dumps(body).encode(), message_id=str(uuid.uuid4())),
            routing_key="cancellation",
        )

        async def held() -> bool:
            return bool(await w.runtime.pool.fetchval("SELECT count(*) FROM dead_letters"))

        await eventually(held)
        assert email.encode() in await w.runtime.pool.fetchval("SELECT body FROM dead_letters")

        numeric_id = int(order["id"].rsplit("/", 1)[1])
        redact = {"shop_domain": DOMAIN, "customer": {"id": 1, "email": email, "phone": None},
                  "orders_to_redact": [numeric_id]}  # fmt: skip
        envelope = webhook_envelope("customers/redact", redact, shop=DOMAIN)
        await w.publish(INTERNAL_EVENTS, envelope)

        async def scrubbed() -> bool:
            body = await w.runtime.pool.fetchval("SELECT body FROM dead_letters")
            return email.encode() not in body

        await eventually(scrubbed)
