"""Batch runs over many files that never lose a finished result (see ``run.py``).

    inputs (files, folders, lists of paths) -> skip what the durable JSONL log already holds
    -> workers (processes, or Ray actors), each loading its models once -> records
    -> the parent appends each record to the log (flush + fsync) -> CSV/JSON rendered from the log
"""

from .run import BatchConfig, BatchSummary, run_batch
from .tasks import TASKS, Task

__all__ = ["TASKS", "BatchConfig", "BatchSummary", "Task", "run_batch"]
