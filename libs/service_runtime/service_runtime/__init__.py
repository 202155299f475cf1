"""Service runtime: settings, JSON logging with correlation ids, ops HTTP server, lifecycle."""

from service_runtime.ops import RUNTIME, require_operator
from service_runtime.service import ServiceDefinition, ServiceRuntime, Wiring, run
from service_runtime.settings import RuntimeSettings
from service_runtime.shopify_clients import ShopifyClients

__all__ = [
    "RUNTIME",
    "RuntimeSettings",
    "ServiceDefinition",
    "ServiceRuntime",
    "ShopifyClients",
    "Wiring",
    "require_operator",
    "run",
]
