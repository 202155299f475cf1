"""The AsyncAPI 3.0 document describing the bus: the broker, one channel per exchange, one
operation and one message per message type, and which of shipbridge's services sends and which
receives each message (derived from each service's declaration: its message table and the types
it publishes). Payload schemas are referenced, not copied."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.json_schema import schema_path
from contracts.registry import INTERNAL_EVENTS, WMS_COMMANDS, WMS_EVENTS, MessageSpec

_AMQP_BINDING_VERSION = "0.3.0"
_PERSISTENT = 2

_EXCHANGE_DESCRIPTIONS = {
    WMS_COMMANDS: "Commands shipbridge sends to the WMS. The WMS binds its own queues.",
    WMS_EVENTS: "Events the WMS sends to shipbridge.",
    INTERNAL_EVENTS: "Events between shipbridge's own services; not part of the WMS contract.",
}

# Operations are described from shipbridge's side: it sends commands and receives events.
# Internal events are both; they are listed as sent (their producer is a shipbridge service).
_ACTIONS = {"command": "send", "event": "receive", "internal": "send"}


@dataclass(frozen=True)
class ServiceMessages:
    """What one service receives (its message table) and sends (its declared publications)."""

    name: str
    receives: Sequence[str]
    sends: Sequence[str]


def asyncapi_document(
    specs: Iterable[MessageSpec], services: Sequence[ServiceMessages] = ()
) -> dict[str, Any]:
    ordered = sorted(specs, key=lambda spec: spec.type)
    by_type = {spec.type: spec for spec in ordered}
    exchanges = sorted({spec.exchange for spec in ordered})
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "shipbridge messages",
            "version": "1.0.0",
            "description": (
                "Every message on shipbridge's RabbitMQ bus. Exchanges are durable topic "
                "exchanges; the routing key of a message equals its envelope `type`. Messages "
                "are persistent JSON with AMQP message_id = envelope id, type = envelope type "
                "and correlation_id = envelope correlation_id. Consumers deduplicate on `id`."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "{host}:{port}",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The RabbitMQ broker given by AMQP_URL.",
                "variables": {"host": {"default": "127.0.0.1"}, "port": {"default": "5672"}},
            }
        },
        "channels": {
            exchange: _channel(exchange, [spec for spec in ordered if spec.exchange == exchange])
            for exchange in exchanges
        },
        "operations": {
            **{spec.type: _operation(spec) for spec in ordered},
            **_service_operations(services, by_type),
        },
        "components": {"messages": {spec.type: _message(spec) for spec in ordered}},
    }


def _channel(exchange: str, specs: list[MessageSpec]) -> dict[str, Any]:
    return {
        "address": exchange,
        "description": _EXCHANGE_DESCRIPTIONS.get(exchange, ""),
        "servers": [{"$ref": "#/servers/rabbitmq"}],
        "messages": {spec.type: {"$ref": f"#/components/messages/{spec.type}"} for spec in specs},
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": exchange,
                    "type": "topic",
                    "durable": True,
                    "autoDelete": False,
                    "vhost": "/",
                },
                "bindingVersion": _AMQP_BINDING_VERSION,
            }
        },
    }


def _operation(spec: MessageSpec) -> dict[str, Any]:
    return {
        "action": _ACTIONS[spec.direction],
        "channel": {"$ref": f"#/channels/{spec.exchange}"},
        "summary": spec.summary,
        "messages": [{"$ref": f"#/channels/{spec.exchange}/messages/{spec.type}"}],
        "bindings": {
            "amqp": {
                "cc": [spec.type],
                "deliveryMode": _PERSISTENT,
                "bindingVersion": _AMQP_BINDING_VERSION,
            }
        },
    }


def _service_operations(
    services: Sequence[ServiceMessages], by_type: dict[str, MessageSpec]
) -> dict[str, Any]:
    """`<service>.sends.<type>` and `<service>.receives.<type>`: who is on each end."""
    operations: dict[str, Any] = {}
    for service in sorted(services, key=lambda s: s.name):
        for verb, action, types in (
            ("sends", "send", service.sends),
            ("receives", "receive", service.receives),
        ):
            for message_type in sorted(types):
                spec = by_type[message_type]
                operations[f"{service.name}.{verb}.{message_type}"] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{spec.exchange}"},
                    "summary": f"{service.name} {verb} {message_type}",
                    "messages": [{"$ref": f"#/channels/{spec.exchange}/messages/{spec.type}"}],
                    "tags": [{"name": service.name}],
                }
    return operations


def _message(spec: MessageSpec) -> dict[str, Any]:
    return {
        "name": spec.type,
        "title": spec.type,
        "summary": spec.summary,
        "contentType": "application/json",
        "payload": {"$ref": f"./{schema_path(spec)}"},
        "correlationId": {"location": "$message.payload#/correlation_id"},
        "bindings": {"amqp": {"messageType": spec.type, "bindingVersion": _AMQP_BINDING_VERSION}},
    }
