"""Shopify global ids ("gid://shopify/Order/123") and the numeric ids behind them."""

from __future__ import annotations

GID_PREFIX = "gid://shopify/"


def gid(kind: str, number: int) -> str:
    return f"{GID_PREFIX}{kind}/{number}"


def parse_gid(value: object) -> tuple[str, int] | None:
    """(kind, number) of a GID, or None when it is not one.

    Query strings are dropped: Shopify's InventoryLevel ids carry
    `?inventory_item_id=…`, which is not part of the identity.
    """
    if not isinstance(value, str) or not value.startswith(GID_PREFIX):
        return None
    kind, _, rest = value[len(GID_PREFIX) :].partition("/")
    number = rest.split("?", 1)[0]
    if not kind or not number.isdigit():
        return None
    return kind, int(number)


def gid_number(value: object, kind: str) -> int | None:
    """The numeric id of a GID of the given kind, or None."""
    parsed = parse_gid(value)
    if parsed is None or parsed[0] != kind:
        return None
    return parsed[1]
