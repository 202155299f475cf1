"""Privacy across services, on real infrastructure: a customer's data request is answered from
what the services hold, and after customers/redact no schema of the database holds a trace of
the customer's name, email, phone or address, while other customers' orders are untouched."""

from typing import Any

import aiohttp

from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.traces import traces

from .conftest import StartOrderFlow
from .e2e_support import SHOP, OrderFlow, PlacedOrder

ZELDA = {
    "firstName": "Zelda",
    "lastName": "Quixote",
    "address1": "77 Rue Improbable",
    "address2": "Apt 5B",
    "city": "Saint-Zephyrin",
    "provinceCode": "QC",
    "countryCode": "CA",
    "zip": "J0G 1T0",
    "phone": "+1 819 555 0142",
}
ZELDA_EMAIL = "zelda.quixote@example.com"
# Everything that would name or locate her, as it could be stored anywhere.
ZELDA_TRACES = (
    "Zelda",
    "Quixote",
    "77 Rue Improbable",
    "Apt 5B",
    "Saint-Zephyrin",
    "J0G 1T0",
    "555 0142",
    ZELDA_EMAIL,
)


async def call(flow: OrderFlow, service: str, method: str, path: str, body: Any = None) -> Any:
    runtime = flow.gateway if service == "gateway" else flow.intake
    url = f"http://127.0.0.1:{runtime.port}{path}"
    async with aiohttp.ClientSession() as http, http.request(method, url, json=body) as resp:
        assert resp.status == 200, f"{method} {path}: {resp.status} {await resp.text()}"
        return await resp.json()


async def trigger(flow: OrderFlow, topic: str, order_id: str) -> None:
    """Shopify raises a compliance webhook about Zelda and this order, to the gateway."""
    await flow.sim.admin(
        "POST",
        f"/shops/{SHOP}/trigger/{topic}",
        {
            "customer": {"id": 4242, "email": ZELDA_EMAIL, "phone": ZELDA["phone"]},
            "order_ids": [int(order_id.rsplit("/", 1)[1])],
            "uri": f"http://127.0.0.1:{flow.gateway.port}/webhooks/shopify",
        },
    )


async def test_a_redacted_customer_leaves_no_trace_in_any_schema(
    order_flow: StartOrderFlow, isolated_database: IsolatedDatabase
) -> None:
    async with order_flow() as flow:
        created = await flow.sim.create_order(
            SHOP, [("SKU-00001", 1, "Shop location")], shippingAddress=ZELDA, email=ZELDA_EMAIL
        )
        zelda = PlacedOrder(created["id"], created["name"])
        other = await flow.place_order([("SKU-00002", 1, "Shop location")])
        for order in (zelda, other):
            await flow.wait_creates(order, 1)
        await flow.wait_accepted(2)
        await flow.settled()
        before = await traces(isolated_database.admin_dsn, ZELDA_TRACES)
        assert {(t.schema, t.table) for t in before} >= {("order_intake", "wms_orders")}, before

        # customers/data_request: kept by the gateway, answered from what intake holds.
        await trigger(flow, "customers/data_request", zelda.gid)

        async def requested() -> list[dict[str, Any]]:
            found = await call(flow, "gateway", "GET", "/privacy/data-requests?open=1")
            return list(found["data_requests"])

        await eventually(lambda: _truthy(requested()))
        [request] = await requested()
        assert request["order_ids"] == [zelda.gid]
        export = await call(
            flow, "intake", "POST", "/privacy/export",
            {"shop": SHOP, "order_ids": request["order_ids"]},
        )  # fmt: skip
        [record] = export["wms_orders"]
        assert record["personal_data"]["$.ship_to.name"] == "Zelda Quixote"
        assert record["personal_data"]["$.ship_to.address1"] == "77 Rue Improbable"

        # customers/redact: every service erases what it holds.
        await trigger(flow, "customers/redact", zelda.gid)

        async def no_trace_left() -> bool:
            return await traces(isolated_database.admin_dsn, ZELDA_TRACES) == []

        await eventually(no_trace_left, timeout_s=20)
        others = await traces(isolated_database.admin_dsn, ("Sam Buyer",))
        assert {(t.schema, t.table) for t in others} >= {("order_intake", "wms_orders")}
        assert await call(flow, "gateway", "GET", "/privacy/data-requests") == {"data_requests": []}


async def _truthy(value: Any) -> bool:
    return bool(await value)
