"""Training a fusion head: full-batch Adam, class weights, early stopping on validation macro-F1.

The sets are small (tens of clips), so every epoch is one step over all training clips; no shuffling, a
fixed seed for the initial weights and dropout, so the same data and seed give the same head bit for bit
(tests/test_fusion.py checks the saved bytes). The kept epoch is the best by (validation macro-F1, then
lower validation loss); training stops ``patience`` epochs after the last improvement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .metrics import Report, report

EPOCHS = 150
PATIENCE = 30
LR = 3e-3
WEIGHT_DECAY = 1e-3
HIDDEN = 64
#: Share of training clips whose audio is hidden in each epoch (modality dropout), so a head still works on
#: clips without sound and on visual-only callers (``scene --head`` scores shots from frames alone).
AUDIO_DROPOUT = 0.3
#: The same for transcript tokens (heads with the text modality): most clips have no speech at all, and a
#: head must not learn "speech present" as a shortcut it cannot do without.
TEXT_DROPOUT = 0.3


@dataclass
class TrainResult:
    head: object  # FusionHead, in eval mode
    strategy: str
    best_epoch: int
    epochs_run: int
    seconds_per_epoch: float
    train: Report
    val: Report | None
    history: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return {"strategy": self.strategy, "best_epoch": self.best_epoch, "epochs_run": self.epochs_run,
                "seconds_per_epoch": round(self.seconds_per_epoch, 5),
                "train": self.train.to_dict(), "val": None if self.val is None else self.val.to_dict()}


def audio_stats(clips, dim_a: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of every audio feature over all training windows (zeros/ones when none has audio)."""
    rows = [c.audio for c in clips if c.has_audio]
    if not rows:
        return np.zeros(dim_a, np.float32), np.ones(dim_a, np.float32)
    m = np.concatenate(rows)
    return m.mean(0).astype(np.float32), np.maximum(m.std(0), 1e-3).astype(np.float32)


def class_weights(y: np.ndarray, n: int) -> np.ndarray:
    """Inverse class frequency, normalised to mean 1 over the classes present (absent classes: 0)."""
    counts = np.bincount(y, minlength=n).astype(np.float64)
    w = np.divide(1.0, counts, out=np.zeros(n), where=counts > 0)
    return (w / w[counts > 0].mean()).astype(np.float32)


def train_head(strategy: str, train_clips, y_train, val_clips, y_val, labels, dim_v: int, dim_a: int,
               seed: int = 0, epochs: int = EPOCHS, patience: int = PATIENCE, hidden: int = HIDDEN,
               lr: float = LR, dim_t: int = 0) -> TrainResult:
    import torch

    from ..models.backbones.base import set_torch_threads
    from .heads import build, collate

    set_torch_threads()
    torch.manual_seed(seed)
    m = len(labels)
    y_train, y_val = np.asarray(y_train, int), np.asarray(y_val, int)
    head = build(strategy, dim_v, dim_a, m, hidden, dim_t=dim_t)
    mean, std = audio_stats(train_clips, dim_a)
    head.audio_mean.copy_(torch.from_numpy(mean))
    head.audio_std.copy_(torch.from_numpy(std))
    tb = collate(train_clips, mean, std, dim_v, dim_a, dim_t)
    vb = collate(val_clips, mean, std, dim_v, dim_a, dim_t) if len(val_clips) else None
    yt = torch.from_numpy(y_train)
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.from_numpy(class_weights(y_train, m)))
    opt = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=WEIGHT_DECAY)
    best, best_key, best_epoch, since, history = None, None, 0, 0, []
    t0 = time.perf_counter()
    epoch = 0
    from dataclasses import replace

    gen = torch.Generator().manual_seed(seed)
    for epoch in range(1, epochs + 1):
        head.train()
        opt.zero_grad()
        keep = (torch.rand(len(y_train), generator=gen) >= AUDIO_DROPOUT).float()
        batch = replace(tb, audio_present=tb.audio_present * keep)
        if dim_t:  # drawn only for text heads, so heads without text train exactly as before
            keep_t = (torch.rand(len(y_train), generator=gen) >= TEXT_DROPOUT).float()
            batch = replace(batch, text_present=tb.text_present * keep_t)
        logits, _ = head(batch)
        loss = loss_fn(logits, yt)
        loss.backward()
        opt.step()
        head.eval()
        with torch.no_grad():
            if vb is not None:
                vl, _ = head(vb)
                v_loss = float(torch.nn.functional.cross_entropy(vl, torch.from_numpy(y_val)))
                f1 = report(y_val, vl.argmax(-1).numpy(), labels).macro_f1
            else:
                tl, _ = head(tb)
                v_loss, f1 = float(loss.detach()), report(y_train, tl.argmax(-1).numpy(), labels).macro_f1
        history.append({"epoch": epoch, "loss": round(float(loss.detach()), 5), "val_loss": round(v_loss, 5),
                        "val_macro_f1": round(f1, 4)})
        key = (round(f1, 6), -v_loss)
        if best_key is None or key > best_key:
            best_key, best_epoch, since = key, epoch, 0
            best = {k: v.detach().clone() for k, v in head.state_dict().items()}
        else:
            since += 1
            if since >= patience:
                break
    per_epoch = (time.perf_counter() - t0) / max(1, epoch)
    head.load_state_dict(best)
    head.eval()
    with torch.no_grad():
        tr = report(y_train, head(tb)[0].argmax(-1).numpy(), labels)
        va = report(y_val, head(vb)[0].argmax(-1).numpy(), labels) if vb is not None else None
    return TrainResult(head, strategy, best_epoch, epoch, per_epoch, tr, va, history)
