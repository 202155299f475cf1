"""Wiring of fulfillment-sync: its subscriptions, handlers, routes and schedules, in one place."""

from service_runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="fulfillment-sync",
    default_port=8082,
)
