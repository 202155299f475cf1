"""Mutation results: the payload Shopify returned plus its userErrors.

A userError (bad quantity, unknown fulfillment order, order already cancelled)
is an answer, not a failure of the call, so it is returned, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MutationResult", "UserError", "user_errors"]


@dataclass(frozen=True)
class UserError:
    field: list[str] | None
    message: str
    code: str | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> UserError:
        path = raw.get("field")
        code = raw.get("code")
        return cls(
            field=[str(part) for part in path] if isinstance(path, list) else None,
            message=str(raw.get("message", "")),
            code=code if isinstance(code, str) else None,
        )


def user_errors(payload: Mapping[str, Any] | None) -> list[UserError]:
    """The userErrors of one mutation payload, e.g. `data["orderCancel"]`.

    Some payloads carry a typed list next to the deprecated generic one
    (`orderCancelUserErrors` beside `userErrors`); the typed list has the error
    codes, so it wins when both are present.
    """
    if not payload:
        return []
    typed_keys = [key for key in payload if key.endswith("UserErrors") and key != "userErrors"]
    for key in [*typed_keys, "userErrors"]:
        raw_errors = payload.get(key)
        if isinstance(raw_errors, list) and (raw_errors or key == "userErrors"):
            return [UserError.from_json(raw) for raw in raw_errors if isinstance(raw, Mapping)]
    return []


@dataclass(frozen=True)
class MutationResult:
    """One mutation's payload (`data[<mutation field>]`) and its userErrors."""

    payload: dict[str, Any]
    user_errors: list[UserError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.user_errors

    @property
    def error_codes(self) -> list[str]:
        return [error.code for error in self.user_errors if error.code is not None]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> MutationResult:
        """Build from a mutation's `data`, which has exactly one root field."""
        if len(data) != 1:
            raise ValueError(f"expected one mutation field in data, got {sorted(data)}")
        (payload,) = data.values()
        payload_dict = dict(payload) if isinstance(payload, Mapping) else {}
        return cls(payload=payload_dict, user_errors=user_errors(payload_dict))
