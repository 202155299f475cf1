"""Keeping the warehouse across restarts: one JSON file, replaced atomically on every save."""

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts import Envelope, parse_envelope
from wms_sim.state import WarehouseState


class SavedSimulator(BaseModel):
    warehouse: WarehouseState
    pending: list[dict[str, Any]] = []
    """Events decided but not yet confirmed by the broker: published again after a restart."""


def save(path: Path, warehouse: WarehouseState, pending: list[Envelope]) -> None:
    document = SavedSimulator(
        warehouse=warehouse, pending=[json.loads(envelope.to_json()) for envelope in pending]
    )
    # Write aside, then rename: a crash mid-write leaves the previous file whole.
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(document.model_dump_json())
    os.replace(scratch, path)


def load(path: Path) -> tuple[WarehouseState, list[Envelope]] | None:
    if not path.exists():
        return None
    document = SavedSimulator.model_validate_json(path.read_text())
    return document.warehouse, [parse_envelope(json.dumps(raw)) for raw in document.pending]
