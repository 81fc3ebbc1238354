"""``ocr``: the text a video or photo shows, as a deduplicated timeline (vidmm.tasks.ocr computes it)."""

from __future__ import annotations

import dataclasses

from ...errors import UsageError
from ..base import ALL_FORMATS, CommonOptions, Cue, Task, opt

#: The defaults of vidmm.channels_text.INTERVAL and vidmm.models.ocr.MIN_SCORE (not imported: loading the
#: registry imports no model code).
INTERVAL, MIN_SCORE = 1.0, 0.8


@dataclasses.dataclass
class OcrOptions(CommonOptions):
    interval: float = opt(INTERVAL, help=("Seconds between the frames read (stretched on long videos; denser where "
                                     "the text changes)."))
    min_score: float = opt(MIN_SCORE, load=True, help="Leave out lines read with a lower score (0-1).")


class OcrTask(Task):
    """On-screen text (signs, titles, slides, burned-in captions): each line once, with start, end, box."""

    name = "ocr"
    summary = "On-screen text (signs, titles, slides, captions): each line once, with its times and box."
    Options = OcrOptions
    formats = ALL_FORMATS
    timeline = "lines"
    uses_backbone = False
    default_file_format = "srt"
    kind_hint = {**Task.kind_hint, "audio": "a recording shows no text; use `vidmm transcribe` for its speech"}

    def check(self, opts) -> None:
        super().check(opts)
        if not opts.interval > 0:
            raise UsageError("--interval must be more than 0 seconds")
        if not 0.0 <= opts.min_score <= 1.0:
            raise UsageError("--min-score must be between 0 and 1")

    def load(self, extractor, opts):
        from ...models.ocr import load_ocr

        return load_ocr(min_score=opts.min_score)

    def run(self, path, extractor, model, opts, progress=None):
        from ..ocr import ocr

        self.require(path, extractor)
        return ocr(path, extractor, model, interval=opts.interval)

    def cues(self, record: dict) -> list[Cue]:
        """One cue per stretch of time: the lines shown over the same stretch together, one per row (a
        receipt on screen for 10 s is one subtitle of its lines, not forty subtitles over each other)."""
        cues: dict[tuple[float, float], list[str]] = {}
        for line in record.get("lines") or []:
            cues.setdefault((float(line["start"]), float(line["end"])), []).append(str(line.get("text") or ""))
        return [(a, b, "\n".join(texts)) for (a, b), texts in cues.items()]

    def text(self, record: dict) -> str:
        """Plain text: the lines in reading order, one a line."""
        body = str(record.get("text") or "")
        return body + ("\n" if body else "")


def register_tasks(register) -> None:
    register(OcrTask)
