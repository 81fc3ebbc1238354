"""The three fusion strategies as small torch modules with one interface.

Every head takes a padded batch (`Batch`: frame tokens + mask, audio window tokens + mask, an audio-present
flag) and returns logits (B, M) plus what explains them:

* ``early``     pooled visual vector ++ audio summary (mean, std of the standardised windows) ++ present
                flag -> MLP. One joint decision; modality shares come from occlusion (drop one, see the change).
* ``late``      one linear classifier per modality, combined by learned weights (softmax over modalities,
                renormalised over the modalities a clip has): the seed design's F = wV*V + wA*A, learned.
                The weights are the explanation, the same for every clip.
* ``attention`` one learned query per label attends over all frame tokens and audio tokens (projected to a
                common width, plus a modality embedding); the pooled token is scored against the label. The
                attention mass says which frames and which modality drove each label.

A clip without audio has an all-false audio mask: its audio tokens get no attention, its summary is zero
with the present flag off, and late fusion puts all weight on vision. Nothing divides by an empty set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

STRATEGIES = ("early", "late", "attention")
MODALITIES = ("visual", "audio")


@dataclass
class Batch:
    frames: torch.Tensor  # (B, N, D)
    frame_mask: torch.Tensor  # (B, N) bool
    audio: torch.Tensor  # (B, W, F) standardised
    audio_mask: torch.Tensor  # (B, W) bool
    audio_present: torch.Tensor  # (B,) float 0/1

    def without(self, modality: str) -> Batch:
        """The same batch with one modality removed (for occlusion explanations)."""
        if modality == "audio":
            return Batch(self.frames, self.frame_mask, self.audio, torch.zeros_like(self.audio_mask),
                         torch.zeros_like(self.audio_present))
        return Batch(torch.zeros_like(self.frames), self.frame_mask, self.audio, self.audio_mask,
                     self.audio_present)


def collate(clips, audio_mean: np.ndarray, audio_std: np.ndarray, dim_v: int, dim_a: int) -> Batch:
    """Pad a list of `ClipInputs` into one `Batch`; audio standardised with the head's training stats."""
    b = len(clips)
    n = max(1, max(len(c.frames) for c in clips))
    w = max(1, max((len(c.audio) if c.has_audio else 0) for c in clips))
    frames = np.zeros((b, n, dim_v), np.float32)
    fmask = np.zeros((b, n), bool)
    audio = np.zeros((b, w, dim_a), np.float32)
    amask = np.zeros((b, w), bool)
    present = np.zeros(b, np.float32)
    for i, c in enumerate(clips):
        frames[i, : len(c.frames)] = c.frames
        fmask[i, : len(c.frames)] = True
        if c.has_audio:
            audio[i, : len(c.audio)] = (c.audio - audio_mean) / audio_std
            amask[i, : len(c.audio)] = True
            present[i] = 1.0
    return Batch(torch.from_numpy(frames), torch.from_numpy(fmask), torch.from_numpy(audio),
                 torch.from_numpy(amask), torch.from_numpy(present))


def _masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(1) / m.sum(1).clamp(min=1.0)


def _masked_std(x: torch.Tensor, mask: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(x.dtype)
    var = (((x - mean.unsqueeze(1)) ** 2) * m).sum(1) / m.sum(1).clamp(min=1.0)
    return torch.sqrt(var + 1e-6) * (m.sum(1) > 0).to(x.dtype)


def audio_summary(batch: Batch) -> torch.Tensor:
    mean = _masked_mean(batch.audio, batch.audio_mask)
    return torch.cat([mean, _masked_std(batch.audio, batch.audio_mask, mean)], dim=-1)


class FusionHead(nn.Module):
    """Base: dims, the audio standardisation (buffers, saved with the weights), and `forward`."""

    strategy = "base"

    def __init__(self, dim_v: int, dim_a: int, n_labels: int, hidden: int = 64, dropout: float = 0.2):
        super().__init__()
        self.dim_v, self.dim_a, self.n_labels, self.hidden = dim_v, dim_a, n_labels, hidden
        self.register_buffer("audio_mean", torch.zeros(dim_a))
        self.register_buffer("audio_std", torch.ones(dim_a))
        self.drop = nn.Dropout(dropout)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:  # pragma: no cover - abstract
        raise NotImplementedError

    def modality_weights(self, batch: Batch, logits: torch.Tensor, info: dict) -> torch.Tensor:
        """(B, 2) share of visual and audio in each decision. Default: occlusion on the top label's
        probability (how much it drops without each modality), normalised."""
        p = torch.softmax(logits, -1)
        top = p.argmax(-1, keepdim=True)
        p_top = p.gather(1, top)
        drops = []
        for m in MODALITIES:
            lo, _ = self.forward(batch.without(m))
            drops.append((p_top - torch.softmax(lo, -1).gather(1, top)).clamp(min=0).squeeze(1))
        d = torch.stack(drops, 1) + 1e-6
        d[:, 1] = d[:, 1] * batch.audio_present
        return d / d.sum(1, keepdim=True)

    def frame_scores(self, batch: Batch, logits: torch.Tensor, info: dict) -> torch.Tensor:
        """(B, N) how much each frame supports the top label. Default: the head's logit for that label
        with the frame as the only visual token (audio kept); masked frames get -inf."""
        b, n, _ = batch.frames.shape
        top = logits.argmax(-1)
        out = torch.full((b, n), float("-inf"))
        for j in range(n):
            one = torch.zeros_like(batch.frame_mask)
            one[:, j] = batch.frame_mask[:, j]
            lo, _ = self.forward(Batch(batch.frames, one, batch.audio, batch.audio_mask, batch.audio_present))
            out[:, j] = torch.where(batch.frame_mask[:, j], lo.gather(1, top[:, None]).squeeze(1), out[:, j])
        return out


class EarlyHead(FusionHead):
    strategy = "early"

    def __init__(self, dim_v, dim_a, n_labels, hidden=64, dropout=0.2):
        super().__init__(dim_v, dim_a, n_labels, hidden, dropout)
        self.mlp = nn.Sequential(nn.Linear(dim_v + 2 * dim_a + 1, hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, n_labels))

    def forward(self, batch):
        v = _masked_mean(batch.frames, batch.frame_mask)
        a = audio_summary(batch) * batch.audio_present[:, None]
        x = torch.cat([v, self.drop(a), batch.audio_present[:, None]], -1)
        return self.mlp(x), {}


class LateHead(FusionHead):
    strategy = "late"

    def __init__(self, dim_v, dim_a, n_labels, hidden=64, dropout=0.2):
        super().__init__(dim_v, dim_a, n_labels, hidden, dropout)
        self.visual = nn.Linear(dim_v, n_labels)
        self.audio = nn.Linear(2 * dim_a, n_labels)
        self.mix = nn.Parameter(torch.zeros(len(MODALITIES)))

    def weights(self, present: torch.Tensor) -> torch.Tensor:
        """(B, 2) the learned modality weights, renormalised over the modalities each clip has."""
        w = torch.softmax(self.mix, 0)[None, :].expand(present.shape[0], -1)
        w = w * torch.stack([torch.ones_like(present), present], 1)
        return w / w.sum(1, keepdim=True)

    def forward(self, batch):
        v = self.visual(self.drop(_masked_mean(batch.frames, batch.frame_mask)))
        a = self.audio(self.drop(audio_summary(batch)))
        w = self.weights(batch.audio_present)
        return w[:, :1] * v + w[:, 1:] * a, {"weights": w}

    def modality_weights(self, batch, logits, info):
        return info["weights"]


class AttentionHead(FusionHead):
    strategy = "attention"

    def __init__(self, dim_v, dim_a, n_labels, hidden=64, dropout=0.2):
        super().__init__(dim_v, dim_a, n_labels, hidden, dropout)
        self.proj_v = nn.Linear(dim_v, hidden)
        self.proj_a = nn.Linear(dim_a, hidden)
        self.modality = nn.Parameter(torch.zeros(len(MODALITIES), hidden))
        self.queries = nn.Parameter(torch.randn(n_labels, hidden) * hidden ** -0.5)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.out_w = nn.Parameter(torch.randn(n_labels, hidden) * hidden ** -0.5)
        self.out_b = nn.Parameter(torch.zeros(n_labels))

    def forward(self, batch):
        tv = self.proj_v(batch.frames) + self.modality[0]
        ta = self.proj_a(batch.audio) + self.modality[1]
        tokens = torch.cat([tv, ta], 1)  # (B, N+W, H)
        mask = torch.cat([batch.frame_mask, batch.audio_mask & (batch.audio_present[:, None] > 0)], 1)
        k, v = self.key(tokens), self.value(self.drop(tokens))
        s = torch.einsum("mh,bth->bmt", self.queries, k) / self.hidden ** 0.5
        s = s.masked_fill(~mask[:, None, :], float("-inf"))
        att = torch.softmax(s, -1)  # (B, M, T); every row has at least one frame token
        pooled = self.norm(torch.einsum("bmt,bth->bmh", att, v))
        logits = (pooled * self.out_w).sum(-1) + self.out_b
        return logits, {"attention": att, "n_frames": batch.frames.shape[1]}

    def _top_attention(self, logits, info):
        top = logits.argmax(-1)
        return info["attention"][torch.arange(len(top)), top]  # (B, T)

    def modality_weights(self, batch, logits, info):
        a = self._top_attention(logits, info)
        n = info["n_frames"]
        return torch.stack([a[:, :n].sum(1), a[:, n:].sum(1)], 1)

    def frame_scores(self, batch, logits, info):
        a = self._top_attention(logits, info)[:, : info["n_frames"]]
        return a.masked_fill(~batch.frame_mask, float("-inf"))


HEADS = {"early": EarlyHead, "late": LateHead, "attention": AttentionHead}


def build(strategy: str, dim_v: int, dim_a: int, n_labels: int, hidden: int = 64, dropout: float = 0.2) -> FusionHead:
    return HEADS[strategy](dim_v, dim_a, n_labels, hidden, dropout)
