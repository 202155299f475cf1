"""Write (or check) the generated contract documents: one JSON Schema per message and the
AsyncAPI document. The WMS team reads these, so they are committed and must never be stale.

The AsyncAPI document names which service sends and receives what, which only the services'
declarations know; `make contracts` runs the export through `python -m devstack.contracts`,
which passes them in (this package cannot import the services that import it).

    python -m devstack.contracts            # regenerate
    python -m devstack.contracts --check    # exit 1 and name stale files if regenerating would
                                            # change anything
"""

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from contracts.asyncapi import ServiceMessages, asyncapi_document
from contracts.json_schema import message_json_schema, schema_path
from contracts.registry import MESSAGES

ASYNCAPI_PATH = "asyncapi.json"
SCHEMAS_DIR = "schemas"
# The contracts member folder (next to pyproject.toml), where the documents are committed.
DEFAULT_ROOT = Path(__file__).resolve().parents[1]


def render_documents(services: Sequence[ServiceMessages] = ()) -> dict[str, bytes]:
    """Every generated document by its path relative to the root, as the exact bytes to write."""
    specs = sorted(MESSAGES.values(), key=lambda spec: spec.type)
    documents = {schema_path(spec): _to_bytes(message_json_schema(spec)) for spec in specs}
    documents[ASYNCAPI_PATH] = _to_bytes(asyncapi_document(specs, services))
    return documents


def stale_documents(root: Path, documents: Mapping[str, bytes]) -> list[str]:
    """Paths that are missing, different, or generated once but no longer (sorted)."""
    stale = {
        path
        for path, content in documents.items()
        if not (root / path).is_file() or (root / path).read_bytes() != content
    }
    stale.update(_obsolete_schemas(root, documents))
    return sorted(stale)


def write_documents(root: Path, documents: Mapping[str, bytes]) -> list[str]:
    """Bring the folder up to date; returns what changed."""
    changed = stale_documents(root, documents)
    for path in changed:
        target = root / path
        if path in documents:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(documents[path])
        else:
            target.unlink()
    return changed


def main(argv: Sequence[str] | None = None, services: Sequence[ServiceMessages] = ()) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.contracts", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the contracts folder")
    arguments = parser.parse_args(argv)
    documents = render_documents(services)
    if arguments.check:
        stale = stale_documents(arguments.root, documents)
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        if stale:
            print("regenerate with: make contracts", file=sys.stderr)
        return 1 if stale else 0
    for path in write_documents(arguments.root, documents):
        print(f"wrote {path}" if path in documents else f"removed {path}")
    return 0


def _obsolete_schemas(root: Path, documents: Mapping[str, bytes]) -> list[str]:
    # A schema left behind by a removed or renamed message would still be read as a contract.
    directory = root / SCHEMAS_DIR
    if not directory.is_dir():
        return []
    existing = (f"{SCHEMAS_DIR}/{file.name}" for file in directory.glob("*.json"))
    return [path for path in existing if path not in documents]


def _to_bytes(document: Any) -> bytes:
    # Key order is the models' field order (which follows SPEC); collections are sorted by the
    # renderers, so the same contracts always give the same bytes.
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
