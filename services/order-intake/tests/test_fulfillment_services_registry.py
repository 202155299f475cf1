"""The registration worker on order-intake's real migrated schema, against a small stand-in for
Shopify's fulfillment-service mutations (`FakeShopify`: names unique case-insensitively, a
location per service, Shopify's messages). It gives the faults exactly when a test wants them:
a create whose answer is lost, an update or delete refused, Shopify away. The same stories run
against the Shopify simulator, through the service's HTTP, in test_fulfillment_services_sim.py.
"""

import itertools
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest

from order_intake import registry_store
from order_intake.app import DEFINITION
from order_intake.fulfillment_services import (
    DELETE_PENDING,
    DeleteRefused,
    DeleteUnconfirmed,
    FulfillmentServiceRegistry,
    UnknownServiceFacility,
)
from shop_config import ShopConfig, ShopsConfig
from shopify_admin.errors import ShopifyUnavailable
from shopify_admin.operations import Operation
from shopify_admin.results import MutationResult, UserError
from testkit.handlers import handler_pool
from testkit.plugin import IsolatedDatabase

DOMAIN = "registry.myshopify.com"
CALLBACK = "https://gw.example/fulfillment_services/WH2"
NAME_TAKEN = "Name has already been taken"
NOT_FOUND = "Fulfillment service could not be found."


@dataclass
class FakeShopify:
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    lose_next_answer_of: set[str] = field(default_factory=set)
    """Mutations whose next answer is lost after they ran (the client gives up: unavailable)."""
    refuse: dict[str, str] = field(default_factory=dict)
    """Mutation name -> the userError message it answers instead of running."""
    down: bool = False
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))

    def add(self, name: str, **settings: Any) -> dict[str, Any]:
        n = next(self._ids)
        node = {
            "id": f"gid://shopify/FulfillmentService/{n}?id=true",
            "serviceName": name,
            "callbackUrl": settings.get("callbackUrl"),
            "inventoryManagement": bool(settings.get("inventoryManagement")),
            "trackingSupport": bool(settings.get("trackingSupport")),
            "location": {"id": f"gid://shopify/Location/{1000 + n}"},
        }
        self.services[node["id"]] = node
        return node

    async def execute(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        self.calls.append(operation.name)
        if self.down:
            raise ShopifyUnavailable(operation.name, 5, "HTTP 503", may_have_executed=False)
        assert operation.name == "FulfillmentServices"
        return {"shop": {"fulfillmentServices": [dict(s) for s in self.services.values()]}}

    async def execute_mutation(
        self, operation: Operation, variables: Mapping[str, Any] | None = None
    ) -> MutationResult:
        name = operation.name
        self.calls.append(name)
        if self.down:
            raise ShopifyUnavailable(name, 5, "HTTP 503", may_have_executed=False)
        args = dict(variables or {})
        if name in self.refuse:
            return _refused(self.refuse[name])
        if name == "FulfillmentServiceCreate":
            if any(
                s["serviceName"].lower() == args["name"].lower() for s in self.services.values()
            ):
                return _refused(NAME_TAKEN)
            payload: dict[str, Any] = {"fulfillmentService": self.add(args.pop("name"), **args)}
        elif name == "FulfillmentServiceUpdate":
            node = self.services.get(args.pop("id"))
            if node is None:
                return _refused(NOT_FOUND)
            node.update({("serviceName" if k == "name" else k): v for k, v in args.items()})
            payload = {"fulfillmentService": dict(node)}
        else:
            assert name == "FulfillmentServiceDelete"
            if self.services.pop(args["id"], None) is None:
                return _refused(NOT_FOUND)
            payload = {"deletedId": args["id"]}
        if name in self.lose_next_answer_of:
            self.lose_next_answer_of.discard(name)
            raise ShopifyUnavailable(name, 5, "HTTP 504", may_have_executed=True)
        return MutationResult({**payload, "userErrors": []})


def _refused(message: str) -> MutationResult:
    error = {"field": ["name"], "message": message}
    return MutationResult({"userErrors": [error]}, [UserError.from_json(error)])


def shops(**facility: Any) -> ShopsConfig:
    wh2 = {
        "mode": "fulfillment_service",
        "name": "Acme Warehouse",
        "callback_url": "https://gw.example",
        "inventory_management": True,
        **facility,
    }
    shop = ShopConfig.model_validate(
        {"domain": DOMAIN, "facilities": {
            "WH1": {"mode": "location", "location": "gid://shopify/Location/1"}, "WH2": wh2}}
    )  # fmt: skip
    return ShopsConfig({DOMAIN: shop})


@pytest.fixture
async def pool(isolated_database: IsolatedDatabase) -> AsyncIterator[asyncpg.Pool]:
    async with handler_pool(DEFINITION, isolated_database) as pool:
        yield pool


def registry(
    pool: asyncpg.Pool, shopify: FakeShopify | None, config: ShopsConfig | None = None
) -> FulfillmentServiceRegistry:
    clients = {DOMAIN: shopify} if shopify is not None else {}
    return FulfillmentServiceRegistry(pool, config or shops(), clients, interval_s=600)


async def row(pool: asyncpg.Pool) -> registry_store.Recorded:
    async with pool.acquire() as conn:
        found = await registry_store.recorded(conn, DOMAIN, "WH2")
    assert found is not None
    return found


async def published(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT body FROM outbox WHERE message_type = 'orders.fulfillment_service.registered' "
        "ORDER BY id"
    )
    return [json.loads(r["body"]) for r in rows]


async def scans(pool: asyncpg.Pool) -> list[tuple[str, str, str, int]]:
    rows = await pool.fetch("SELECT shop, facility, reason, generation FROM pending_request_scans")
    return [(r["shop"], r["facility"], r["reason"], r["generation"]) for r in rows]


async def test_registers_once_records_the_location_and_tells_the_other_services(
    pool: asyncpg.Pool,
) -> None:
    shopify = FakeShopify()
    worker = registry(pool, shopify)
    assert await worker.check_all() == 1
    [service] = shopify.services.values()
    assert (service["serviceName"], service["callbackUrl"]) == ("Acme Warehouse", CALLBACK)
    assert service["inventoryManagement"] is True
    recorded = await row(pool)
    assert (recorded.state, recorded.service_id, recorded.location_id) == (
        "registered", service["id"], service["location"]["id"],
    )  # fmt: skip
    assert recorded.created_at is not None and recorded.last_error is None
    [event] = await published(pool)
    assert event["shop"] == DOMAIN
    assert event["data"] == {
        "facility": "WH2",
        "fulfillment_service_id": service["id"],
        "location_id": service["location"]["id"],
        "inventory_management": True,
        "tracking_support": False,
    }
    assert await scans(pool) == [(DOMAIN, "WH2", "fulfillment service registered", 1)]
    async with pool.acquire() as conn:
        assert await registry_store.service_locations(conn, DOMAIN) == {
            service["location"]["id"]: "WH2"
        }
        assert (
            await registry_store.service_location(conn, DOMAIN, "WH2")
            == (service["location"]["id"])
        )
        assert await registry_store.service_location(conn, DOMAIN, "WH1") is None

    # Every later check: nothing created, the event again (for services started since), no scan.
    shopify.calls.clear()
    await worker.check_all()
    assert shopify.calls == ["FulfillmentServices"]
    assert len(await published(pool)) == 2
    assert await scans(pool) == [(DOMAIN, "WH2", "fulfillment service registered", 1)]
    [listed] = await worker.status()
    assert (listed["state"], listed["problem"], listed["configured"]) == ("registered", None, True)


async def test_a_restart_or_a_lost_record_finds_the_service_again_by_its_name(
    pool: asyncpg.Pool,
) -> None:
    shopify = FakeShopify()
    await registry(pool, shopify).check_all()
    await registry(pool, shopify).check_all()  # a new process, the same database
    await pool.execute("DELETE FROM fulfillment_services")  # or a database restored from before
    await registry(pool, shopify).check_all()
    assert len(shopify.services) == 1
    assert shopify.calls.count("FulfillmentServiceCreate") == 1
    assert (await row(pool)).state == "registered"


async def test_a_service_made_before_with_another_case_is_adopted_not_duplicated(
    pool: asyncpg.Pool,
) -> None:
    shopify = FakeShopify()
    made = shopify.add("ACME WAREHOUSE", callbackUrl=CALLBACK, inventoryManagement=True)
    await registry(pool, shopify).check_all()
    assert "FulfillmentServiceCreate" not in shopify.calls
    assert (await row(pool)).service_id == made["id"]


async def test_a_lost_create_answer_ends_with_exactly_one_service(pool: asyncpg.Pool) -> None:
    shopify = FakeShopify(lose_next_answer_of={"FulfillmentServiceCreate"})
    worker = registry(pool, shopify)
    await worker.check_all()
    lost = await row(pool)
    assert lost.state == "missing" and "HTTP 504" in (lost.reason or "")
    assert await published(pool) == []
    await worker.check_all()
    assert len(shopify.services) == 1
    assert shopify.calls.count("FulfillmentServiceCreate") == 1
    assert (await row(pool)).state == "registered"


async def test_a_name_taken_answer_to_a_repeated_create_adopts_the_service(
    pool: asyncpg.Pool,
) -> None:
    # The client sent the create again after a lost answer: Shopify refuses the repeat.
    shopify = FakeShopify()
    first = shopify.add("Acme Warehouse", callbackUrl=CALLBACK, inventoryManagement=True)
    listings = iter([[], None])

    async def execute(operation: Operation, variables: Mapping[str, Any] | None = None) -> Any:
        seen = next(listings, None)
        if seen is not None:  # the first listing was read before the lost create ran
            shopify.calls.append(operation.name)
            return {"shop": {"fulfillmentServices": seen}}
        return await FakeShopify.execute(shopify, operation, variables)

    shopify.execute = execute  # type: ignore[method-assign]
    await registry(pool, shopify).check_all()
    assert shopify.calls == [
        "FulfillmentServices",
        "FulfillmentServiceCreate",
        "FulfillmentServices",
    ]
    recorded = await row(pool)
    assert (recorded.state, recorded.service_id, recorded.last_error) == (
        "registered", first["id"], None,
    )  # fmt: skip
    assert len(shopify.services) == 1


async def test_a_name_taken_by_a_service_we_cannot_see_is_missing_with_shopifys_reason(
    pool: asyncpg.Pool,
) -> None:
    shopify = FakeShopify(refuse={"FulfillmentServiceCreate": NAME_TAKEN})
    worker = registry(pool, shopify)
    await worker.check_all()
    recorded = await row(pool)
    assert recorded.state == "missing"
    assert recorded.reason == f"fulfillmentServiceCreate refused: {NAME_TAKEN}"
    [listed] = await worker.status()
    assert listed["problem"] == f"missing: fulfillmentServiceCreate refused: {NAME_TAKEN}"


async def test_changed_settings_are_updated_and_a_refused_update_is_shown(
    pool: asyncpg.Pool,
) -> None:
    shopify = FakeShopify()
    await registry(pool, shopify).check_all()
    changed = shops(tracking_support=True, callback_url="https://gw2.example")
    await registry(pool, shopify, changed).check_all()
    [service] = shopify.services.values()
    assert service["trackingSupport"] is True
    assert service["callbackUrl"] == "https://gw2.example/fulfillment_services/WH2"
    recorded = await row(pool)
    assert (recorded.tracking_support, recorded.updated_at is not None) == (True, True)
    assert (await published(pool))[-1]["data"]["tracking_support"] is True

    # Renamed in the shops file: found by its recorded id, renamed in Shopify.
    await registry(pool, shopify, shops(name="Acme Fulfilment")).check_all()
    assert service["serviceName"] == "Acme Fulfilment"
    assert len(shopify.services) == 1

    shopify.refuse["FulfillmentServiceUpdate"] = "Callback url is not allowed"
    worker = registry(pool, shopify, shops(name="Acme Fulfilment", callback_url="https://x.io"))
    await worker.check_all()
    recorded = await row(pool)
    assert recorded.state == "registered", "it exists: its location still routes orders"
    assert recorded.last_error == "fulfillmentServiceUpdate refused: Callback url is not allowed"
    [listed] = await worker.status()
    assert listed["problem"].startswith("last check failed: fulfillmentServiceUpdate refused")


async def test_shopify_away_keeps_a_registered_service_and_shows_the_error(
    pool: asyncpg.Pool,
) -> None:
    shopify = FakeShopify()
    worker = registry(pool, shopify)
    await worker.check_all()
    shopify.down = True
    await worker.check_all()
    recorded = await row(pool)
    assert recorded.state == "registered" and "HTTP 503" in (recorded.last_error or "")
    assert len(await published(pool)) == 1, "only after a successful check"
    shopify.down = False
    await worker.check_all()
    assert (await row(pool)).last_error is None


async def test_a_new_location_asks_for_a_scan_again(pool: asyncpg.Pool) -> None:
    shopify = FakeShopify()
    await registry(pool, shopify).check_all()
    [service] = shopify.services.values()
    service["location"] = {"id": "gid://shopify/Location/4242"}
    await registry(pool, shopify).check_all()
    assert await scans(pool) == [(DOMAIN, "WH2", "fulfillment service location changed", 2)]
    assert (await row(pool)).location_id == "gid://shopify/Location/4242"


async def test_no_token_is_missing_and_an_uninstalled_shop_is_skipped(pool: asyncpg.Pool) -> None:
    await registry(pool, None).check_all()
    assert (await row(pool)).reason == f"no Admin API access token for {DOMAIN}"
    await pool.execute("DELETE FROM fulfillment_services")
    await pool.execute(
        "INSERT INTO uninstalled_shops (shop, uninstalled_at) VALUES ($1, now())", DOMAIN
    )
    shopify = FakeShopify()
    assert await registry(pool, shopify).check_all() == 0
    assert shopify.calls == []


async def test_an_operator_delete_is_not_undone_by_the_schedule_until_register(
    pool: asyncpg.Pool,
) -> None:
    shopify = FakeShopify()
    worker = registry(pool, shopify)
    await worker.check_all()
    [first] = list(shopify.services)
    deleted = await worker.delete(DOMAIN, "WH2")
    assert (deleted.deleted_service_id, deleted.inventory_action) == (first, "KEEP")
    assert shopify.services == {}
    assert (deleted.recorded.state, deleted.recorded.service_id) == ("deleted_by_operator", first)
    async with pool.acquire() as conn:
        assert await registry_store.service_locations(conn, DOMAIN) == {}

    shopify.calls.clear()
    await worker.check_all()
    assert shopify.calls == [], "the schedule leaves it alone"
    [listed] = await worker.status()
    assert listed["problem"] == "deleted by an operator; still in the shops file"

    registered = await worker.register(DOMAIN, "WH2")
    assert registered.state == "registered" and registered.service_id != first
    assert len(shopify.services) == 1
    await worker.check_all()
    assert len(shopify.services) == 1


async def test_a_refused_delete_changes_nothing_and_an_unconfirmed_one_stays_deleted(
    pool: asyncpg.Pool,
) -> None:
    shopify = FakeShopify()
    worker = registry(pool, shopify)
    await worker.check_all()
    shopify.refuse["FulfillmentServiceDelete"] = "Invalid destination location."
    with pytest.raises(DeleteRefused, match="Invalid destination location"):
        await worker.delete(DOMAIN, "WH2", destination_location_id="gid://shopify/Location/77")
    recorded = await row(pool)
    assert recorded.state == "registered" and recorded.deleted_at is None
    assert "Invalid destination location" in (recorded.last_error or "")

    del shopify.refuse["FulfillmentServiceDelete"]
    shopify.lose_next_answer_of.add("FulfillmentServiceDelete")
    with pytest.raises(DeleteUnconfirmed):
        await worker.delete(DOMAIN, "WH2", inventory_action="DELETE")
    recorded = await row(pool)
    assert (recorded.state, recorded.reason) == ("deleted_by_operator", DELETE_PENDING)
    shopify.calls.clear()
    await worker.check_all()
    assert shopify.calls == [], "no second service while the first may still exist"


async def test_deleting_what_shopify_no_longer_has_still_stops_the_schedule(
    pool: asyncpg.Pool,
) -> None:
    shopify = FakeShopify()
    worker = registry(pool, shopify)
    deleted = await worker.delete(DOMAIN, "WH2")
    assert deleted.deleted_service_id is None
    assert (await row(pool)).state == "deleted_by_operator"
    assert "FulfillmentServiceDelete" not in shopify.calls


async def test_unknown_shops_facilities_and_bad_arguments_change_nothing(
    pool: asyncpg.Pool,
) -> None:
    worker = registry(pool, FakeShopify())
    with pytest.raises(UnknownServiceFacility, match=r"shop nope\.myshopify\.com"):
        await worker.register("nope.myshopify.com", "WH2")
    with pytest.raises(UnknownServiceFacility, match="no fulfillment service facility WH1"):
        await worker.delete(DOMAIN, "WH1")
    with pytest.raises(ValueError, match="TRANSFER needs destination_location_id"):
        await worker.delete(DOMAIN, "WH2", inventory_action="TRANSFER")
    assert await pool.fetchval("SELECT count(*) FROM fulfillment_services") == 0
