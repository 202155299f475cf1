"""Wiring of order-intake: its subscriptions, handlers, routes and schedules, in one place."""

from service_runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="order-intake",
    default_port=8081,
)
