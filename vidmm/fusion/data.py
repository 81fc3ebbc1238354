"""Labelled CSVs (``path,label[,split]``) and the stratified split when the file gives none."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, UsageError

SPLITS = ("train", "val", "test")
#: Share of each class held out for validation when the CSV has no split column.
VAL_SHARE = 0.25


@dataclass
class Row:
    path: str
    label: str
    split: str | None


def read_csv(csv_path: str | Path) -> list[Row]:
    """Rows of a labelled CSV; relative paths are relative to the CSV's folder."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise InputError("no such file", path=str(csv_path))
    base = csv_path.resolve().parent
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            fields = [x.strip().lower() for x in (reader.fieldnames or [])]
            if "path" not in fields or "label" not in fields:
                raise UsageError("the CSV needs a header with path,label (and optionally split)",
                                 hint=f"found: {','.join(fields) or 'nothing'}")
            rows = []
            for i, raw in enumerate(reader, 2):
                raw = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
                if not raw.get("path") and not raw.get("label"):
                    continue
                if not raw.get("path") or not raw.get("label"):
                    raise UsageError(f"line {i}: empty path or label", hint=str(csv_path))
                split = raw.get("split") or None
                if split is not None and split.lower() not in SPLITS:
                    raise UsageError(f"line {i}: unknown split {split!r}", hint="use train, val or test")
                p = Path(raw["path"]).expanduser()
                rows.append(Row(str(p if p.is_absolute() else base / p), raw["label"],
                                split.lower() if split else None))
    except UnicodeDecodeError as err:
        raise InputError("is not a UTF-8 CSV file", path=str(csv_path)) from err
    if not rows:
        raise UsageError("the CSV has no rows", hint=str(csv_path))
    return rows


def stratified_split(labels: list[str], seed: int, share: float = VAL_SHARE) -> list[str]:
    """'train'/'val' for each row: per class, a seeded shuffle, ``share`` of it (at least one when the class
    has two or more rows) to validation."""
    rng = np.random.default_rng(seed)
    out = ["train"] * len(labels)
    for lab in sorted(set(labels)):
        idx = [i for i, x in enumerate(labels) if x == lab]
        if len(idx) < 2:
            continue
        rng.shuffle(idx)
        for i in idx[: max(1, int(round(share * len(idx))))]:
            out[i] = "val"
    return out


def assign_splits(rows: list[Row], seed: int) -> list[str]:
    """The CSV's splits when it has them (rows without one train); else a stratified train/val split."""
    if any(r.split for r in rows):
        return [r.split or "train" for r in rows]
    return stratified_split([r.label for r in rows], seed)
