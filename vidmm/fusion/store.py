"""Saving and loading heads: ``head.safetensors`` (weights) + ``head.json`` (everything else).

Loading reads JSON and safetensors only: nothing is unpickled. A head is tied to the backbone whose
embeddings it was trained on (its fingerprint is in the config); `TrainedHead.check_backbone` refuses any
other, since the same layer on another embedding space gives confident nonsense. A damaged or foreign
file is a `ModelFileError` (exit 4) naming the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelFileError, ModelMissingError
from .inputs import ClipInputs, clip_inputs

FORMAT = "vidmm-fusion-head"
FORMAT_VERSION = 1
WEIGHTS = "head.safetensors"
CONFIG = "head.json"
#: Frames named in each explanation.
TOP_FRAMES = 3


def save_head(head, out_dir: str | Path, labels, backbone: str, feature_versions: dict, metrics: dict,
              task: str = "custom", extra: dict | None = None) -> Path:
    from safetensors.torch import save_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().clone() for k, v in head.state_dict().items()}
    save_file(state, str(out / WEIGHTS), metadata={"format": FORMAT})
    config = {"format": FORMAT, "format_version": FORMAT_VERSION, "strategy": head.strategy, "task": task,
              "labels": list(labels), "backbone": backbone, "features": feature_versions,
              "dims": {"visual": head.dim_v, "audio": head.dim_a, "hidden": head.hidden, "text": head.dim_t,
                       **({"attention": head.layout} if hasattr(head, "layout") else {})},
              "metrics": metrics, **(extra or {})}
    (out / CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out


@dataclass
class Prediction:
    """One clip's result from a trained head, with what drove it."""

    label: str
    score: float
    scores: dict[str, float]
    frames: list[dict]  # [{"time": s, "weight": w}] best first
    modalities: dict[str, float]  # share of visual / audio (/ text) in the decision
    has_audio: bool
    has_text: bool | None = None  # None: the head has no text modality

    def to_dict(self) -> dict:
        e = {"frames": self.frames, "modalities": self.modalities,
             "audio": "present" if self.has_audio else "missing (masked)"}
        if self.has_text is not None:
            e["text"] = "present" if self.has_text else "missing (no speech, masked)"
        return {"label": self.label, "score": round(self.score, 4),
                "scores": {k: round(v, 4) for k, v in self.scores.items()}, "explanation": e}


@dataclass
class TrainedHead:
    """A loaded head: `classify` files through an Extractor, `predict` shot vectors for `scene --head`."""

    module: object
    config: dict
    path: str
    labels: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return f"{Path(self.path).name}:{self.strategy}"

    @property
    def strategy(self) -> str:
        return self.config["strategy"]

    @property
    def backbone(self) -> str:
        return self.config["backbone"]

    @property
    def uses_text(self) -> bool:
        """Trained with the transcript modality (``vidmm train --text``)."""
        return int(self.config.get("dims", {}).get("text", 0) or 0) > 0

    @property
    def speech_model(self) -> str | None:
        return (self.config.get("features") or {}).get("speech_model")

    def inputs(self, path: str, extractor) -> ClipInputs:
        """One file's tokens as this head was trained on them (with transcript tokens when it reads text)."""
        return clip_inputs(path, extractor, text=self.uses_text, asr_model=self.speech_model)

    @property
    def task(self) -> str:
        return self.config.get("task", "custom")

    def check_task(self, task: str) -> None:
        """Refuse a head trained for another task (a scene head's labels are no emotions). ``custom``
        heads are accepted by every task: their labels are whatever the user trained."""
        if self.task not in (task, "custom"):
            raise ModelFileError(
                f"head was trained for the {self.task} task, not for {task}", path=self.path,
                hint=f"use a head trained with `vidmm train --task {task}` or --task custom")

    def extractor_for(self, extractor):
        """``extractor``, or one sharing its backbone and cache that samples frames as this head was trained
        (``max_frames`` in the config's feature versions), so inference sees what training saw."""
        want = (self.config.get("features") or {}).get("max_frames")
        if want is None or int(want) == extractor.max_frames:
            return extractor
        from ..features import Extractor

        return Extractor(backbone=extractor.backbone, cache=extractor.cache, device=extractor.device,
                         max_frames=int(want), fps=extractor.fps, frames_per_shot=extractor.frames_per_shot)

    def check_backbone(self, fingerprint: str) -> None:
        if fingerprint != self.backbone:
            raise ModelFileError(
                f"head was trained on backbone {self.backbone}, not on {fingerprint}", path=self.path,
                hint="use the backbone it was trained on (--backbone) or retrain it with `vidmm train`")

    def _run(self, clips: list[ClipInputs], explain: bool = True):
        import torch

        from .heads import collate

        m = self.module
        batch = collate(clips, m.audio_mean.numpy(), m.audio_std.numpy(), m.dim_v, m.dim_a, m.dim_t)
        with torch.no_grad():
            logits, info = m(batch)
            probs = torch.softmax(logits, -1).numpy()
            if not explain:
                return probs, None, None, batch
            return probs, m.frame_scores(batch, logits, info).numpy(), \
                m.modality_weights(batch, logits, info).numpy(), batch

    def predict_inputs(self, clips: list[ClipInputs]) -> np.ndarray:
        """(B, M) probabilities."""
        return self._run(clips, explain=False)[0]

    def explain_inputs(self, clips: list[ClipInputs]) -> list[Prediction]:
        probs, fscores, mweights, _ = self._run(clips, explain=True)
        out = []
        for i, c in enumerate(clips):
            j = int(np.argmax(probs[i]))
            fs = fscores[i, : len(c.frames)]
            order = np.argsort(-fs, kind="stable")[:TOP_FRAMES]
            if self.strategy == "attention":
                weights = fs
            else:  # per-frame logits -> a softmax over the clip's frames
                z = np.exp(fs - fs.max())
                weights = z / z.sum()
            frames = [{"time": round(float(c.times[k]), 3), "weight": round(float(weights[k]), 4)} for k in order]
            shares = {name: round(float(mweights[i, k]), 4) for k, name in enumerate(self.module.modalities)}
            out.append(Prediction(self.labels[j], float(probs[i, j]),
                                  {lab: float(p) for lab, p in zip(self.labels, probs[i])}, frames, shares,
                                  c.has_audio, c.has_text if self.uses_text else None))
        return out

    def classify(self, path: str, extractor) -> Prediction:
        """One file through the shared extractor (cached features), with its explanation."""
        self.check_backbone(extractor.backbone.fingerprint)
        return self.explain_inputs([self.inputs(path, extractor)])[0]

    def span_inputs(self, path: str, extractor, start: float, end: float,
                    frame_index: np.ndarray | None = None) -> ClipInputs:
        """The tokens of one time span of a file: its frames (``frame_index``, else the sampled frames inside
        the span, else the one nearest its middle) and the audio windows that start inside it (none: audio
        masked). Features come from the extractor's cache."""
        fe = extractor.frame_embeddings(path)
        if frame_index is None:
            frame_index = np.flatnonzero((fe.times >= start) & (fe.times < max(end, start + 1e-6)))
            if frame_index.size == 0:
                frame_index = np.array([int(np.argmin(np.abs(fe.times - (start + end) / 2)))])
        af = extractor.audio_features(path)
        audio = audio_t = None
        if af is not None and len(af.matrix):
            keep = (af.times >= start) & (af.times < max(end, start + 1e-6))
            if keep.any():
                audio, audio_t = np.asarray(af.matrix[keep], np.float32), np.asarray(af.times[keep])
        txt = txt_t = None
        if self.uses_text:
            from .inputs import text_tokens

            txt, txt_t = text_tokens(path, extractor, self.speech_model, start, end)
        return ClipInputs(np.asarray(fe.vectors[frame_index], np.float32), np.asarray(fe.times[frame_index]),
                          audio, audio_t, txt, txt_t)

    def predict_shot(self, path: str, extractor, frame_index: np.ndarray, start: float, end: float) -> np.ndarray:
        """`scene --head`, per shot: (M,) probabilities from the shot's frame tokens and audio windows."""
        return self.predict_inputs([self.span_inputs(path, extractor, start, end, frame_index)])[0]

    def explain_shot(self, path: str, extractor, frame_index: np.ndarray, start: float,
                     end: float) -> tuple[np.ndarray, np.ndarray, list[dict[str, float]]]:
        """`scene --head --explain`, per shot: (M,) probabilities, (n, M) each frame's weight for each label
        (an attention head: its attention on the frames; the others: a softmax over frames of the label's
        one-frame logit) and, per label, each modality's share ({"visual", "audio"[, "text"]})."""
        import torch

        from .heads import collate

        m = self.module
        clip = self.span_inputs(path, extractor, start, end, frame_index)
        batch = collate([clip], m.audio_mean.numpy(), m.audio_std.numpy(), m.dim_v, m.dim_a, m.dim_t)
        with torch.no_grad():
            logits, info = m(batch)
            frames, shares = m.explain_labels(batch, logits, info)
        probs = torch.softmax(logits, -1)[0].numpy()
        n = len(clip.frames)
        mods = [{k: round(float(v), 4) for k, v in zip(m.modalities, row)} for row in shares[0].numpy()]
        return probs, frames[0, :n].numpy(), mods

    def explain_span(self, path: str, extractor, start: float, end: float) -> Prediction:
        """`emotion --head`, per timeline segment: the prediction and what drove it."""
        return self.explain_inputs([self.span_inputs(path, extractor, start, end)])[0]

    def predict(self, shot_vectors: np.ndarray) -> np.ndarray:
        """`scene --head`: (S, D) pooled shot vectors -> (S, M) probabilities; each shot is one frame
        token and has no audio (the scene task works per shot on frames)."""
        sv = np.asarray(shot_vectors, np.float32)
        clips = [ClipInputs(v[None, :], np.zeros(1), None, None) for v in sv]
        return self.predict_inputs(clips)


def _check_features(features: dict, cfg_path) -> None:
    """A head reads tokens of the versions it was trained on; another version is another input space."""
    from ..media.audio import FEATURES_VERSION
    from .inputs import INPUTS_VERSION
    from .text import TEXT_VERSION

    want = {"inputs": INPUTS_VERSION, "audio": FEATURES_VERSION, "text": TEXT_VERSION}
    for k, v in want.items():
        if features.get(k) is not None and features[k] != v:
            raise ModelFileError(f"head was trained on {k} features {features[k]}, this vidmm makes {v}",
                                 path=str(cfg_path), hint="retrain it with `vidmm train`")


#: Sub-folder of a models folder ($VIDMM_MODELS, the user data folder) that holds named heads.
HEADS_DIR = "heads"


def resolve_head(path: str | Path) -> Path:
    """A head folder: ``path`` itself when it exists, else ``heads/NAME`` (or ``NAME``) inside the models
    folders (``$VIDMM_MODELS``, then the user data folder), where scripts/train_default_heads.py writes."""
    p = Path(path).expanduser()
    if p.exists() or p.is_absolute():
        return p
    from ..models.registry import search_dirs

    parts = p.parts[1:] if p.parts and p.parts[0] == HEADS_DIR else p.parts
    for root in search_dirs():
        q = root.joinpath(HEADS_DIR, *parts)
        if q.exists():
            return q
    return p


def load_head(path: str | Path, task: str | None = None) -> TrainedHead:
    """Read a head folder (or its head.json; a relative ``heads/NAME`` is also looked up in the models
    folders). Never unpickles; every failure names the file. With ``task``, a head trained for another
    task is refused (`TrainedHead.check_task`)."""
    p = resolve_head(path)
    d = p.parent if p.name in (CONFIG, WEIGHTS) else p
    cfg_path, w_path = d / CONFIG, d / WEIGHTS
    if not d.exists():
        from ..models.registry import search_dirs

        hint = "train one with `vidmm train DATA.csv --out DIR`"
        if not Path(path).expanduser().is_absolute():
            hint = f"also looked in {', '.join(str(r / HEADS_DIR) for r in search_dirs())}; {hint}"
        raise ModelMissingError("no such head", path=str(d), hint=hint)
    if not cfg_path.is_file() or not w_path.is_file():
        raise ModelFileError(f"not a vidmm head folder (needs {CONFIG} and {WEIGHTS})", path=str(d))
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise ValueError("not a vidmm head config")
        if int(config.get("format_version", 0)) > FORMAT_VERSION:
            raise ModelFileError("head was written by a newer vidmm", path=str(cfg_path), hint="upgrade vidmm")
        strategy, labels, dims = config["strategy"], list(config["labels"]), config["dims"]
        _ = config["backbone"]
        _check_features(config.get("features") or {}, cfg_path)
    except ModelFileError:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise ModelFileError(f"head config is damaged or not a vidmm head ({type(err).__name__})",
                             path=str(cfg_path), hint="retrain it with `vidmm train`") from None
    from .heads import HEADS, build

    if strategy not in HEADS or not labels:
        raise ModelFileError(f"unknown strategy {strategy!r} or empty labels", path=str(cfg_path))
    try:
        from safetensors.torch import load_file

        state = load_file(str(w_path))
    except Exception as err:  # noqa: BLE001 - safetensors raises several types for a damaged file
        raise ModelFileError(f"head weights are damaged ({type(err).__name__})", path=str(w_path),
                             hint="retrain it with `vidmm train`") from None
    module = build(strategy, int(dims["visual"]), int(dims["audio"]), len(labels), int(dims["hidden"]),
                   dim_t=int(dims.get("text", 0) or 0), attention_layout=int(dims.get("attention", 1)))
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError:
        raise ModelFileError("head weights do not match its config (wrong shapes or names)", path=str(w_path),
                             hint="retrain it with `vidmm train`") from None
    module.eval()
    head = TrainedHead(module, config, str(d), tuple(labels))
    if task is not None:
        head.check_task(task)
    return head
