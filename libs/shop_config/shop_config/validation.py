"""Turning pydantic's errors into one line per problem, naming the field and never the value.

Values are left out on purpose: the input may hold secrets, and the field path plus pydantic's
message ("Input should be 'skip' or 'download'") already says what to fix.
"""

from pydantic import ValidationError


def describe(error: ValidationError, *, skip_loc: int = 0) -> str:
    """`field.sub: message; other: message`, with the first `skip_loc` path parts dropped."""
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        path = ".".join(str(part) for part in item["loc"][skip_loc:])
        problems.append(f"{path}: {item['msg']}" if path else item["msg"])
    return "; ".join(problems)
