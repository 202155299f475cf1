"""The one exception every contract violation surfaces as, and its operator-readable reason."""

from pydantic import ValidationError
from pydantic_core import ErrorDetails

# A dead-letter reason is read by a person on the status page: a handful of problems is
# enough to act on, a wall of them is noise.
_MAX_PROBLEMS_SHOWN = 5
_MAX_INPUT_CHARS = 40


class ContractError(ValueError):
    """A message (or message under construction) does not satisfy its contract."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def describe_validation_error(error: ValidationError) -> str:
    """Compact one-line summary of pydantic's errors, e.g. `data.lines.0.quantity: ...`."""
    problems = [_describe_problem(detail) for detail in error.errors(include_url=False)]
    shown = "; ".join(problems[:_MAX_PROBLEMS_SHOWN])
    hidden = len(problems) - _MAX_PROBLEMS_SHOWN
    return f"{shown} (+{hidden} more)" if hidden > 0 else shown


def _describe_problem(detail: ErrorDetails) -> str:
    location = ".".join(str(part) for part in detail["loc"])
    message = detail["msg"]
    # An unexpected field's value says nothing about the problem (and may be personal data).
    if detail["type"] != "extra_forbidden":
        message += _describe_input(detail["input"], message=message)
    return f"{location}: {message}" if location else message


def _describe_input(value: object, *, message: str) -> str:
    # Only a scalar the message does not already quote helps: echoing a whole object back
    # (a missing field's parent, say) would drown the actual problem.
    if value is not None and not isinstance(value, str | int | float | bool):
        return ""
    if str(value) in message:
        return ""
    shown = repr(value)
    if len(shown) > _MAX_INPUT_CHARS:
        shown = shown[: _MAX_INPUT_CHARS - 3] + "..."
    return f" (got {shown})"
