import json
from collections.abc import Callable
from typing import Any

from contracts import MESSAGES, WMS_COMMANDS, WMS_EVENTS, parse_envelope


def test_every_spec_example_parses_and_keeps_every_field(
    spec_type: str, spec_message: Callable[[str], dict[str, Any]]
) -> None:
    message = spec_message(spec_type)

    envelope = parse_envelope(json.dumps(message))

    assert isinstance(envelope.data, MESSAGES[spec_type].payload)
    assert json.loads(envelope.to_json()) == message


def test_every_wms_message_has_a_spec_example(spec_payloads: dict[str, Any]) -> None:
    wms_exchanges = (WMS_COMMANDS, WMS_EVENTS)
    wms_types = {spec.type for spec in MESSAGES.values() if spec.exchange in wms_exchanges}
    assert wms_types == set(spec_payloads)
