"""inventorySetQuantities: compare-and-set, @idempotent replay, Shopify's bounds."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, VariableNode
from graphql.execution.values import get_directive_values
from graphql.language import ObjectValueNode, get_location

from shopify_sim.clock import graphql_time
from shopify_sim.domain.inventory_adjust import duplicate_pair_errors
from shopify_sim.domain.inventory_rules import (
    MAX_QUANTITIES_PER_CALL,
    check_set_quantities,
    service_location_errors,
    set_deltas,
)
from shopify_sim.domain.user_errors import user_error
from shopify_sim.ids import gid, gid_number
from shopify_sim.resolvers.context import context_of
from shopify_sim.state.models import InventoryLevel
from shopify_sim.state.repository import ShopState
from shopify_sim.views.catalog import inventory_item_node, location_node

Node = dict[str, Any]


def idempotency_key(info: GraphQLResolveInfo) -> str | None:
    directive = info.schema.get_directive("idempotent")
    if directive is None:
        return None
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return str(values["key"]) if values and values.get("key") is not None else None


def _input_variable_location(info: GraphQLResolveInfo) -> list[dict[str, int]]:
    """Where the `$input` variable is declared: Shopify points at it too."""
    argument = next((a for a in info.field_nodes[0].arguments if a.name.value == "input"), None)
    if argument is None or not isinstance(argument.value, VariableNode):
        return []
    name = argument.value.name.value
    for definition in info.operation.variable_definitions:
        if definition.variable.name.value == name and definition.loc is not None:
            source = definition.loc.source
            where = get_location(source, definition.loc.start)
            return [{"line": where.line, "column": where.column}]
    return []


def _field_location(info: GraphQLResolveInfo) -> list[dict[str, int]]:
    node = info.field_nodes[0]
    if node.loc is None:
        return []
    where = get_location(node.loc.source, node.loc.start)
    return [{"line": where.line, "column": where.column}]


def requires_change_from(
    info: GraphQLResolveInfo,
    entries: list[dict[str, Any]],
    input_type: str = "InventoryQuantityInput",
) -> None:
    """Since 2026-04 every entry must name `changeFromQuantity` (null opts out)."""
    if all("changeFromQuantity" in entry for entry in entries):
        return
    argument = next((a for a in info.field_nodes[0].arguments if a.name.value == "input"), None)
    inline = argument is not None and isinstance(argument.value, ObjectValueNode)
    raise LocatedError(
        f"{input_type} must include the following argument: changeFromQuantity.",
        _field_location(info) + ([] if inline else _input_variable_location(info)),
        {"code": "INVALID_FIELD_ARGUMENTS"},
    )


class LocatedError(GraphQLError):
    """A resolver error whose `locations` are given explicitly (Shopify lists two)."""

    def __init__(
        self, message: str, locations: list[dict[str, int]], extensions: dict[str, Any]
    ) -> None:
        super().__init__(message, extensions=extensions)
        self.explicit_locations = locations


def _group_node(shop: ShopState, group: dict[str, Any]) -> Node:
    def changes(
        _info: Any,
        inventoryItemIds: list[str] | None = None,
        locationIds: list[str] | None = None,
        quantityNames: list[str] | None = None,
    ) -> list[Node]:
        rows = []
        for change in group["changes"]:
            if quantityNames and change["name"] not in quantityNames:
                continue
            if inventoryItemIds and gid("InventoryItem", change["item"]) not in inventoryItemIds:
                continue
            if locationIds and gid("Location", change["location"]) not in locationIds:
                continue
            variant = shop.variants_by_item[change["item"]]
            location = shop.locations[change["location"]]
            rows.append(
                {
                    "name": change["name"],
                    "delta": change["delta"],
                    "quantityAfterChange": None,
                    "ledgerDocumentUri": change.get("ledger_document_uri"),
                    "item": lambda _i, v=variant: inventory_item_node(shop, v),
                    "location": lambda _i, loc=location: location_node(shop, loc),
                }
            )
        return rows

    return {
        "__typename": "InventoryAdjustmentGroup",
        "id": gid("InventoryAdjustmentGroup", group["id"]),
        "createdAt": graphql_time(group["created_at"]),
        "reason": group["reason"],
        "referenceDocumentUri": group["reference_document_uri"],
        "app": None,
        "staffMember": None,
        "changes": changes,
    }


def _payload(shop: ShopState, stored: dict[str, Any]) -> Node:
    group = stored.get("group")
    return {
        "inventoryAdjustmentGroup": _group_node(shop, group) if group else None,
        "userErrors": stored["userErrors"],
    }


def _apply(shop: ShopState, data: dict[str, Any]) -> dict[str, Any]:
    name = data["name"]
    errors = check_set_quantities(
        data,
        item_exists=lambda item: item in shop.variants_by_item,
        location_exists=lambda location: location in shop.locations,
        level_of=shop.level,
    ) + duplicate_pair_errors(data["quantities"], "quantities")
    errors = errors or service_location_errors(
        data["quantities"], "quantities", lambda location: refuses_quantities(shop, location)
    )
    if errors:
        return {"group": None, "userErrors": errors}
    changes: list[dict[str, Any]] = []
    for quantity in data["quantities"]:
        item, location, level = checked_level(shop, quantity)
        deltas = set_deltas(name, level.quantities.get(name, 0), quantity["quantity"])
        shop.change_quantities(level, dict(deltas))
        changes.extend(
            {"name": n, "delta": d, "item": item, "location": location} for n, d in deltas
        )
    return {"group": record_group(shop, data, changes), "userErrors": []}


def refuses_quantities(shop: ShopState, location_id: int) -> bool:
    """A fulfillment service's location takes quantity writes only if the service manages
    inventory (domain/inventory_rules.SERVICE_LOCATION_NOT_MANAGED)."""
    service = shop.service_at(location_id)
    return service is not None and not service.inventory_management


def checked_level(shop: ShopState, entry: dict[str, Any]) -> tuple[int, int, InventoryLevel]:
    """The item, location and level of an entry the domain checks already found."""
    item = gid_number(entry["inventoryItemId"], "InventoryItem")
    location = gid_number(entry["locationId"], "Location")
    assert item is not None and location is not None  # checked before applying
    level = shop.level(item, location)
    assert level is not None
    return item, location, level


def refuse_oversized_input(entries: list[dict[str, Any]]) -> None:
    """More than MAX_QUANTITIES_PER_CALL entries is a top-level error, as Shopify answers it."""
    if len(entries) > MAX_QUANTITIES_PER_CALL:
        raise GraphQLError(
            f"The input array size of {len(entries)} is greater than the maximum allowed of "
            f"{MAX_QUANTITIES_PER_CALL}.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )


def record_group(
    shop: ShopState, data: dict[str, Any], changes: list[dict[str, Any]]
) -> dict[str, Any]:
    group = {
        "id": shop.new_id(),
        "created_at": shop.now(),
        "reason": data["reason"],
        "reference_document_uri": data.get("referenceDocumentUri"),
        "changes": changes,
    }
    shop.adjustment_groups[group["id"]] = group
    return group


def inventory_set_quantities(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> Node:
    shop = context_of(info).shop
    key = required_idempotency_key(info)
    quantities = input["quantities"]
    refuse_oversized_input(quantities)
    requires_change_from(info, quantities)
    return run_idempotent(shop, f"inventorySetQuantities:{key}", input, _apply)


def required_idempotency_key(info: GraphQLResolveInfo) -> str:
    key = idempotency_key(info)
    if key is None:
        raise GraphQLError(
            "The @idempotent directive is required for this mutation but was not provided.",
            extensions={"code": "BAD_REQUEST"},
        )
    return key


def run_idempotent(
    shop: ShopState,
    scoped_key: str,
    input: dict[str, Any],
    apply: Callable[[ShopState, dict[str, Any]], dict[str, Any]],
) -> Node:
    """Apply once per key; the same key again replays the first payload, a different input
    under the same key is refused as Shopify refuses it."""
    fingerprint = json.dumps(input, sort_keys=True, default=str)
    previous = shop.idempotency.get(scoped_key)
    if previous is not None:
        if previous[0] != fingerprint:
            return {
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    user_error(
                        ["input"],
                        "The same idempotency key cannot be used with different operation "
                        "parameters.",
                        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                    )
                ],
            }
        return _payload(shop, previous[1])
    stored = apply(shop, input)
    shop.idempotency[scoped_key] = (fingerprint, stored)
    return _payload(shop, stored)


MUTATION_FIELDS: dict[str, Callable[..., Any]] = {
    "inventorySetQuantities": inventory_set_quantities,
}
