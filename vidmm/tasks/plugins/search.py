"""``search``: rank the clips and photos of a folder, and their moments, by a text query
(vidmm.tasks.search computes it)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ...errors import InputError, UsageError
from ..base import Needs, Task, VisualOptions, opt


@dataclasses.dataclass
class SearchModels:
    """What search loads: the speech model (``--speech``) and the OCR model (optional), and why one is left out."""

    speech: object | None = None
    ocr: object | None = None
    unavailable: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class SearchOptions(VisualOptions):
    query: str = opt("", help='What to look for, e.g. "a dog on a skateboard".')
    top_k: int = opt(10, help="Clips (and moments) listed.")
    speech: bool = opt(False, hashed="if-set", load=True, help=(
        "Match what is said too, in any language (each clip and audio file is transcribed once, cached)."))
    asr_model: str | None = opt(None, load=True, help="With --speech: Whisper model name or folder.")
    no_cache: bool = opt(False, hashed=False, help="Embed everything again and keep no index.")
    no_text: bool = opt(False, hashed="if-set", load=True, help="Do not match on-screen text (no OCR: faster).")


class SearchTask(Task):
    """Rank the clips (and moments) of a folder by a text query."""

    name, Options, positional = "search", SearchOptions, ("query",)
    summary = "Rank the clips (and moments) of a folder by a text query."
    folder_task = True  # batch refuses it: one folder is one ranking
    formats = ("json", "jsonl", "csv", "txt")

    def check(self, opts) -> None:
        super().check(opts)
        if opts.top_k < 1:
            raise UsageError("--top-k must be at least 1")
        if not " ".join(opts.query.split()):
            raise UsageError("the query is empty", hint='vidmm search DIR "a dog on a skateboard"')

    def require(self, path, extractor):
        if not Path(path).is_dir():
            raise InputError("is not a folder", path=str(path), hint='vidmm search DIR "QUERY"')
        return None

    def load(self, extractor, opts):
        """The speech model with --speech; the OCR model unless --no-text, optional (``Needs.optional``:
        without it the pictures alone rank the clips)."""
        needs = Needs()
        speech = None
        if opts.speech:
            from ...models.speech import load_speech_model

            speech = load_speech_model(opts.asr_model)
        ocr = None
        if not opts.no_text:
            from ..shown_text import load_model

            ocr = load_model(needs)
        return SearchModels(speech, ocr, needs.unavailable)

    def run(self, path, extractor, state, opts, progress=None):
        from ..search import search

        def indexing(done: int, total: int, clip: str) -> None:
            if progress is not None:
                progress(done, total)

        return search(path, opts.query, extractor, top_k=opts.top_k, progress=indexing, speech_model=state.speech,
                      ocr=state.ocr)

    def text(self, record: dict) -> str:
        """One line per clip: score, file, best moment."""
        lines = []
        for hit in record.get("results") or []:
            best = (hit.get("moments") or [None])[0]
            when = f"  {best['start']:.1f}-{best['end']:.1f} s" if best else ""
            said = f"  says: {hit['speech']['text']}" if hit.get("speech") else ""
            shown = f"  text: {hit['text']['text']}" if hit.get("text") else ""
            lines.append(f"{hit['score']:.3f}  {hit['file']}{when}{said}{shown}\n")
        return "".join(lines)

    def output_stem(self, record: dict) -> str:
        return f"{Path(str(record.get('folder'))).name or 'folder'}.search"


def register_tasks(register) -> None:
    register(SearchTask)
