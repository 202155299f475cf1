"""Small helpers for the services' operator endpoints: JSON errors and JSON bodies.

Errors are raised as aiohttp HTTP exceptions with a JSON body `{"error": ...}`, which is what
the operator command line prints.
"""

import json
from typing import Any

from aiohttp import web


def bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


def not_found(message: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(text=json.dumps({"error": message}), content_type="application/json")


def conflict(message: str) -> web.HTTPConflict:
    return web.HTTPConflict(text=json.dumps({"error": message}), content_type="application/json")


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request's body, which must be a JSON object (400 otherwise)."""
    try:
        body = await request.json()
    except ValueError:
        raise bad_request("body must be JSON") from None
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    return body


def text_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{name} is required")
    return value.strip()
