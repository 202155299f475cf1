import json
from pathlib import Path

import pytest

from contracts import MESSAGES
from contracts.export import (
    ASYNCAPI_PATH,
    DEFAULT_ROOT,
    main,
    render_documents,
    stale_documents,
)
from contracts.json_schema import DIALECT, schema_path


def test_committed_schemas_are_up_to_date() -> None:
    # The AsyncAPI document also names the services on each end, which only they know: its
    # staleness is checked beside them (tools/devstack/tests/test_contract_documents.py).
    stale = stale_documents(DEFAULT_ROOT, render_documents())

    assert [path for path in stale if path != ASYNCAPI_PATH] == [], "run `make contracts`"


def test_rendering_is_deterministic() -> None:
    assert render_documents() == render_documents()


def test_each_schema_describes_exactly_one_message_type() -> None:
    documents = render_documents()

    for spec in MESSAGES.values():
        schema = json.loads(documents[schema_path(spec)])
        assert schema["$schema"] == DIALECT
        assert schema["$id"].endswith(f":{spec.type}:v{spec.version}")
        assert schema["title"] == spec.type
        assert schema["properties"]["type"]["const"] == spec.type
        assert schema["properties"]["version"]["const"] == spec.version
        assert schema["additionalProperties"] is False
        assert schema["properties"]["data"] == {"$ref": f"#/$defs/{spec.payload.__name__}"}


def test_asyncapi_routes_every_message_by_its_type_to_a_rendered_schema() -> None:
    documents = render_documents()
    asyncapi = json.loads(documents[ASYNCAPI_PATH])

    assert asyncapi["asyncapi"] == "3.0.0"
    assert set(asyncapi["channels"]) == {spec.exchange for spec in MESSAGES.values()}
    assert set(asyncapi["operations"]) == set(MESSAGES)
    for spec in MESSAGES.values():
        operation = asyncapi["operations"][spec.type]
        channel = asyncapi["channels"][spec.exchange]
        message = asyncapi["components"]["messages"][spec.type]
        assert operation["channel"] == {"$ref": f"#/channels/{spec.exchange}"}
        assert operation["bindings"]["amqp"]["cc"] == [spec.type]
        assert channel["bindings"]["amqp"]["exchange"]["name"] == spec.exchange
        assert spec.type in channel["messages"]
        assert message["payload"]["$ref"].removeprefix("./") in documents


def test_check_names_stale_and_obsolete_files_and_write_repairs_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--check", "--root", str(tmp_path)]) == 0

    (tmp_path / "schemas" / "wms.order.hold.json").write_text("{}")
    (tmp_path / "schemas" / "wms.order.teleport.json").write_text("{}")
    (tmp_path / ASYNCAPI_PATH).unlink()
    capsys.readouterr()

    assert main(["--check", "--root", str(tmp_path)]) == 1
    report = capsys.readouterr().err
    for path in ("schemas/wms.order.hold.json", "schemas/wms.order.teleport.json", ASYNCAPI_PATH):
        assert f"stale: {path}" in report
    assert "make contracts" in report

    assert main(["--root", str(tmp_path)]) == 0
    assert not (tmp_path / "schemas" / "wms.order.teleport.json").exists()
    assert main(["--check", "--root", str(tmp_path)]) == 0
