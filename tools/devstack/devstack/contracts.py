"""`make contracts`: the contract documents, with who sends and receives each message.

    python -m devstack.contracts            # regenerate contracts/schemas and asyncapi.json
    python -m devstack.contracts --check    # exit 1 naming stale files

The services' declarations (their message tables and `publishes`) say who is on each end of
every message; the contracts package renders the documents from them.
"""

import sys
from collections.abc import Sequence

from contracts.asyncapi import ServiceMessages
from contracts.export import main as export
from devstack.__main__ import definitions


def service_messages() -> list[ServiceMessages]:
    return [
        ServiceMessages(d.name, receives=list(d.routes), sends=list(d.publishes))
        for d in definitions()
    ]


def main(argv: Sequence[str] | None = None) -> int:
    return export(argv, services=service_messages())


if __name__ == "__main__":
    sys.exit(main())
