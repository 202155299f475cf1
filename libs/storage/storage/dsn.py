"""Connection-string manipulation: the admin DSN is turned into each service's own DSN."""

from urllib.parse import quote, urlsplit, urlunsplit


def with_credentials(dsn: str, user: str, password: str | None = None) -> str:
    """The same server and database as `dsn`, logged in as `user`.

    Services never share the admin login: each gets its own role (see provision.py), so the only
    thing that differs between their DSNs is who connects.
    """
    parts = urlsplit(dsn)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    auth = quote(user, safe="")
    if password:
        auth += ":" + quote(password, safe="")
    return urlunsplit(
        (parts.scheme, f"{auth}@{host}{port}", parts.path, parts.query, parts.fragment)
    )


def database_name(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/") or "postgres"


def with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))
