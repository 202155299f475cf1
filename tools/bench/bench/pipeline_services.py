"""The two sides of the messaging benchmark: a producing service (outbox and relay only) and a
consuming service (inbox and handler), as two services are deployed."""

from dataclasses import replace

from messaging import Routes
from service_runtime import ServiceDefinition
from testkit.probe import ProbeBehaviour, probe_definition

RAW_QUEUE = "raw-baseline"


def consumer_definition() -> ServiceDefinition[ProbeBehaviour]:
    return probe_definition(ProbeBehaviour(), name="bench-consumer")


def producer_definition() -> ServiceDefinition[ProbeBehaviour]:
    # The probe with no routes (so no queue): it only publishes, through its outbox.
    return replace(probe_definition(ProbeBehaviour(), name="bench-producer"), routes=Routes())
