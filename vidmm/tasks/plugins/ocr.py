"""``ocr``: the text a video or photo shows, as a deduplicated timeline (vidmm.tasks.ocr computes it)."""

from __future__ import annotations

import dataclasses

from ...errors import UsageError
from ..base import ALL_FORMATS, CommonOptions, Task, opt


@dataclasses.dataclass
class OcrOptions(CommonOptions):
    interval: float = opt(1.0, help=("Seconds between the frames read (stretched on long videos; denser where "
                                     "the text changes)."))
    min_score: float = opt(0.8, load=True, help="Leave out lines read with a lower score (0-1).")


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

    def text(self, record: dict) -> str:
        """Plain text: the lines in reading order, one a line."""
        body = str(record.get("text") or "")
        return body + ("\n" if body else "")


def register_tasks(register) -> None:
    register(OcrTask)
