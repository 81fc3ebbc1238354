"""The one table of tasks. The CLI, batch and the Python API look tasks up here by name.

Tasks come from plugins: a module (or any object) with a ``register_tasks(register)`` function, the way
simonw/llm's plugins register models. vidmm's own tasks are such modules (``BUILTIN``); a third-party
package adds its tasks with an entry point in the ``vidmm.tasks`` group::

    [project.entry-points."vidmm.tasks"]
    mytask = "my_package.vidmm_plugin"      # a module with register_tasks(register)

and ``vidmm batch --task mytask`` and ``vidmm.run("mytask", path)`` then find it. Nothing here knows a
task by name.
"""

from __future__ import annotations

import importlib
import logging

from ..errors import UsageError
from .base import Task

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "vidmm.tasks"
BUILTIN = (
    "vidmm.tasks.plugins.info",
    "vidmm.tasks.plugins.caption",
    "vidmm.tasks.plugins.ask",
    "vidmm.tasks.plugins.scene",
    "vidmm.tasks.plugins.shots",
    "vidmm.tasks.plugins.emotion",
    "vidmm.tasks.plugins.transcribe",
    "vidmm.tasks.plugins.search",
    "vidmm.tasks.plugins.ocr",
)

_tasks: dict[str, Task] = {}
_loaded = False


def register(task: Task | type[Task]) -> None:
    """Add a task (an instance, or a class made with no arguments). A second task of the same name
    replaces the first, so a plugin can override a built-in."""
    if isinstance(task, type):
        task = task()
    if not task.name:
        raise ValueError(f"{type(task).__name__} has no name")
    _tasks[task.name] = task


def _load_plugins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in BUILTIN:
        importlib.import_module(name).register_tasks(register)
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin = ep.load()
            (plugin if callable(plugin) else plugin.register_tasks)(register)
        except Exception as err:  # noqa: BLE001 - a broken plugin must not break vidmm
            log.warning("vidmm: task plugin %s could not be loaded: %s", ep.name, err)


def tasks() -> dict[str, Task]:
    """Every registered task by name, built-in first."""
    _load_plugins()
    return dict(_tasks)


def get_task(name: str) -> Task:
    """The task called ``name``; UsageError (exit 2) listing the known names otherwise."""
    known = tasks()
    if name not in known:
        raise UsageError(f"unknown task {name!r}", hint=f"use one of {', '.join(known)}")
    return known[name]
