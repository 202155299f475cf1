"""SPEC section 3's examples, with its "…" placeholders filled in, shared by the tests."""

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

_SPEC_EXAMPLES = json.loads((Path(__file__).parent / "data" / "spec_examples.json").read_text())

SPEC_PAYLOADS: dict[str, dict[str, Any]] = _SPEC_EXAMPLES["payloads"]
SPEC_ENVELOPE: dict[str, Any] = _SPEC_EXAMPLES["envelope"]


@pytest.fixture
def spec_payloads() -> dict[str, dict[str, Any]]:
    return copy.deepcopy(SPEC_PAYLOADS)


@pytest.fixture
def spec_message() -> Callable[[str], dict[str, Any]]:
    """A fresh copy of SPEC's envelope carrying SPEC's example payload of a type."""

    def build(message_type: str) -> dict[str, Any]:
        message = {**SPEC_ENVELOPE, "type": message_type, "data": SPEC_PAYLOADS[message_type]}
        return copy.deepcopy(message)

    return build


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # A test asking for `spec_type` runs once per message type SPEC gives an example of.
    if "spec_type" in metafunc.fixturenames:
        metafunc.parametrize("spec_type", sorted(SPEC_PAYLOADS))
