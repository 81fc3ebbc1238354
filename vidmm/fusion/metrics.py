"""Classification metrics in plain numpy: accuracy, macro-F1, per-class precision/recall, confusion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Report:
    labels: list[str]
    confusion: np.ndarray  # (M, M) rows = true, columns = predicted
    accuracy: float
    macro_f1: float
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray

    def to_dict(self) -> dict:
        r = lambda x: round(float(x), 4)  # noqa: E731
        return {
            "n": int(self.support.sum()), "accuracy": r(self.accuracy), "macro_f1": r(self.macro_f1),
            "per_class": {lab: {"precision": r(p), "recall": r(rc), "f1": r(f), "support": int(s)}
                          for lab, p, rc, f, s in zip(self.labels, self.precision, self.recall, self.f1,
                                                      self.support)},
            "confusion": {"labels": list(self.labels), "matrix": self.confusion.astype(int).tolist()},
        }


def report(y_true, y_pred, labels) -> Report:
    """Macro-F1 averages over the classes present in ``y_true`` (an absent class has no recall to score)."""
    y_true, y_pred = np.asarray(y_true, int), np.asarray(y_pred, int)
    m = len(labels)
    cm = np.zeros((m, m), np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    tp = np.diag(cm).astype(float)
    pred_n, true_n = cm.sum(0), cm.sum(1)
    prec = np.divide(tp, pred_n, out=np.zeros(m), where=pred_n > 0)
    rec = np.divide(tp, true_n, out=np.zeros(m), where=true_n > 0)
    f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros(m), where=(prec + rec) > 0)
    present = true_n > 0
    acc = float(tp.sum() / max(1, len(y_true)))
    macro = float(f1[present].mean()) if present.any() else 0.0
    return Report(list(labels), cm, acc, macro, prec, rec, f1, true_n)
