"""``ask``: answer a question about a video, a photo or a recording (vidmm.tasks.ask answers it)."""

from __future__ import annotations

import dataclasses

from ...errors import UsageError
from ..base import ANY_KIND, Task, VisualOptions, opt


@dataclasses.dataclass
class AskOptions(VisualOptions):
    question: str = opt("", help="The question, in quotes.")
    choices: str | None = opt(None, help='Multiple choice answers: "a|b|c".')
    asr_model: str | None = opt(None, load=True, help="Whisper model name or folder.")
    models_dir: str | None = opt(None, load=True, help="Folder of the model files (default: VIDMM_MODELS).")


class AskTask(Task):
    """Answer a question about a file (what, where, who, yes/no, how many, feelings, what is said or heard,
    what is written on screen, when)."""

    name = "ask"
    summary = "Answer a question about a video: answer, confidence and the moment that shows it."
    Options = AskOptions
    positional = ("question",)
    kinds = ANY_KIND
    formats = ("json", "jsonl", "csv", "txt")

    def options(self, values=None, **kw):
        values = {**(values or {}), **kw}
        if isinstance(values.get("choices"), list | tuple):
            values["choices"] = "|".join(str(c) for c in values["choices"])
        return super().options(values)

    def check(self, opts) -> None:
        from ..ask_route import parse_choices

        super().check(opts)
        if not str(opts.question).strip():
            raise UsageError("the question is empty", hint='e.g. vidmm ask clip.mp4 "what is the person doing?"')
        parse_choices(opts.choices)  # fewer than two answers, or one given twice: exit 2 before any work

    def load(self, extractor, opts):
        from ..ask_models import AskModels

        return AskModels(extractor, models_dir=opts.models_dir, asr_model=opts.asr_model)

    def run(self, path, extractor, models, opts, progress=None):
        from ..ask import ask
        from ..ask_route import parse_choices

        return ask(path, opts.question, extractor, models, parse_choices(opts.choices))

    def text(self, record: dict) -> str:
        return str(record.get("answer") or "") + "\n"


def register_tasks(register) -> None:
    register(AskTask)
