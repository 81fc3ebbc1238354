"""The confusion matrix as a PNG (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError


def confusion_png(rep, path: str | Path, title: str = "") -> Path:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("--png needs matplotlib", hint="pip install matplotlib") from None
    m = len(rep.labels)
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * m, 1.0 + 0.6 * m), dpi=100)
    ax.imshow(rep.confusion, cmap="Blues")
    ax.set_xticks(range(m), rep.labels, rotation=45, ha="right")
    ax.set_yticks(range(m), rep.labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = rep.confusion.max() or 1
    for i in range(m):
        for j in range(m):
            v = int(rep.confusion[i, j])
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > top / 2 else "black")
    ax.set_title(f"{title}  acc {rep.accuracy:.2f}  macro-F1 {rep.macro_f1:.2f}".strip(), fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
