"""Test support for code that uses the throttle or the client's retries."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ManualClock"]


@dataclass
class ManualClock:
    """A clock that moves only when something sleeps on it.

    Pass `clock` and `sleep` to `ThrottleRegistry` / `ShopifyClient` and every
    wait is recorded in `sleeps` instead of taking real time.
    """

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
