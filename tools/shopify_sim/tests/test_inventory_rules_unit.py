"""The checks inventorySetQuantities and inventoryAdjustQuantities share: unknown item or
location, reason, and the bounds (each mutation with its own limit, the same codes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shopify_sim.domain.inventory_adjust import check_adjust_quantities
from shopify_sim.domain.inventory_rules import check_set_quantities
from shopify_sim.state.models import InventoryLevel

NOW = datetime(2026, 7, 10, tzinfo=UTC)
ITEM, LOCATION = "gid://shopify/InventoryItem/1", "gid://shopify/Location/2"


def _level(available: int = 0) -> InventoryLevel:
    level = InventoryLevel(3, 1, 2, NOW, NOW)
    level.quantities["available"] = available
    return level


def _set(quantity: int, **entry):
    data = {
        "name": "available",
        "reason": entry.pop("reason", "correction"),
        "quantities": [
            {"inventoryItemId": ITEM, "locationId": LOCATION, "quantity": quantity, **entry}
        ],
    }
    return check_set_quantities(
        data,
        item_exists=lambda item: item == 1,
        location_exists=lambda location: location == 2,
        level_of=lambda item, location: _level(),
    )


def _adjust(delta: int, available: int = 0, **entry):
    data = {
        "name": "available",
        "reason": entry.pop("reason", "correction"),
        "changes": [{"inventoryItemId": ITEM, "locationId": LOCATION, "delta": delta, **entry}],
    }
    return check_adjust_quantities(
        data,
        item_exists=lambda item: item == 1,
        location_exists=lambda location: location == 2,
        level_of=lambda item, location: _level(available),
    )


@pytest.mark.parametrize("check", [_set, _adjust])
def test_an_unknown_item_is_refused_before_an_unknown_location(check):
    errors = check(1, inventoryItemId="gid://shopify/InventoryItem/9", locationId="nope")
    assert [(e["field"][-1], e["code"]) for e in errors] == [
        ("inventoryItemId", "INVALID_INVENTORY_ITEM")
    ]
    errors = check(1, locationId="gid://shopify/Location/9")
    assert [(e["field"][-1], e["message"], e["code"]) for e in errors] == [
        ("locationId", "The specified location could not be found.", "INVALID_LOCATION")
    ]


@pytest.mark.parametrize("check", [_set, _adjust])
def test_an_unknown_reason_is_refused_with_the_valid_ones(check):
    [error] = check(1, reason="because")
    assert (error["field"], error["code"]) == (["input", "reason"], "INVALID_REASON")
    assert error["message"].startswith("The specified reason is invalid. Valid values are: ")
    assert "correction" in error["message"]


@pytest.mark.parametrize(
    ("errors", "field", "message", "code"),
    [
        (
            _set(1_000_000_001),
            "quantity",
            "The quantity can't be higher than 1,000,000,000.",
            "INVALID_QUANTITY_TOO_HIGH",
        ),
        (
            _set(-1_000_000_001),
            "quantity",
            "The quantity can't be lower than -1,000,000,000.",
            "INVALID_QUANTITY_TOO_LOW",
        ),
        (
            _adjust(1, available=2_000_000_000),
            "delta",
            "The quantity can't be higher than 2,000,000,000.",
            "INVALID_QUANTITY_TOO_HIGH",
        ),
        (
            _adjust(-1, available=-2_000_000_000),
            "delta",
            "The quantity can't be lower than -2,000,000,000.",
            "INVALID_QUANTITY_TOO_LOW",
        ),
    ],
)
def test_each_mutation_bounds_the_quantity_with_its_own_limit(errors, field, message, code):
    assert [(e["field"][-1], e["message"], e["code"]) for e in errors] == [(field, message, code)]


def test_quantities_at_the_limits_are_accepted():
    assert _set(1_000_000_000) == []
    assert _adjust(1, available=1_999_999_999) == []
