"""Compare simulator responses with Shopify's recorded ones by shape (keys and JSON types)."""

from __future__ import annotations

import json
from typing import Any

from shopify_admin.reference import shopify_dir


def capture(name: str) -> Any:
    """A recorded request/response pair from shared/shopify/captures/."""
    return json.loads((shopify_dir() / "captures" / f"{name}.json").read_text(encoding="utf-8"))


def assert_same_shape(ours: Any, theirs: Any, path: str = "$") -> None:
    """Same keys at every level, same JSON types where both sides are non-null.

    Lists are compared by their first elements; null on either side is accepted
    because nullability follows the data, not the shape.
    """
    if theirs is None or ours is None:
        return
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), f"{path}: expected an object, got {ours!r}"
        assert set(ours) == set(theirs), f"{path}: keys {sorted(ours)} != {sorted(theirs)}"
        for key in theirs:
            assert_same_shape(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list), f"{path}: expected a list, got {ours!r}"
        if ours and theirs:
            assert_same_shape(ours[0], theirs[0], f"{path}[0]")
    elif isinstance(theirs, bool) or isinstance(ours, bool):
        assert type(ours) is type(theirs), f"{path}: {ours!r} vs {theirs!r}"
    elif isinstance(theirs, int | float):
        assert isinstance(ours, int | float), f"{path}: {ours!r} vs {theirs!r}"
    else:
        assert type(ours) is type(theirs), f"{path}: {ours!r} vs {theirs!r}"
