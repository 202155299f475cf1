"""Registration against the Shopify simulator, through a real order-intake (conftest `intake`):
a mixed shop (WH1, WH2 as merchant-managed locations, WH3 as a fulfillment service) registers
WH3 once; a second process on the same database, a lost `fulfillmentServiceCreate` answer and
a service found with other settings all end with exactly one service, as configured; an
operator's delete is not undone by the schedule until the operator registers it again."""

from typing import Any

import aiohttp
import pytest

from contracts import FulfillmentServiceRegistered
from order_intake.app import DEFINITION
from shopify_sim.state.models import FulfillmentService
from testkit.plugin import IsolatedDatabase
from testkit.probe import eventually
from testkit.services import running_service

from .conftest import DOMAIN, TOKEN, IntakeFactory, IntakeWorld, ShopWorld

NAME = "Sim 3PL"
GATEWAY = "https://gw.example"
CALLBACK = f"{GATEWAY}/fulfillment_services/WH3"
WH3: dict[str, Any] = {
    "mode": "fulfillment_service",
    "name": NAME,
    "callback_url": GATEWAY,
    "inventory_management": True,
    "tracking_support": True,
}


@pytest.fixture(autouse=True)
def _quick_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDER_INTAKE_REGISTRATION_INTERVAL_S", "0.3")


def services(world: ShopWorld) -> list[FulfillmentService]:
    return list(world.shop.fulfillment_services.values())


def creates(world: ShopWorld) -> int:
    stats = world.sim.simulator.gateway.shop_runtime(world.shop).stats
    return int(stats.requests_by_operation.get("FulfillmentServiceCreate", 0))


async def get(world: IntakeWorld, path: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{world.base_url}{path}") as resp:
        assert resp.status == 200, await resp.text()
        body: dict[str, Any] = await resp.json()
        return body


async def listed(world: IntakeWorld) -> dict[str, Any]:
    [entry] = (await get(world, "/fulfillment-services"))["fulfillment_services"]
    return dict(entry)


async def registered(world: IntakeWorld) -> dict[str, Any]:
    async def done() -> bool:
        entry = await listed(world)
        return entry["state"] == "registered" and entry["last_error"] is None

    await eventually(done, timeout_s=20)
    return await listed(world)


def announced(world: IntakeWorld) -> list[FulfillmentServiceRegistered]:
    return world.tap.payloads("orders.fulfillment_service.registered", FulfillmentServiceRegistered)


async def test_a_mixed_shop_registers_its_service_once_and_a_second_process_finds_it(
    intake: IntakeFactory, isolated_database: IsolatedDatabase, isolated_vhost: str
) -> None:
    async with intake(shop_settings={"facilities": {"WH3": WH3}}) as world:
        entry = await registered(world)
        [service] = services(world)
        assert (service.name, service.callback_url) == (NAME, CALLBACK)
        assert (service.inventory_management, service.tracking_support) == (True, True)
        location = f"gid://shopify/Location/{service.location_id}"
        assert world.shop.locations[service.location_id].name == NAME
        assert (entry["service_id"], entry["location_id"]) == (
            f"gid://shopify/FulfillmentService/{service.id}?id=true", location,
        )  # fmt: skip
        await eventually(lambda: len(announced(world)) >= 2, timeout_s=10)  # every check
        first = announced(world)[0]
        assert (first.facility, first.location_id, first.inventory_management) == (
            "WH3", location, True,
        )  # fmt: skip
        status = await get(world, "/status")
        [shown] = status["fulfillment_services"]
        assert (shown["state"], shown["location_id"], shown["problem"]) == (
            "registered", location, None,
        )  # fmt: skip

        # Another process on the same database (a restart, or a second replica) checks at once.
        async with running_service(
            DEFINITION, isolated_database, isolated_vhost, shopify_admin_url=world.sim.base_url
        ) as second:

            async def second_checked() -> bool:
                url = f"http://127.0.0.1:{second.port}/status"
                async with aiohttp.ClientSession() as http, http.get(url) as resp:
                    body = await resp.json()
                return body["fulfillment_service_registration"]["checks"] >= 2

            await eventually(second_checked, timeout_s=10)
        assert len(services(world)) == 1
        assert creates(world) == 1


async def test_a_lost_create_answer_ends_with_exactly_one_service(intake: IntakeFactory) -> None:
    async def slow_answers(world: ShopWorld) -> None:
        # Time to lose the create's answer once Shopify has run it.
        await world.sim.admin("POST", "/faults", {"answer_delay_seconds": 0.4})

    async with intake(shop_settings={"facilities": {"WH3": WH3}}, before_start=slow_answers) as w:
        await eventually(lambda: len(services(w)) == 1, timeout_s=10)
        await w.sim.admin("POST", "/faults", {"lost_answer_fraction": 1.0})
        await eventually(lambda: creates(w) >= 2, timeout_s=15)  # the client sent it again
        await w.sim.admin("DELETE", "/faults")
        entry = await registered(w)
        [service] = services(w)
        assert entry["service_id"].startswith(f"gid://shopify/FulfillmentService/{service.id}")
        assert w.sim.simulator.gateway.shop_runtime(w.shop).stats.injected_faults["lost_answer"]


async def test_a_service_found_with_other_settings_is_updated(intake: IntakeFactory) -> None:
    async def made_before(world: ShopWorld) -> None:
        # Ours, from before the database knew it, with the gateway's old address.
        answer = await world.sim.graphql(
            TOKEN,
            """mutation { fulfillmentServiceCreate(name: "SIM 3PL",
                 callbackUrl: "https://old.example/fs", inventoryManagement: true) {
               fulfillmentService { id } userErrors { message } } }""",
        )
        assert answer["data"]["fulfillmentServiceCreate"]["userErrors"] == []

    async with intake(shop_settings={"facilities": {"WH3": WH3}}, before_start=made_before) as w:
        entry = await registered(w)
        [service] = services(w)
        assert (service.callback_url, service.tracking_support) == (CALLBACK, True)
        assert service.name == "SIM 3PL", "found by its name: the case is left as it is"
        assert entry["updated_at"] is not None and entry["created_at"] is None
        assert creates(w) == 0


async def test_an_operator_delete_sticks_until_the_operator_registers_again(
    intake: IntakeFactory,
) -> None:
    async with intake(shop_settings={"facilities": {"WH3": WH3}}) as world:
        await registered(world)
        [service] = services(world)
        status, body = await world.post(
            "/fulfillment-services/intake-test.myshopify.com/WH3/delete",
            {"inventory_action": "TRANSFER"},
        )
        assert (status, "needs destination_location_id" in body["error"]) == (400, True)
        status, body = await world.post("/fulfillment-services/nope.myshopify.com/WH3/delete", {})
        assert status == 404
        status, body = await world.post(f"/fulfillment-services/{DOMAIN}/WH1/register", {})
        assert (status, "no fulfillment service facility WH1" in body["error"]) == (404, True)

        status, body = await world.post(f"/fulfillment-services/{DOMAIN}/WH3/delete", {})
        assert status == 200, body
        assert body["deleted_service_id"].startswith(
            f"gid://shopify/FulfillmentService/{service.id}"
        )
        assert (body["state"], body["inventory_action"]) == ("deleted_by_operator", "KEEP")
        assert services(world) == []
        kept = world.shop.locations[service.location_id]
        assert (kept.deleted, kept.fulfillment_service_id) == (False, None), "KEEP: merchant's"

        checked = (await listed(world))["last_checked_at"]
        await eventually(lambda: _later_round(world, checked), timeout_s=10)
        assert services(world) == [], "the schedule does not create it again"
        entry = await listed(world)
        assert entry["problem"] == "deleted by an operator; still in the shops file"
        problems = (await get(world, "/status"))["fulfillment_services"]
        assert problems[0]["state"] == "deleted_by_operator"

        status, body = await world.post(f"/fulfillment-services/{DOMAIN}/WH3/register", {})
        assert (status, body["state"], body["problem"]) == (200, "registered", None), body
        [again] = services(world)
        assert again.id != service.id
        assert creates(world) == 2


async def _later_round(world: IntakeWorld, after: str | None) -> bool:
    round_at = (await get(world, "/status"))["fulfillment_service_registration"]["last_round_at"]
    return round_at is not None and (after is None or round_at > after)
