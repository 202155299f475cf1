"""Shopify's userErrors as plain dicts (field path + message, optional code)."""

from __future__ import annotations

from typing import Any

UserError = dict[str, Any]


def user_error(field: list[str] | None, message: str, code: str | None = None) -> UserError:
    error: UserError = {"field": field, "message": message}
    if code is not None:
        error["code"] = code
    return error
