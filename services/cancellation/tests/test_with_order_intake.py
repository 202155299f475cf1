"""With the real order-intake in front: the two services coordinate through events only."""

from contracts import WmsOrderCancel
from order_intake.app import DEFINITION as ORDER_INTAKE
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service
from wms_sim import OrderStatus

from .conftest import DOMAIN, WorldFactory


async def test_cancelled_before_it_reached_the_warehouse_it_never_does_and_after_it_is_cancelled(
    world: WorldFactory, isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    async with (
        world() as w,
        running_service(
            ORDER_INTAKE, isolated_database, isolated_vhost, shopify_admin_url=w.sim.base_url
        ),
    ):
        early = await w.create_order([("SKU-00001", 1, "Shop location")])
        late = await w.create_order([("SKU-00002", 2, "Shop location")])
        # `early` is cancelled before order-intake hears of it: it reads the cancelled order
        # and never sends it; cancellation hears of it twice (webhook, order-intake) and has
        # nothing to ask the warehouse.
        await w.merchant_cancels(early["id"])
        await w.webhook_cancelled(early["id"])
        await w.webhook_created(early["id"])
        # `late` reaches the warehouse first, then is cancelled.
        await w.webhook_created(late["id"])
        await eventually(lambda: f"{DOMAIN}/{late['name']}" in w.wms.orders)
        await w.merchant_cancels(late["id"])
        await w.webhook_cancelled(late["id"])

        await w.wait_request(late["name"], "cancelled")
        assert w.wms.order(late["name"], DOMAIN).status is OrderStatus.CANCELLED
        await w.settled()

        async def both_recorded() -> bool:
            return (await w.status())["counts"]["shopify_cancellations"] == 2

        await eventually(both_recorded)
        assert f"{DOMAIN}/{early['name']}" not in w.wms.orders
        cancels = w.tap.payloads("wms.order.cancel", WmsOrderCancel)
        assert [c.wms_order_ref for c in cancels] == [late["name"]]
        [restock] = w.restocks()
        assert (restock.wms_order_ref, [(x.sku, x.quantity) for x in restock.lines]) == (
            late["name"],
            [("SKU-00002", 2)],
        )
