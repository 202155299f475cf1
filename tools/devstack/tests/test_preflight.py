"""`make run` says exactly what is missing, and how to start it, before starting anything."""

import socket

from devstack.preflight import missing
from testkit.infra import LOCAL_AMQP, LOCAL_PG, reachable


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again once the socket is: nothing listens there


def test_names_the_unreachable_broker_and_how_to_start_it() -> None:
    problems = missing(LOCAL_PG, f"amqp://guest:guest@127.0.0.1:{_closed_port()}/")
    assert len(problems) == (1 if reachable("127.0.0.1", 5432) else 2)
    [broker] = [p for p in problems if p.startswith("RabbitMQ")]
    assert "(AMQP_URL)" in broker
    assert "rabbitmq-server -detached" in broker


def test_names_the_unreachable_database_and_how_to_start_it() -> None:
    problems = missing(f"postgresql://postgres@127.0.0.1:{_closed_port()}/x", LOCAL_AMQP)
    [database] = [p for p in problems if p.startswith("PostgreSQL")]
    assert "(DATABASE_URL)" in database
    assert "pg_ctlcluster" in database


def test_nothing_missing_when_both_answer() -> None:
    if reachable("127.0.0.1", 5432) and reachable("127.0.0.1", 5672):
        assert missing(LOCAL_PG, LOCAL_AMQP) == []
