"""The AsyncAPI document's "who sends and receives what", derived from the services' own
declarations, is committed, current, and tells the truth about the code."""

import re
from importlib import import_module
from pathlib import Path

from contracts import MESSAGES
from contracts.export import DEFAULT_ROOT, render_documents, stale_documents
from devstack.__main__ import definitions
from devstack.contracts import service_messages


def test_committed_documents_are_up_to_date() -> None:
    stale = stale_documents(DEFAULT_ROOT, render_documents(service_messages()))

    assert not stale, f"stale contract documents {stale}: run `make contracts`"


def test_every_message_has_a_sender_and_a_receiver() -> None:
    services = service_messages()
    sent = {t for s in services for t in s.sends}
    received = {t for s in services for t in s.receives}
    for spec in MESSAGES.values():
        if spec.direction == "command":  # the WMS receives these
            assert spec.type in sent, f"no service sends {spec.type}"
        elif spec.direction == "event":  # the WMS sends these
            assert spec.type in received, f"no service receives {spec.type}"
        elif spec.type in received:
            assert spec.type in sent, f"{spec.type} is received but no service sends it"


def test_a_service_names_in_its_code_only_messages_it_declares() -> None:
    """A message type spelled in a service's code is one it receives or declares it sends: an
    emit of an undeclared type would make the AsyncAPI document lie."""
    literal = re.compile(r"[\"']([a-z_]+(?:\.[a-z_/]+)+)[\"']")
    for definition in definitions():
        package = Path(import_module(definition.name.replace("-", "_")).__file__ or "").parent
        declared = set(definition.routes) | set(definition.publishes)
        named = {
            m
            for source in package.rglob("*.py")
            for m in literal.findall(source.read_text())
            if m in MESSAGES
        }
        assert named <= declared, f"{definition.name} names undeclared {sorted(named - declared)}"
