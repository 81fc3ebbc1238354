"""`vidmm train` and `vidmm eval` as library calls: CSV in, heads and metrics out.

``fit`` reads a labelled CSV, gets every clip's tokens from the Extractor (cached), splits (the CSV's
split column, else stratified train/val), trains one head per strategy asked for and saves it. With
several strategies each is saved in ``OUT/<strategy>`` and the best on validation macro-F1 also in OUT,
so ``--head OUT`` always names one head. ``evaluate`` scores a head on a CSV's test rows (all rows when
the CSV marks none as test).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UsageError
from .data import Row, assign_splits, read_csv
from .inputs import clip_inputs, feature_versions
from .metrics import Report, report

TASKS = ("scene", "emotion", "custom")


@dataclass
class FitResult:
    out: Path
    labels: list[str]
    results: dict  # strategy -> TrainResult
    best: str
    counts: dict[str, int]
    extract_s: float

    def to_dict(self) -> dict:
        return {"out": str(self.out), "labels": self.labels, "best": self.best, "counts": self.counts,
                "extract_s": round(self.extract_s, 3),
                "strategies": {s: r.summary() | {"history": None} for s, r in self.results.items()}}


def _inputs(rows: list[Row], extractor, progress: Callable[[int, int, str], None] | None, text: bool = False,
            asr_model=None):
    out = []
    for i, r in enumerate(rows):
        if progress:
            progress(i, len(rows), r.path)
        out.append(clip_inputs(r.path, extractor, text=text, asr_model=asr_model))
    return out


def fit(csv_path, out_dir, extractor, strategies=("early",), task: str = "custom", seed: int = 0,
        epochs: int | None = None, progress=None, text: bool = False, asr_model=None) -> FitResult:
    """Train and save heads. ``text``: add the transcript modality (faster-whisper ``asr_model``, default
    Whisper base, its English embedded with the backbone's text encoder; clips without speech have it
    masked)."""
    from .store import save_head
    from .train import EPOCHS, train_head

    if task not in TASKS:
        raise UsageError(f"unknown task {task!r}", hint=f"use one of {', '.join(TASKS)}")
    rows = read_csv(csv_path)
    splits = assign_splits(rows, seed)
    use = [(r, s) for r, s in zip(rows, splits) if s in ("train", "val")]
    labels = sorted({r.label for r, s in use if s == "train"})
    if len(labels) < 2:
        raise UsageError("training needs at least two labels with training rows", hint=str(csv_path))
    use = [(r, s) for r, s in use if r.label in labels]
    t0 = time.perf_counter()
    clips = _inputs([r for r, _ in use], extractor, progress, text, asr_model)
    extract_s = time.perf_counter() - t0
    idx = {lab: j for j, lab in enumerate(labels)}
    tr = [i for i, (_, s) in enumerate(use) if s == "train"]
    va = [i for i, (_, s) in enumerate(use) if s == "val"]
    y = np.array([idx[r.label] for r, _ in use])
    dim_v = clips[0].frames.shape[1]
    dim_a = next((c.audio.shape[1] for c in clips if c.has_audio), _audio_dim())
    dim_t = next((c.text.shape[1] for c in clips if c.has_text), extractor.backbone.dim) if text else 0
    results = {}
    for strategy in strategies:
        results[strategy] = train_head(strategy, [clips[i] for i in tr], y[tr], [clips[i] for i in va], y[va],
                                       labels, dim_v, dim_a, seed=seed, epochs=epochs or EPOCHS, dim_t=dim_t)

    def key(s):
        r = results[s]
        v = r.val or r.train
        return (v.macro_f1, v.accuracy)

    best = max(strategies, key=key)  # ties: the first asked for (max keeps the first maximum)
    out = Path(out_dir)
    fv = feature_versions(extractor, text, asr_model)
    counts = {"train": len(tr), "val": len(va), "labels": len(labels)}
    if text:
        counts["with_speech"] = sum(c.has_text for c in clips)
    extra = {"seed": seed, "counts": counts, "data": Path(csv_path).name}
    for s, r in results.items():
        target = out / s if len(strategies) > 1 else out
        save_head(r.head, target, labels, extractor.backbone.fingerprint, fv, r.summary(), task, extra)
    if len(strategies) > 1:
        r = results[best]
        save_head(r.head, out, labels, extractor.backbone.fingerprint, fv, r.summary(), task,
                  extra | {"chosen_from": list(strategies)})
    return FitResult(out, labels, results, best, counts, extract_s)


def _audio_dim() -> int:
    from ..media.audio import feature_names

    return len(feature_names())


@dataclass
class EvalResult:
    head: str
    strategy: str
    report: Report
    rows: list[dict]
    seconds_per_clip: float

    def to_dict(self) -> dict:
        from .. import __version__

        return {"vidmm": __version__, "task": "eval", "head": self.head, "strategy": self.strategy,
                **self.report.to_dict(), "seconds_per_clip": round(self.seconds_per_clip, 4),
                "results": self.rows}


def evaluate(csv_path, head, extractor, progress=None) -> EvalResult:
    """Score ``head`` (a `TrainedHead`) on the CSV's test rows, or on every row when none is marked test."""
    head.check_backbone(extractor.backbone.fingerprint)
    rows = read_csv(csv_path)
    rows = [r for r in rows if r.split == "test"] or rows
    clips = _inputs(rows, extractor, progress, head.uses_text, head.speech_model)
    labels = list(head.labels) + sorted({r.label for r in rows} - set(head.labels))
    idx = {lab: j for j, lab in enumerate(labels)}
    t0 = time.perf_counter()
    preds = head.explain_inputs(clips)
    per_clip = (time.perf_counter() - t0) / max(1, len(clips))
    y_true = [idx[r.label] for r in rows]
    y_pred = [idx[p.label] for p in preds]
    out_rows = []
    for r, p in zip(rows, preds):
        d = p.to_dict()
        out_rows.append({"file": r.path, "true": r.label, "predicted": d.pop("label"), **d,
                         "correct": r.label == p.label})
    return EvalResult(head.path, head.strategy, report(y_true, y_pred, labels), out_rows, per_clip)
