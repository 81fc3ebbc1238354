"""Batch runs over many files that never lose a finished result (see ``run.py``).

    inputs (files, folders, lists of paths) -> skip what the durable JSONL log already holds
    -> workers (processes, or Ray actors), each loading its models once -> records
    -> the parent appends each record to the log (flush + fsync) -> CSV/JSON rendered from the log

Which task runs is a lookup in the task registry (vidmm.tasks.registry); nothing here knows a task by name.
"""

from .run import BatchConfig, BatchSummary, run_batch

__all__ = ["BatchConfig", "BatchSummary", "run_batch"]
