"""order-intake against the real simulator for two shop situations: a shop that closes its
fulfilled orders (orderClose), and a shop whose customer data Shopify withholds from the app
(protected customer data: the order is refused at once, by the webhook path and by a re-sync)."""

from typing import Any

from shopify_admin.operations import FULFILLMENT_CREATE
from testkit.probe import eventually

from .conftest import DOMAIN, TOKEN, IntakeFactory, IntakeWorld

CLOSES_FULFILLED_ORDERS = {"fulfillment": {"close_fulfilled_orders": True}}
WITHHELD = "Shopify withholds the customer's data"
ADDRESS_DENIED = (
    "shippingAddress: This app is not approved to access the MailingAddress object. See "
    "https://shopify.dev/docs/apps/launch/protected-customer-data for more details."
)


async def fulfil_in_shopify(world: IntakeWorld, order_gid: str, location: str) -> None:
    """Fulfil, as the warehouse's shipment does, every unit of the order's FO at `location`."""
    fos = await world.sim.state(DOMAIN, "fulfillment_orders")
    [fo] = [
        fo
        for fo in fos
        if fo["order_id"] == order_gid and fo["location_id"] == world.location_gid(location)
    ]
    answer = await world.sim.graphql(
        TOKEN,
        FULFILLMENT_CREATE.document,
        {
            "fulfillment": {
                "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}],
                "notifyCustomer": False,
            }
        },
    )
    assert answer["data"]["fulfillmentCreate"]["userErrors"] == []


async def closed_in_shopify(world: IntakeWorld, order_gid: str) -> bool:
    orders = await world.sim.state(DOMAIN, "orders")
    [order] = [o for o in orders if o["id"] == order_gid]
    return order["closed_at"] is not None


async def worker_stats(world: IntakeWorld) -> dict[str, Any]:
    stats: dict[str, Any] = (await world.status())["sync_worker"]
    return stats


async def test_an_order_is_closed_in_shopify_once_all_its_fulfillment_orders_are_fulfilled(
    intake: IntakeFactory,
) -> None:
    async with intake(shop_settings=CLOSES_FULFILLED_ORDERS) as world:
        order = await world.create_order(
            [("SKU-00001", 1, "Shop location"), ("SKU-00002", 2, "Warehouse East")]
        )
        await world.webhook("orders/create", order["id"])
        await world.wait_creates(order["name"], 2)

        # One of its two fulfillment orders shipped: partly fulfilled, so it stays open.
        await fulfil_in_shopify(world, order["id"], "Shop location")
        await world.webhook("orders/updated", order["id"])
        await world.settled()
        assert not await closed_in_shopify(world, order["id"])
        assert (await worker_stats(world))["closed_orders"] == 0

        # The other one too: the read that finds the order fulfilled closes it.
        await fulfil_in_shopify(world, order["id"], "Warehouse East")
        await world.webhook("orders/updated", order["id"])
        await eventually(lambda: closed_in_shopify(world, order["id"]), timeout_s=15)
        await world.settled()
        stats = await worker_stats(world)
        assert (stats["closed_orders"], stats["close_refused"]) == (1, 0)
        assert world.sim_order(order["id"]).closed_at is not None

        # A later read of the closed order asks nothing more of Shopify.
        await world.webhook("orders/updated", order["id"])
        await world.settled()
        assert (await worker_stats(world))["closed_orders"] == 1


async def test_an_order_whose_customer_data_shopify_withholds_is_rejected_at_once(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        order = await world.create_order([("SKU-00003", 1, "Shop location")])
        # The shop is a custom app's on the Basic plan: no name, email or address for the app.
        await world.sim.allow_protected_customer_data(DOMAIN, False)
        await world.webhook("orders/create", order["id"])

        async def failed() -> bool:
            return (await world.status())["counts"]["failed_syncs"] == 1

        await eventually(failed, timeout_s=15)
        [failure] = (await world.status())["failed_syncs"]
        assert failure["order_gid"] == order["id"]
        assert failure["attempts"] == 1  # not retried: it cannot get better by itself
        assert failure["last_error"].startswith(WITHHELD)
        assert ADDRESS_DENIED in failure["last_error"]
        assert (await worker_stats(world))["withheld_customer_data"] == 1
        await world.settled()
        assert world.creates_for(order["name"]) == []


async def test_a_resync_of_such_an_order_answers_409_with_the_reason(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        order = await world.create_order([("SKU-00004", 1, "Shop location")])
        await world.sim.allow_protected_customer_data(DOMAIN, False)

        status, body = await world.post("/orders/resync", {"shop": DOMAIN, "name": order["name"]})

        assert status == 409
        assert body["error"].startswith(f"{order['name']} in {DOMAIN} was not sent: {WITHHELD}")
        assert ADDRESS_DENIED in body["error"]
        # Recorded like the webhook path does, so it is on /status too.
        [failure] = (await world.status())["failed_syncs"]
        assert (failure["order_gid"], failure["attempts"]) == (order["id"], 1)
        assert failure["last_error"].startswith(WITHHELD)
        assert world.creates_for(order["name"]) == []

        # Once the shop's plan allows it, the same re-sync sends the order.
        await world.sim.allow_protected_customer_data(DOMAIN, True)
        status, body = await world.post("/orders/resync", {"shop": DOMAIN, "name": order["name"]})
        assert status == 200, body
        assert len(body["created"]) == 1
        await world.wait_creates(order["name"], 1)
