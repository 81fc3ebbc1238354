"""vidmm's own tasks, each a plugin module with ``register_tasks(register)`` (see vidmm.tasks.registry)."""
