"""What can go wrong talking to the Admin API, as exceptions callers can tell apart.

userErrors are not exceptions: a mutation that Shopify refuses for business
reasons is a normal result (see `user_errors.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ShopifyAuthError",
    "ShopifyError",
    "ShopifyGraphQLError",
    "ShopifyRequestError",
    "ShopifyUnavailable",
]


class ShopifyError(Exception):
    """Base of every error raised by the Shopify Admin client."""


class ShopifyGraphQLError(ShopifyError):
    """Shopify answered with an `errors` array that retrying will not fix.

    Validation errors, MAX_COST_EXCEEDED, ACCESS_DENIED, RESOURCE_NOT_FOUND and
    the like. `data` holds whatever partial data came with the errors.
    """

    def __init__(
        self,
        operation: str,
        errors: Sequence[Mapping[str, Any]],
        data: Mapping[str, Any] | None = None,
    ) -> None:
        self.operation = operation
        self.errors = [dict(error) for error in errors]
        self.data = dict(data) if data is not None else None
        messages = "; ".join(str(error.get("message", "?")) for error in self.errors)
        super().__init__(f"{operation}: {messages}")

    @property
    def codes(self) -> list[str]:
        """The `extensions.code` of each error that has one, in order."""
        return [code for error in self.errors if (code := error_code(error)) is not None]


class ShopifyUnavailable(ShopifyError):
    """Shopify could not be reached or kept failing (THROTTLED, 429, 5xx, network)
    until the client ran out of attempts, or a retry was not allowed.

    `may_have_executed` is True when the last failure left it unknown whether a
    mutation ran (e.g. a timeout after the request was sent): callers that need
    exactly-once must read back before trying again.
    """

    def __init__(
        self, operation: str, attempts: int, reason: str, *, may_have_executed: bool
    ) -> None:
        self.operation = operation
        self.attempts = attempts
        self.reason = reason
        self.may_have_executed = may_have_executed
        super().__init__(f"{operation}: unavailable after {attempts} attempt(s): {reason}")


class ShopifyAuthError(ShopifyError):
    """401/403: the access token is wrong, revoked (app uninstalled) or lacks a scope."""

    def __init__(self, operation: str, status: int, detail: str) -> None:
        self.operation = operation
        self.status = status
        super().__init__(f"{operation}: HTTP {status}: {detail}")


class ShopifyRequestError(ShopifyError):
    """Any other non-retryable HTTP answer (400, 402 frozen shop, 404, 423 locked shop, ...)."""

    def __init__(self, operation: str, status: int, detail: str) -> None:
        self.operation = operation
        self.status = status
        super().__init__(f"{operation}: HTTP {status}: {detail}")


def error_code(error: Mapping[str, Any]) -> str | None:
    extensions = error.get("extensions")
    if isinstance(extensions, Mapping):
        code = extensions.get("code")
        if isinstance(code, str):
            return code
    return None
