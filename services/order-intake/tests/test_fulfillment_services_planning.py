"""Registration's pure decisions: which of the shop's fulfillment services is the facility's,
what to create or change, the delete's arguments, and what operators are shown."""

from datetime import UTC, datetime
from typing import Any

import pytest

from order_intake.fulfillment_services import (
    STILL_CONFIGURED,
    Create,
    Keep,
    ServiceSettings,
    ShopifyService,
    Update,
    delete_variables,
    entries,
    find,
    plan,
)
from order_intake.registry_store import Recorded
from shop_config import ShopConfig, ShopsConfig

CALLBACK = "https://gw.example/fulfillment_services/WH2"
WANTED = ServiceSettings("Acme Warehouse", CALLBACK, True, False)


def service(
    n: int,
    name: str = "Acme Warehouse",
    callback: str | None = CALLBACK,
    inventory: bool = True,
    tracking: bool = False,
) -> ShopifyService:
    return ShopifyService(
        f"gid://shopify/FulfillmentService/{n}",
        ServiceSettings(name, callback, inventory, tracking),
        f"gid://shopify/Location/{100 + n}",
    )


def test_none_found_is_created_with_the_configured_settings() -> None:
    step = plan([service(1, name="Someone Else")], WANTED, None)
    assert step == Create(WANTED)
    assert isinstance(step, Create)
    assert step.variables == {
        "name": "Acme Warehouse",
        "callbackUrl": CALLBACK,
        "inventoryManagement": True,
        "trackingSupport": False,
    }


def test_found_by_name_case_insensitively_after_a_restart_is_kept_not_created_again() -> None:
    ours = service(2, name="ACME warehouse ")
    assert plan([service(1, name="Other"), ours], WANTED, None) == Keep(ours)


def test_the_recorded_id_wins_over_the_name_and_a_rename_is_an_update() -> None:
    renamed = service(3, name="Old Name")
    namesake = service(4)
    step = plan([namesake, renamed], WANTED, renamed.id)
    assert step == Update(renamed, {"name": "Acme Warehouse"})
    assert isinstance(step, Update)
    assert step.variables == {"id": renamed.id, "name": "Acme Warehouse"}


def test_a_recorded_id_shopify_no_longer_has_falls_back_to_the_name() -> None:
    again = service(5)
    found, by_id = find([again], "Acme Warehouse", "gid://shopify/FulfillmentService/1")
    assert (found, by_id) == (again, False)
    assert plan([], WANTED, "gid://shopify/FulfillmentService/1") == Create(WANTED)


def test_shopifys_own_services_are_never_adopted() -> None:
    manual = ShopifyService(
        "gid://shopify/FulfillmentService/manual",
        ServiceSettings("Manual", None, False, False),
        "gid://shopify/Location/1",
    )
    wanted = ServiceSettings("manual", CALLBACK, False, False)
    assert plan([manual], wanted, None) == Create(wanted), "Shopify refuses it, with its reason"


def test_an_exact_name_wins_over_a_case_variant() -> None:
    exact, variant = service(6), service(7, name="acme warehouse")
    assert find([variant, exact], "Acme Warehouse", None) == (exact, False)


@pytest.mark.parametrize(
    ("have", "changes"),
    [
        ({"callback": "https://old.example/fulfillment_services/WH2"}, {"callbackUrl": CALLBACK}),
        ({"callback": None}, {"callbackUrl": CALLBACK}),
        ({"inventory": False}, {"inventoryManagement": True}),
        ({"tracking": True}, {"trackingSupport": False}),
        ({"inventory": False, "tracking": True},
         {"inventoryManagement": True, "trackingSupport": False}),
    ],
)  # fmt: skip
def test_changed_settings_are_updated_and_only_those(
    have: dict[str, Any], changes: dict[str, Any]
) -> None:
    found = service(8, **have)
    assert plan([found], WANTED, None) == Update(found, changes)


def test_a_name_differing_only_in_case_found_by_name_is_left_alone() -> None:
    found = service(9, name="acme warehouse", callback=CALLBACK + "/")
    assert plan([found], WANTED, None) == Keep(found), "a trailing slash is the same URL"


def test_a_service_node_is_read_as_shopify_lists_it() -> None:
    node = {
        "id": "gid://shopify/FulfillmentService/18961920?id=true",
        "serviceName": "Acme Warehouse",
        "callbackUrl": CALLBACK,
        "inventoryManagement": True,
        "trackingSupport": False,
        "location": {"id": "gid://shopify/Location/42"},
    }
    read = ShopifyService.from_node(node)
    assert read.id == node["id"]
    assert read.settings == WANTED
    assert read.location_id == "gid://shopify/Location/42"
    assert ShopifyService.from_node({**node, "location": None}).location_id is None


@pytest.mark.parametrize(
    ("destination", "action", "sent"),
    [
        (None, None, "KEEP"),
        ("gid://shopify/Location/5", None, "TRANSFER"),
        ("gid://shopify/Location/5", "TRANSFER", "TRANSFER"),
        (None, "delete", "DELETE"),
        (None, "KEEP", "KEEP"),
    ],
)
def test_the_delete_always_names_its_inventory_action(
    destination: str | None, action: str | None, sent: str
) -> None:
    variables = delete_variables("gid://shopify/FulfillmentService/1", destination, action)
    assert variables == {
        "id": "gid://shopify/FulfillmentService/1",
        "destinationLocationId": destination,
        "inventoryAction": sent,
    }


@pytest.mark.parametrize(
    ("destination", "action", "error"),
    [
        (None, "TRANSFER", "TRANSFER needs destination_location_id"),
        ("gid://shopify/Location/5", "KEEP", "only used with inventory_action TRANSFER"),
        ("Location/5", None, "must be a location GID"),
        (None, "MOVE", "must be one of TRANSFER, KEEP, DELETE"),
    ],
)
def test_delete_arguments_that_make_no_sense_are_refused(
    destination: str | None, action: str, error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        delete_variables("gid://shopify/FulfillmentService/1", destination, action)


def _shops() -> ShopsConfig:
    facilities = {
        "WH1": {"mode": "location", "location": "gid://shopify/Location/1"},
        "WH2": {"mode": "fulfillment_service", "name": "Acme Warehouse",
                "callback_url": "https://gw.example"},
        "WH3": {"mode": "fulfillment_service", "name": "Acme North",
                "callback_url": "https://gw.example"},
        "WH4": {"mode": "fulfillment_service", "name": "Acme South",
                "callback_url": "https://gw.example"},
    }  # fmt: skip
    shop = ShopConfig.model_validate({"domain": "a.myshopify.com", "facilities": facilities})
    return ShopsConfig({shop.domain: shop})


def _recorded(facility: str, state: str, **fields: Any) -> Recorded:
    at = datetime(2026, 11, 22, 10, tzinfo=UTC)
    base: dict[str, Any] = dict.fromkeys(Recorded.__dataclass_fields__)
    base.update(shop="a.myshopify.com", facility=facility, state=state, last_checked_at=at)
    base.update(fields)
    return Recorded(**base)


def test_operators_see_every_configured_service_and_what_is_wrong_with_it() -> None:
    recorded = [
        _recorded("WH2", "registered", service_id="gid://shopify/FulfillmentService/1",
                  location_id="gid://shopify/Location/9"),
        _recorded("WH3", "deleted_by_operator", reason="deleted by an operator"),
        _recorded("OLD", "registered", service_id="gid://shopify/FulfillmentService/2",
                  location_id="gid://shopify/Location/8"),
    ]  # fmt: skip
    listed = {e["facility"]: e for e in entries(_shops(), recorded)}
    assert list(listed) == ["OLD", "WH2", "WH3", "WH4"], "location-mode WH1 is not one"
    assert listed["WH2"]["problem"] is None
    assert listed["WH2"]["location_id"] == "gid://shopify/Location/9"
    assert listed["WH2"]["last_checked_at"] == "2026-11-22T10:00:00+00:00"
    assert listed["WH3"]["problem"] == STILL_CONFIGURED
    assert (listed["WH4"]["state"], listed["WH4"]["problem"]) == (
        "missing",
        "missing: not checked yet",
    )
    assert (listed["OLD"]["configured"], listed["OLD"]["problem"]) == (False, None)


def test_a_failed_check_of_a_registered_service_is_a_problem_too() -> None:
    failing = _recorded(
        "WH2", "registered", service_id="gid://shopify/FulfillmentService/1",
        location_id="gid://shopify/Location/9", last_error="ShopifyUnavailable: 503",
    )  # fmt: skip
    missing = _recorded("WH3", "missing", reason="fulfillmentServiceCreate refused: taken")
    listed = {e["facility"]: e for e in entries(_shops(), [failing, missing])}
    assert listed["WH2"]["problem"] == "last check failed: ShopifyUnavailable: 503"
    assert listed["WH3"]["problem"] == "missing: fulfillmentServiceCreate refused: taken"
