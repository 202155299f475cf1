"""Reads that cannot succeed fail at once, named on /status, instead of being retried; and the
per-shop options of what is read and done (billing address, email, closing fulfilled orders)."""

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from contracts import order_correlation_id
from order_intake.closing import OrderCloseRefused, close_order, needs_closing
from order_intake.domain import ShippingAddress, decide
from order_intake.order_reads import NOT_FOUND, order_read_variables
from order_intake.settings import IntakeSettings
from order_intake.shopify_order import parse_order
from order_intake.store import ClaimedSync
from order_intake.sync_worker import SyncWorker
from shop_config import ShopConfig, load_shops
from shopify_admin import ShopifyClient, ShopifyGraphQLError
from shopify_admin.operations import ORDER_CLOSE, ORDERS_BY_ID, Operation
from storage.signals import Signals
from testkit.probe import eventually
from testkit.webhooks import webhook_envelope

from .conftest import DOMAIN, TOKEN, IntakeFactory
from .test_parsing_and_schedules import order_node

NOW = datetime(2026, 11, 22, 19, tzinfo=UTC)

# Shopify's answer when it withholds protected customer data (a custom app on the Basic plan
# since January 2024): ACCESS_DENIED on the field, the field null in `data`, the rest intact.
WITHHELD_MESSAGE = (
    "This app is not approved to access the MailingAddress object. See "
    "https://shopify.dev/docs/apps/launch/protected-customer-data for more details."
)


def withheld_error(index: int) -> dict[str, Any]:
    return {
        "message": WITHHELD_MESSAGE,
        "locations": [{"line": 30, "column": 3}],
        "path": ["nodes", index, "shippingAddress"],
        "extensions": {
            "code": "ACCESS_DENIED",
            "documentation": "https://shopify.dev/docs/apps/launch/protected-customer-data",
        },
    }


class WithholdingShopify:
    """The simulator, except that Shopify withholds the address of the orders in `withheld`."""

    def __init__(self, client: ShopifyClient, withheld: set[str]) -> None:
        self.client = client
        self.withheld = withheld

    async def execute(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        data = await self.client.execute(operation, variables)
        if operation is not ORDERS_BY_ID:
            return data
        errors = []
        for index, node in enumerate(data["nodes"]):
            if node and node["id"] in self.withheld:
                node["shippingAddress"] = None
                errors.append(withheld_error(index))
        if errors:
            raise ShopifyGraphQLError(operation.name, errors, data)
        return data


async def test_an_order_shopify_does_not_have_fails_at_once_as_not_found(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        gone = "gid://shopify/Order/999999999"
        envelope = webhook_envelope(
            "orders/updated",
            {"id": 999999999, "admin_graphql_api_id": gone, "name": "#9999"},
            shop=DOMAIN,
            correlation_id=order_correlation_id(DOMAIN, gone),
        )
        await world.webhook("orders/updated", gone, envelope=envelope)

        async def failed() -> bool:
            return (await world.status())["counts"]["failed_syncs"] == 1

        await eventually(failed)
        [failure] = (await world.status())["failed_syncs"]
        assert (failure["order_gid"], failure["last_error"]) == (gone, NOT_FOUND)
        assert failure["attempts"] == 1  # not eight retries
        assert (await world.status())["sync_worker"]["not_found"] == 1


async def test_withheld_customer_data_rejects_that_order_at_once_and_the_rest_go_through(
    intake: IntakeFactory,
) -> None:
    async with intake() as world:
        kept = await world.create_order([("SKU-00001", 1, "Shop location")])
        withheld = await world.create_order([("SKU-00002", 1, "Shop location")])
        # Rows the service's own worker leaves alone (not due): this test's worker reads them.
        rows = []
        for order in (kept, withheld):
            await world.runtime.pool.execute(
                "INSERT INTO pending_syncs (shop, order_gid, reason, next_attempt_at) "
                "VALUES ($1, $2, 'test', now() + interval '1 hour')",
                DOMAIN,
                order["id"],
            )
            rows.append(ClaimedSync(DOMAIN, order["id"], generation=0, attempts=0))
        shops = load_shops()
        async with ShopifyClient(DOMAIN, TOKEN, admin_url=world.sim.base_url) as client:
            shopify = WithholdingShopify(client, {withheld["id"]})
            signals = Signals(world.runtime.pool, ["order_intake_sync"])
            worker = SyncWorker(
                world.runtime.pool, shops, {DOMAIN: shopify}, IntakeSettings(), signals
            )
            await worker._sync_shop(DOMAIN, rows)

        await world.wait_creates(kept["name"], 1)
        assert world.creates_for(withheld["name"]) == []
        failure = await world.runtime.pool.fetchrow(
            "SELECT attempts, last_error, failed_at FROM pending_syncs WHERE order_gid = $1",
            withheld["id"],
        )
        assert failure is not None and failure["failed_at"] is not None
        assert failure["attempts"] == 1
        assert failure["last_error"].startswith("Shopify withholds the customer's data")
        assert "shippingAddress: This app is not approved" in failure["last_error"]
        assert worker.stats["withheld_customer_data"] == 1


# --- per-shop options -------------------------------------------------------------------------

SENDING = ShopConfig.model_validate(
    {
        "domain": "example.myshopify.com",
        "locations": {"gid://shopify/Location/1": "WH1"},
        "wms_order": {"send_billing_address": True, "share_customer_email": True},
        "fulfillment": {"close_fulfilled_orders": True},
    }
)
DEFAULT = ShopConfig.model_validate(
    {"domain": "example.myshopify.com", "locations": {"gid://shopify/Location/1": "WH1"}}
)
BILLING = {"name": "Pat Payer", "company": "Acme", "address1": "9 Bill St", "address2": None,
           "city": "Ottawa", "provinceCode": "ON", "zip": "K1A 0B1", "countryCodeV2": "CA",
           "phone": "+16135550000"}  # fmt: skip


def sendable_node(**overrides: Any) -> dict[str, Any]:
    node = order_node(**overrides)
    [fo] = node["fulfillmentOrders"]["nodes"]
    fo["status"], fo["fulfillmentHolds"] = "OPEN", []
    fo["lineItems"]["nodes"][0]["lineItem"]["sku"] = "ABC-1"
    return node


def test_customer_data_is_read_only_for_shops_that_send_it() -> None:
    assert order_read_variables(DEFAULT) == {"withEmail": False, "withBillingAddress": False}
    assert order_read_variables(SENDING) == {"withEmail": True, "withBillingAddress": True}


def test_the_billing_address_and_email_reach_the_wms_when_the_shop_sends_them() -> None:
    order = parse_order(sendable_node(billingAddress=BILLING))
    assert order.billing_address == ShippingAddress(
        "Pat Payer", "Acme", "9 Bill St", None, "Ottawa", "ON", "K1A 0B1", "CA", "+16135550000"
    )
    [create] = decide(order, SENDING, {}, NOW, share_email=True).creates
    assert create.bill_to is not None and create.bill_to.address1 == "9 Bill St"
    assert create.ship_to.email == "x@example.com"
    # Not read (the shop does not send it) and not shared: neither travels.
    plain = parse_order(sendable_node())
    [create] = decide(plain, DEFAULT, {}, NOW).creates
    assert (create.bill_to, create.ship_to.email) == (None, None)


def test_an_order_is_closed_once_every_fulfillment_order_is_fulfilled() -> None:
    def order(statuses: list[str], display: str = "FULFILLED", closed: bool = False) -> Any:
        node = sendable_node(displayFulfillmentStatus=display, closed=closed)
        [fo] = node["fulfillmentOrders"]["nodes"]
        node["fulfillmentOrders"]["nodes"] = [{**fo, "status": s} for s in statuses]
        return parse_order(node)

    assert needs_closing(order(["CLOSED", "CLOSED"]), SENDING)
    assert needs_closing(order(["CLOSED", "CANCELLED"]), SENDING)
    assert not needs_closing(order(["CLOSED", "CLOSED"]), DEFAULT)  # the shop does not ask
    assert not needs_closing(order(["CLOSED"], closed=True), SENDING)  # closed already
    assert not needs_closing(order(["CLOSED", "OPEN"], "PARTIALLY_FULFILLED"), SENDING)
    assert not needs_closing(order(["CANCELLED"], "UNFULFILLED"), SENDING)


class ClosingShopify:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def execute(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        self.sent.append((operation.name, dict(variables or {})))
        return json.loads(json.dumps(self.answer))


async def test_closing_sends_order_close_and_an_already_closed_order_is_fine() -> None:
    gid = "gid://shopify/Order/5"
    order = {"id": gid, "closed": True, "closedAt": "2026-11-22T19:00:00Z"}
    shopify = ClosingShopify({"orderClose": {"order": order, "userErrors": []}})
    closed = await close_order(shopify, gid)
    assert shopify.sent == [("OrderClose", {"input": {"id": gid}})]
    assert not closed.already_closed
    refused_but_closed = ClosingShopify(
        {"orderClose": {"order": order, "userErrors": [{"field": ["id"], "message": "closed"}]}}
    )
    assert (await close_order(refused_but_closed, gid)).already_closed
    assert ORDER_CLOSE.retry_safe


async def test_a_refused_close_is_reported_with_shopifys_reason() -> None:
    error = {"field": ["input", "id"], "message": "Order can't be closed"}
    shopify = ClosingShopify({"orderClose": {"order": None, "userErrors": [error]}})
    try:
        await close_order(shopify, "gid://shopify/Order/5")
    except OrderCloseRefused as exc:
        assert "input.id: Order can't be closed" in str(exc)
    else:
        raise AssertionError("a refusal must be reported")
