"""``info``: what a media file holds (duration, fps, size, codecs, audio, rotation)."""

from __future__ import annotations

import dataclasses
import time

from ..base import ANY_KIND, CommonOptions, Task


@dataclasses.dataclass
class InfoResult:
    file: str
    info: object  # vidmm.media.probe.MediaInfo
    elapsed_s: float = 0.0

    def to_dict(self) -> dict:
        from ... import __version__

        return {"vidmm": __version__, "task": "info", **self.info.to_dict(), "file": self.file,
                "elapsed_s": round(self.elapsed_s, 4)}


class InfoTask(Task):
    """Probe: duration, fps, size, codecs, audio, rotation."""

    name = "info"
    summary = "Probe: duration, fps, size, codecs, audio, rotation."
    Options = CommonOptions
    kinds = ANY_KIND
    uses_backbone = False
    loads_models = False

    def run(self, path, extractor, state, opts, progress=None):
        start = time.perf_counter()
        info = extractor.probe(path)
        return InfoResult(str(path), info, time.perf_counter() - start)


def register_tasks(register) -> None:
    register(InfoTask)
