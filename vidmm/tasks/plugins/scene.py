"""``scene``: ranked scene and action labels for the clip and each shot, zero-shot over any label set,
or from a trained head (vidmm.tasks.scene computes them)."""

from __future__ import annotations

import dataclasses

from ...errors import UsageError
from ..base import ALL_FORMATS, Needs, Task, VisualOptions, file_digest, opt
from ._heads import hashed_head, trained_head


@dataclasses.dataclass
class SceneOptions(VisualOptions):
    labels: str | None = opt(None, load=True, help='Comma-separated labels, e.g. "beach,city street".')
    labels_file: str | None = opt(None, load=True, help="One label per line; # comments; 'label: description' "
                                                        "embeds the description.")
    vocab: str | None = opt(None, load=True, help="Built-in labels: scenes (Places365), actions (Kinetics-400), "
                                                  "objects, all (default).")
    top_k: int = opt(5, help="Labels shown per clip and per shot.")
    explain: bool = opt(False, hashed="if-set", help="Name the frames (times) that drove each label; with --head "
                                                     "also their weights and each modality's share.")
    head: str | None = opt(None, load=True, help="Trained head folder (`vidmm train`, or heads/NAME) instead of "
                                                 "zero-shot labels.")
    sound_weight: float = opt(0.0, hashed="if-set", load=True, help=(
        "Let YAMNet's audio events count for labels about a sound (e.g. applause) with this weight; 0 = "
        "frames only (measured: no gain on the labelled clips, so off)."))


class SceneState:
    def __init__(self, scorer=None, head=None, yamnet=None, unavailable=None):
        self.scorer, self.head, self.yamnet = scorer, head, yamnet
        self.unavailable = unavailable or {}


class SceneTask(Task):
    """Scene and action labels for the clip and each shot (zero-shot, any label set)."""

    name = "scene"
    summary = "Scene and action labels for the clip and each shot, zero-shot, any label set."
    Options = SceneOptions
    formats = ALL_FORMATS
    timeline = "segments"

    def options(self, values=None, **kw):
        values = {**(values or {}), **kw}
        if isinstance(values.get("labels"), list | tuple):
            values["labels"] = ",".join(values["labels"])
        return super().options(values)

    def check(self, opts) -> None:
        super().check(opts)
        if opts.top_k < 1:
            raise UsageError("--top-k must be at least 1")
        if not opts.sound_weight >= 0:
            raise UsageError("--sound-weight must be 0 or more")
        if opts.head is not None:
            if opts.labels or opts.labels_file or opts.vocab:
                raise UsageError("--head replaces --labels, --labels-file and --vocab (the head has its labels)")
            trained_head(opts.head, "scene")  # missing, damaged or an emotion head: exit 4 before any file
        else:
            self.label_set(opts)  # a bad label set is a usage error before any file

    def label_set(self, opts):
        from ...labels import resolve_labels

        return resolve_labels(opts.labels, opts.labels_file, opts.vocab)

    def hashed(self, opts) -> dict:
        out = super().hashed(opts)
        if out.get("labels_file"):
            out["labels_file"] = file_digest(out["labels_file"])
        return hashed_head(out)

    def load(self, extractor, opts) -> SceneState:
        if opts.head is not None:
            head = trained_head(opts.head, "scene")
            head.check_backbone(extractor.backbone.fingerprint)  # ModelFileError (exit 4) stops the run
            return SceneState(head=head)
        from ..scene import Scorer

        needs = Needs()
        yamnet = None
        if opts.sound_weight > 0:  # frames alone still answer without YAMNet: say what was left out
            from ...models.audio_events import load_yamnet

            yamnet = needs.optional("audio_events", load_yamnet)
        scorer = Scorer.build(extractor.backbone, self.label_set(opts), extractor.cache)
        return SceneState(scorer=scorer, yamnet=yamnet, unavailable=needs.unavailable)

    def run(self, path, extractor, state: SceneState, opts, progress=None):
        from ..scene import scene

        if state.head is not None:
            return scene(path, extractor, top_k=opts.top_k, explain=opts.explain, head=state.head)
        return scene(path, extractor, top_k=opts.top_k, explain=opts.explain, scorer=state.scorer,
                     yamnet=state.yamnet, sound_weight=opts.sound_weight, unavailable=state.unavailable)

    def prefetch(self, path, extractor) -> None:
        extractor.shots(path)  # shot detection decodes most: run it for the next file meanwhile

    def segment_text(self, segment: dict) -> str:
        from ..scene import NONE_LABEL

        text = label_line(segment.get("labels") or [])
        return f"{NONE_LABEL} (closest: {text})" if segment.get("none_of_these") else text


def label_line(labels: list[dict], n: int = 3) -> str:
    return ", ".join(f"{x['label']} {x['score']:.2f}" for x in labels[:n])


def register_tasks(register) -> None:
    register(SceneTask)
