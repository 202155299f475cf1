"""Shopify Admin GraphQL client with cost-aware throttling, webhook verification, cost model.

Modules, one job each:
- `client`: ShopifyClient, one per shop (execute / execute_mutation).
- `operations`: every GraphQL document the project sends, as `Operation`s.
- `mutations`: typed helpers that build mutation variables and return results.
- `pagination`: follow cursors; read nodes by id in batches.
- `throttle`: the local model of Shopify's leaky bucket, shared per shop.
- `retry`: what a response means (success / retry / give up) and backoff.
- `results`, `errors`: userErrors as data; failures as typed exceptions.
- `webhooks`: HMAC signing/verification and delivery headers.
- `search`: Shopify search-syntax strings. `reference`: where shared/ lives.
"""

from shopify_admin.client import DEFAULT_API_VERSION, ShopifyClient
from shopify_admin.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyGraphQLError,
    ShopifyRequestError,
    ShopifyUnavailable,
)
from shopify_admin.operations import Operation
from shopify_admin.results import MutationResult, UserError, user_errors
from shopify_admin.webhooks import WebhookHeaderError, WebhookHeaders, sign, verify

__all__ = [
    "DEFAULT_API_VERSION",
    "MutationResult",
    "Operation",
    "ShopifyAuthError",
    "ShopifyClient",
    "ShopifyError",
    "ShopifyGraphQLError",
    "ShopifyRequestError",
    "ShopifyUnavailable",
    "UserError",
    "WebhookHeaderError",
    "WebhookHeaders",
    "sign",
    "user_errors",
    "verify",
]
