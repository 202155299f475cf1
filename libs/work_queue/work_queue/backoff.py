"""How long to wait before trying again: the one backoff of the project.

Shopify calls (shopify_admin's client) and pending work in Postgres (work_queue.table) both use
it: a call waits a jittered delay, a work row is due again after the ceiling.
"""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class BackoffPolicy:
    """Full-jitter exponential backoff: a uniform wait in [0, min(cap, base * 2^(n-1))].

    Full jitter spreads the retries of many workers that failed together, so they do not hit
    Shopify again in lockstep. `max_attempts` (None: for ever) says when to give up.
    """

    base: float = 0.5
    cap: float = 20.0
    max_attempts: int | None = None

    def ceiling(self, attempt: int) -> float:
        """The longest wait after failed attempt number `attempt` (1-based), without jitter."""
        # The exponent stops growing at 30 (any sane cap is reached long before): a worker that
        # retries for ever must not overflow turning 2**n into a float.
        return float(min(self.cap, self.base * 2 ** min(max(0, attempt - 1), 30)))

    def jittered(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0.0, self.ceiling(attempt))

    def after_failure(self, attempts_so_far: int) -> float | None:
        """When work that has failed `attempts_so_far` times before this failure is due again
        (seconds from now), or None: that was the last attempt allowed."""
        attempt = attempts_so_far + 1
        if self.max_attempts is not None and attempt >= self.max_attempts:
            return None
        return self.ceiling(attempt)
