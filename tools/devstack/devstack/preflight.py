"""Before starting anything: are Postgres and RabbitMQ there? If not, say exactly how to fix it."""

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Dependency:
    name: str
    url: str
    default_port: int
    how_to_start: str


def reachable(url: str, default_port: int, timeout: float = 1.0) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), timeout=timeout
        ):
            return True
    except OSError:
        return False


def missing(database_url: str, amqp_url: str) -> list[str]:
    deps = [
        Dependency(
            "PostgreSQL",
            database_url,
            5432,
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
            "    (or: docker compose up -d postgres)",
        ),
        Dependency(
            "RabbitMQ",
            amqp_url,
            5672,
            "rabbitmq-server -detached\n    (or: docker compose up -d rabbitmq)",
        ),
    ]
    problems = []
    for dep in deps:
        if not reachable(dep.url, dep.default_port):
            where = urlsplit(dep.url)
            problems.append(
                f"{dep.name} is not reachable at {where.hostname}:{where.port or dep.default_port} "
                f"({'DATABASE_URL' if dep.default_port == 5432 else 'AMQP_URL'}).\n"
                f"  Start it with:\n    {dep.how_to_start}"
            )
    return problems
