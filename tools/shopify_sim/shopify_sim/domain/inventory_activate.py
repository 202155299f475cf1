"""inventoryActivate's checks (2026-04 live capture inventory-activate-on-hand of the
shopify-draft-proxy conformance suite, and its recorded notes); pure."""

from __future__ import annotations

from shopify_sim.domain.user_errors import UserError, user_error

MAX_ACTIVATE_QUANTITY = 1_000_000_000
LOCATION_NOT_FOUND = "The product couldn't be stocked because the location wasn't found."
# simulator wording, after inventoryDeactivate's "couldn't be unstocked because the product was
# deleted" (recorded): Shopify's answer for an unknown item at activation was not recorded.
ITEM_NOT_FOUND = "The product couldn't be stocked because the product was deleted."
ALREADY_ACTIVE = {
    "available": "Not allowed to set available quantity when the item is already active at the "
    "location.",
    "onHand": "Not allowed to set an on_hand quantity when the item is already active at the "
    "location.",
}


def activate_errors(
    location_name: str, quantities: dict[str, int | None], *, already_active: bool
) -> list[UserError]:
    """`quantities`: the `available` and `onHand` arguments (None when not given).

    Both at once, or one beyond ±1 billion, refuse the activation; either on a level that is
    already active is refused too but the level comes back (as captured)."""
    given = {name: value for name, value in quantities.items() if value is not None}
    prefix = f"The product couldn't be stocked at {location_name} because"
    if len(given) > 1:
        return [
            user_error(
                [name],
                f"{prefix} not allowed to set available and on_hand quantities at the same time.",
            )
            for name in given
        ]
    for name, value in given.items():
        if abs(value) > MAX_ACTIVATE_QUANTITY:
            return [
                user_error(
                    [name], f"{prefix} the quantity needs to be between -1 billion and 1 billion."
                )
            ]
        if already_active:
            return [user_error([name], ALREADY_ACTIVE[name])]
    return []
