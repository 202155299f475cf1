"""Pending work in Postgres, retried until done: the answer to "how is Shopify work retried".

`table.WorkTable`: the table shape and its SQL (claim with a lease, extend, retry later, wake,
summary). `worker.WorkLoop`: the one loop every worker runs. `backoff.BackoffPolicy`: how long
to wait, for work rows and Shopify calls alike.
"""

from work_queue.backoff import BackoffPolicy
from work_queue.table import Key, WorkTable
from work_queue.worker import LeaseKeeper, WorkLoop, WorkStats, finish_tasks, periodic

__all__ = [
    "BackoffPolicy",
    "Key",
    "LeaseKeeper",
    "WorkLoop",
    "WorkStats",
    "WorkTable",
    "finish_tasks",
    "periodic",
]
