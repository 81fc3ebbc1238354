"""`vidmm cache info|clear`: where the embedding cache lives, how big it is, and emptying it."""

from __future__ import annotations

import typer

from . import common

cache_app = typer.Typer(help="Show or clear the embedding cache.", no_args_is_help=True, add_completion=False)


@cache_app.command("info")
def info(json_out: bool = typer.Option(False, "--json", help="One JSON document on stdout.")) -> None:
    """Where the cache is, how many entries, how many bytes, and its cap."""
    from ..cache import Cache

    data = Cache().info().to_dict()
    if common.machine_output(json_out, None):
        common.print_json(data)
        return
    mb = data["bytes"] / (1 << 20)
    cap = data["max_bytes"] / (1 << 20)
    common.stdout_console().print(
        f"[bold]{data['root']}[/bold]\n{data['entries']} entries, {mb:.1f} MB of {cap:.0f} MB "
        "(VIDMM_CACHE moves it, VIDMM_CACHE_MAX_MB caps it)"
    )


@cache_app.command("clear")
def clear() -> None:
    """Delete every cached embedding and feature (they are rebuilt on demand)."""
    from ..cache import Cache

    n = Cache().clear()
    print(f"removed {n} entries", flush=True)
