"""Trained fusion heads over cached visual embeddings and audio features (early, late, attention).

    from vidmm.fusion import load_head, fit
    head = load_head("heads/scenes")            # never unpickles; refuses another backbone's head
    head.classify("clip.mp4", extractor)        # label, scores, top frames, modality weights

torch is imported only when a head is built, trained or loaded.
"""

from __future__ import annotations

from .fit import FitResult, evaluate, fit
from .store import Prediction, TrainedHead, load_head

__all__ = ["FitResult", "Prediction", "TrainedHead", "evaluate", "fit", "load_head"]
