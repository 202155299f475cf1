"""Type names shared by everything that takes a database connection."""

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# What a handler is given: a plain connection, or the proxy a pool hands out.
Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy
