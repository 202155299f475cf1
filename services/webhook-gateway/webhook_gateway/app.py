"""Wiring of webhook-gateway: its subscriptions, handlers, routes and schedules, in one place."""

from service_runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="webhook-gateway",
    default_port=8080,
)
