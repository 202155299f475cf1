"""JSON Schema (draft 2020-12) of each message: the envelope with that message's payload."""

from typing import Any

from contracts.envelope import Envelope
from contracts.registry import MessageSpec

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_path(spec: MessageSpec) -> str:
    """Where a message's schema lives, relative to the contracts folder."""
    return f"schemas/{spec.type}.json"


def schema_id(spec: MessageSpec) -> str:
    return f"urn:shipbridge:message:{spec.type}:v{spec.version}"


def message_json_schema(spec: MessageSpec) -> dict[str, Any]:
    envelope = Envelope.model_json_schema()
    payload = spec.payload.model_json_schema()
    payload_name = spec.payload.__name__
    definitions = {**payload.pop("$defs", {}), payload_name: payload}
    properties = envelope["properties"]
    # The Envelope model accepts every type; pinning type, version and payload here makes
    # each schema accept exactly one message.
    properties["type"] = {**properties["type"], "const": spec.type}
    properties["version"] = {**properties["version"], "const": spec.version}
    properties["data"] = {"$ref": f"#/$defs/{payload_name}"}
    return {
        "$schema": DIALECT,
        "$id": schema_id(spec),
        "title": spec.type,
        "description": f"{spec.summary} (published on exchange {spec.exchange!r}, "
        f"routing key {spec.type!r}).",
        **{key: value for key, value in envelope.items() if key not in ("title", "description")},
        "$defs": dict(sorted(definitions.items())),
    }
