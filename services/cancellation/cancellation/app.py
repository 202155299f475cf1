"""Wiring of cancellation: its subscriptions, handlers, routes and schedules, in one place."""

from service_runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="cancellation",
    default_port=8084,
)
