"""`vidmm models list|pull|path`: which models are present, fetch missing ones, where they live.

Registered by the lead with ``app.add_typer(models_app, name="models")``. Parses and renders only;
the work is in vidmm.models.registry.
"""

from __future__ import annotations

from pathlib import Path

import typer

from vidmm.errors import UsageError, VidmmError

from . import common

models_app = typer.Typer(help="Which models are present, fetch missing ones, where they live.",
                         no_args_is_help=True, add_completion=False)

_MODELS_DIR = typer.Option(None, "--models-dir", help="Folder with model files (default: $VIDMM_MODELS, "
                           "then the user data folder).")


def _fail(err: VidmmError) -> None:
    raise common.fail(err)


def _human_size(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@models_app.command("list")
def list_cmd(models_dir: Path | None = _MODELS_DIR,
             as_json: bool = typer.Option(False, "--json", help="One JSON document on stdout.")) -> None:
    """List every model vidmm knows, whether it is present, its size, license and path."""
    from vidmm.fusion import shipped
    from vidmm.models import registry, speech

    speech.register_listing()
    shipped.register_listing()
    rows = registry.list_models(models_dir)
    if common.machine_output(as_json, None):
        common.print_json({"models": [r.to_dict() for r in rows]})
        return
    from rich.table import Table

    table = Table(title="vidmm models")
    for col in ("name", "task", "present", "size", "license", "path"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r.name, r.task, "[green]yes[/]" if r.present else "[red]no[/]", _human_size(r.size),
                      r.license, r.path or "-")
    con = common.stdout_console()
    con.print(table)
    for r in rows:  # trained heads: what their model card says (data, held-out metrics, how far to trust them)
        if r.note:
            con.print(f"[bold]{r.name}[/]: {r.note}", highlight=False)


@models_app.command("pull")
def pull_cmd(name: str = typer.Argument(..., help="A model name from `vidmm models list`, or `all`."),
             models_dir: Path | None = _MODELS_DIR,
             base_url: str | None = typer.Option(
                 None, "--base-url",
                 help="Mirror laid out as OWNER/REPO/COMMIT/PATH (default https://raw.githubusercontent.com).")
             ) -> None:
    """Download a model's files from their pinned upstream commits and check each sha256 (a model split over
    PyPI packages, such as whisper-base, is joined from the installed packages instead: no download)."""
    from vidmm.models import registry

    try:
        if name in registry.PACKAGED:
            p = registry.packaged_path(name)
            typer.echo(f"{name}: installed with its package ({p})", err=True)
            return
        targets = ([*registry.MODELS, *registry.JOINED] if name == "all" else
                   [name] if name in registry.JOINED else [registry.spec(name).name])
        for target in targets:
            def report(relpath: str, status: str, _t=target) -> None:
                typer.echo(f"{_t}: {relpath} {status}", err=True)

            path = registry.pull(target, base_url=base_url, models_dir=models_dir, on_file=report)
            typer.echo(str(path))
    except VidmmError as e:
        _fail(e)


@models_app.command("path")
def path_cmd(name: str = typer.Argument(..., help="A model name from `vidmm models list`."),
             models_dir: Path | None = _MODELS_DIR) -> None:
    """Print the path of a model's main file (exit code 4 and how to get it when missing)."""
    from vidmm.models import registry

    try:
        if name in registry.PACKAGED:
            typer.echo(str(registry.packaged_path(name)))
        elif name in registry.MODELS or name in registry.JOINED:
            typer.echo(str(registry.model_path(name, models_dir)))
        else:
            raise UsageError(f"unknown model {name!r}", hint="see `vidmm models list`")
    except VidmmError as e:
        _fail(e)
