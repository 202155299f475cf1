"""What can go wrong talking to the Admin API, as exceptions callers can tell apart.

userErrors are not exceptions: a mutation that Shopify refuses for business
reasons is a normal result (see `user_errors.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ACCESS_DENIED",
    "DeniedField",
    "ShopifyAuthError",
    "ShopifyError",
    "ShopifyGraphQLError",
    "ShopifyRequestError",
    "ShopifyUnavailable",
    "denied_fields",
    "error_code",
]

ACCESS_DENIED = "ACCESS_DENIED"
"""extensions.code of a field the app may not read: a missing scope, or protected customer data
(customer, addresses, email) Shopify withholds from the app, e.g. a custom app on the Basic plan
since January 2024 ("This app is not approved to access the Customer object")."""


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

    def denied_fields(self) -> list[DeniedField] | None:
        """The fields Shopify withheld, when every error is an ACCESS_DENIED on a field inside
        the answer (the rest of `data` is good); None when any error is something else."""
        return denied_fields(self.errors)

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


@dataclass(frozen=True)
class DeniedField:
    """One field Shopify refused to return (ACCESS_DENIED); the value at `path` came back null."""

    path: tuple[str | int, ...]
    """Where in `data`, e.g. ("nodes", 3, "shippingAddress")."""
    message: str

    def within(self, prefix: Sequence[str | int]) -> bool:
        return len(self.path) > len(prefix) and self.path[: len(prefix)] == tuple(prefix)

    def describe(self) -> str:
        """The message with the field's name, e.g. `shippingAddress: This app is not ...`."""
        names = [part for part in self.path if isinstance(part, str)]
        return f"{names[-1] if names else '?'}: {self.message}"


def denied_fields(errors: Sequence[Mapping[str, Any]]) -> list[DeniedField] | None:
    """Every error as a DeniedField, or None unless all are ACCESS_DENIED with a path."""
    denied: list[DeniedField] = []
    for error in errors:
        path = error.get("path")
        if error_code(error) != ACCESS_DENIED or not isinstance(path, list) or not path:
            return None
        parts = tuple(p for p in path if isinstance(p, str | int) and not isinstance(p, bool))
        if len(parts) != len(path):
            return None
        denied.append(DeniedField(parts, str(error.get("message") or "access denied")))
    return denied or None
