"""Talking to the services' HTTP endpoints, with errors an operator can act on.

Service addresses come from the same variables as the status page's (STATUS_<SERVICE>_URL,
default http://127.0.0.1:<port>); OPS_TOKEN, when set, is sent as the bearer token.
"""

import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from operator_status.sources import DEFAULT_SERVICES, service_urls, url_variable

BAD_ARGUMENTS = 2
UNREACHABLE = 3
FAILED = 1


class CliError(Exception):
    """Something to tell the operator, and the exit status that goes with it."""

    def __init__(self, message: str, exit_status: int = FAILED) -> None:
        super().__init__(message)
        self.exit_status = exit_status


class Services:
    def __init__(self, env: Mapping[str, str], timeout_s: float = 60.0) -> None:
        self.urls = service_urls(env)
        token = env.get("OPS_TOKEN")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, connect=5)

    @staticmethod
    def check_name(service: str) -> str:
        if service not in DEFAULT_SERVICES:
            raise CliError(
                f"unknown service {service!r}; one of: {', '.join(DEFAULT_SERVICES)}",
                BAD_ARGUMENTS,
            )
        return service

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        body: Any = None,
        *,
        missing_ok: bool = False,
    ) -> Any:
        """The JSON answer; CliError for an unreachable service or an error answer.

        `missing_ok`: a 404 answers None (a service without that endpoint, or nothing found).
        """
        base = self.urls[service]
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout, headers=self._headers) as http,
                http.request(method, f"{base}{path}", json=body) as resp,
            ):
                status = resp.status
                text = await resp.text()
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise CliError(
                f"{service} is not reachable at {base} ({type(exc).__name__}: {exc}). "
                f"Is it running? {url_variable(service)} sets its address.",
                UNREACHABLE,
            ) from None
        answer = _json(text)
        if status == 404 and missing_ok:
            return None
        if status >= 400:
            detail = answer.get("error") if isinstance(answer, dict) else None
            if status == 401:
                detail = "the service wants the operator token: set OPS_TOKEN"
            raise CliError(f"{service} answered {status}: {detail or text.strip()[:300]}")
        return answer


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
