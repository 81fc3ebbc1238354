"""`vidmm train DATA.csv --out DIR` and `vidmm eval DATA.csv --head DIR`: trained fusion heads.

Both parse options, call vidmm.fusion (fit / evaluate) and render: a Rich table (strategies side by side,
or metrics + per-class table + confusion matrix), or one JSON document with ``--json`` / when stdout is
not a terminal. Registered by the lead: ``train -> vidmm._cli.train_cmd:train``,
``eval -> vidmm._cli.train_cmd:eval_cmd``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common

_FUSIONS = ("early", "late", "attention", "all")


def _progress(verb: str):
    import sys

    if common.OPTIONS.quiet or not sys.stderr.isatty():
        return None
    con = common.stderr_console()

    def show(i: int, n: int, path: str) -> None:
        con.print(f"{verb} {i + 1}/{n}: {Path(path).name}", highlight=False)

    return show


def _extractor(backbone, max_frames, no_cache):
    from ..cache import Cache
    from ..features import Extractor

    return Extractor(backbone=backbone, cache=Cache(enabled=not no_cache), max_frames=max_frames)


def train(
    data: Annotated[Path, typer.Argument(help="CSV with path,label[,split] (paths relative to the CSV allowed).",
                                         show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Folder for the head (head.safetensors + head.json).")],
    fusion: Annotated[str, typer.Option("--fusion", help="early, late, attention or all (trains the three).")]
    = "early",
    task: Annotated[str, typer.Option("--task", help="scene, emotion or custom (stored with the head).")]
    = "custom",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split, initial weights and dropout.")] = 0,
    epochs: Annotated[int, typer.Option("--epochs", help="At most this many epochs (early stopping).")] = 150,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    backbone: Annotated[str | None, typer.Option("--backbone", help="Backbone name or path (default: embedded).")]
    = None,
    max_frames: Annotated[int, typer.Option("--max-frames", help="At most this many frames per video.")] = 32,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the feature cache.")] = False,
    text: Annotated[bool, typer.Option(
        "--text", help="Add what is said: faster-whisper transcript embedded with the backbone's text encoder "
                       "(clips without speech have it masked).")] = False,
    asr_model: Annotated[str | None, typer.Option("--asr-model", help="With --text: Whisper model name or folder.")]
    = None,
) -> None:
    """Train a fusion head on a labelled CSV (early, late, attention fusion, or all side by side)."""
    from ..errors import UsageError, VidmmError

    if fusion not in _FUSIONS:
        raise common.fail(UsageError(f"unknown fusion {fusion!r}", hint=f"use one of {', '.join(_FUSIONS)}"))
    if epochs < 1 or max_frames < 1:
        raise common.fail(UsageError("--epochs and --max-frames must be at least 1"))
    from ..fusion import fit
    from ..fusion.heads import STRATEGIES

    strategies = STRATEGIES if fusion == "all" else (fusion,)
    try:
        if asr_model is not None and not text:
            raise UsageError("--asr-model is used with --text", hint="add --text")
        result = fit(data, out, _extractor(backbone, max_frames, no_cache), strategies, task, seed, epochs,
                     progress=_progress("features"), text=text, asr_model=asr_model)
    except VidmmError as err:
        raise common.fail(err) from None
    if common.machine_output(json_out, None):
        common.print_json(result.to_dict())
        return
    _render_fit(result)


def _render_fit(result) -> None:
    from rich.table import Table

    con = common.stdout_console()
    c = result.counts
    speech = f", {c['with_speech']} with speech (text)" if "with_speech" in c else ""
    con.print(f"[bold]{result.out}[/]  {c['labels']} labels, {c['train']} train / {c['val']} val clips{speech}; "
              f"best: [bold]{result.best}[/]")
    t = Table(title_justify="left")
    for col in ("fusion", "val acc", "val macro-F1", "train acc", "best epoch", "epochs", "ms/ep",
                "weights"):
        t.add_column(col, justify="left" if col in ("fusion", "weights") else "right")
    for s, r in result.results.items():
        v = r.val
        weights = ""
        if s == "late":
            import torch

            w = torch.softmax(r.head.mix.detach(), 0).numpy()
            weights = " ".join(f"{m[0]} {x:.2f}" for m, x in zip(r.head.modalities, w))
        t.add_row(s + (" *" if s == result.best else ""), "-" if v is None else f"{v.accuracy:.3f}",
                  "-" if v is None else f"{v.macro_f1:.3f}", f"{r.train.accuracy:.3f}", str(r.best_epoch),
                  str(r.epochs_run), f"{1000 * r.seconds_per_epoch:.1f}", weights)
    con.print(t)


def eval_cmd(
    data: Annotated[Path, typer.Argument(help="CSV with path,label[,split]; rows marked test, else all rows.",
                                         show_default=False)],
    head: Annotated[Path, typer.Option("--head", help="Head folder written by `vidmm train`.")],
    png: Annotated[Path | None, typer.Option("--png", help="Write the confusion matrix as a PNG here.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    backbone: Annotated[str | None, typer.Option("--backbone", help="Backbone name or path (default: embedded).")]
    = None,
    max_frames: Annotated[int, typer.Option("--max-frames", help="At most this many frames per video.")] = 32,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the feature cache.")] = False,
) -> None:
    """Accuracy, macro-F1, per-class precision/recall and the confusion matrix of a trained head."""
    from ..errors import VidmmError
    from ..fusion import evaluate, load_head

    try:
        trained = load_head(head)
        ex = _extractor(backbone, max_frames, no_cache)
        trained.check_backbone(ex.backbone.fingerprint)
        result = evaluate(data, trained, ex, progress=_progress("features"))
        if png is not None:
            from ..fusion.plot import confusion_png

            confusion_png(result.report, png, title=f"{Path(result.head).name} ({result.strategy})")
    except VidmmError as err:
        raise common.fail(err) from None
    if common.machine_output(json_out, None):
        doc = result.to_dict()
        if png is not None:
            doc["png"] = str(png)
        common.print_json(doc)
        return
    _render_eval(result, png)


def _render_eval(result, png) -> None:
    from rich.table import Table

    con = common.stdout_console()
    rep = result.report
    con.print(f"[bold]{result.head}[/] ({result.strategy})  {int(rep.support.sum())} clips   "
              f"accuracy [bold]{rep.accuracy:.3f}[/]   macro-F1 [bold]{rep.macro_f1:.3f}[/]", highlight=False)
    t = Table(title="per class", title_justify="left")
    for col in ("label", "precision", "recall", "F1", "support"):
        t.add_column(col, justify="left" if col == "label" else "right")
    for j, lab in enumerate(rep.labels):
        t.add_row(lab, f"{rep.precision[j]:.3f}", f"{rep.recall[j]:.3f}", f"{rep.f1[j]:.3f}", str(rep.support[j]))
    con.print(t)
    cm = Table(title="confusion (rows: true, columns: predicted)", title_justify="left")
    cm.add_column("")
    for lab in rep.labels:
        cm.add_column(lab, justify="right")
    for j, lab in enumerate(rep.labels):
        cm.add_row(lab, *[str(int(x)) if x else "[dim]0[/]" for x in rep.confusion[j]])
    con.print(cm)
    ex = Table(title="why (top frames, modality weights)", title_justify="left")
    text = any("text" in r["explanation"] for r in result.rows)
    for col in ("file", "true", "predicted", "frames (s)", "visual", "audio") + (("text",) if text else ()):
        ex.add_column(col, overflow="fold")
    for r in result.rows:
        e = r["explanation"]
        row = [Path(r["file"]).name, r["true"], r["predicted"] if r["correct"] else f"[red]{r['predicted']}[/]",
               ", ".join(f"{f['time']:.2f}" for f in e["frames"]), f"{e['modalities']['visual']:.2f}",
               f"{e['modalities']['audio']:.2f}" if e["audio"] == "present" else "[dim]none[/]"]
        if text:
            row.append(f"{e['modalities']['text']:.2f}" if e.get("text") == "present" else "[dim]none[/]")
        ex.add_row(*row)
    con.print(ex)
    if png is not None:
        con.print(f"confusion matrix: {png}")
