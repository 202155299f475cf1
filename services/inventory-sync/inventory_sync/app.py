"""Wiring of inventory-sync: its subscriptions, handlers, routes and schedules, in one place."""

from service_runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="inventory-sync",
    default_port=8083,
)
