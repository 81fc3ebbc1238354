"""The user config file: defaults a user sets once instead of passing a flag every time.

``<platformdirs user config dir>/vidmm/config.toml`` (or the file env ``VIDMM_CONFIG`` names), e.g.::

    backbone = "openai/clip-vit-base-patch32"
    shots = "exact"

A flag wins over the file; an environment variable (``VIDMM_BACKBONE``) over the file too.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError


def config_path() -> Path:
    """The user config file: env VIDMM_CONFIG, else ``<user config dir>/vidmm/config.toml``."""
    env = os.environ.get("VIDMM_CONFIG")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("vidmm")) / "config.toml"


def config_value(name: str) -> str | None:
    """The text value ``name`` in the config file, or None (no file, no such key). A file that cannot be
    read, or a value that is not text, is a usage error naming the file."""
    path = config_path()
    if not path.is_file():
        return None
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read config file: {exc}", path=str(path), hint="fix or remove it") from exc
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise UsageError(f"`{name}` must be a string", path=str(path))
    return value or None
