"""Every command over the damaged-media corpus (tests/fuzz_corpus.py): each run ends within its bound with an
answer (exit 0) or one error line naming the file (exit 1-3); never "internal error", never a traceback.

Runs are in-process (Typer's CliRunner on one app), so each model loads once for the whole test. The full
matrix (70 files x 7 file commands) costs several minutes on 2 cores, so the test runs a deterministic
sample of it: ``info`` and ``transcribe`` (cheap) on every file, and each of the five model-heavy visual
commands on every fifth mutation of each container, rotated so that every (container, mutation) pair meets
one heavy command. ``search`` runs once over a folder of the whole corpus and ``batch --task info`` once over
all of it. A handful of subprocess runs check for hangs under a real timeout. ``python tests/test_fuzz.py``
runs the full matrix and prints the count of each outcome.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import MEDIA
from fuzz_corpus import MUTATIONS, SOURCES, build
from typer.testing import CliRunner

#: Seconds one in-process run may take (a hang would be far longer; a slow run on a busy box is not a hang).
BOUND_S = 120
HEAVY = ["scene", "caption", "ask", "emotion", "ocr"]
ARGS = {"ask": ["what is happening?"], "scene": ["--labels", "street,kitchen,beach"]}
OUTCOMES = ("ok", "exit 1", "exit 2", "exit 3", "internal error", "traceback", "timeout", "other")


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _bound(seconds: float):
    def alarm(signum, frame):
        raise _Timeout()

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _app():
    from vidmm._cli.app import build_app

    return build_app()


def classify(code: int | None, stderr: str, exception: BaseException | None, names: list[str]) -> str:
    """One run's outcome; ``names``: the file names an error line must mention (any one of them)."""
    if isinstance(exception, _Timeout):
        return "timeout"
    if "Traceback" in stderr or (exception is not None and not isinstance(exception, SystemExit)):
        return "traceback"
    if "internal error" in stderr:
        return "internal error"
    if code == 0:
        return "ok"
    errors = [line for line in stderr.splitlines() if line.startswith("vidmm: error:")]
    if code in (1, 2, 3) and errors and all(any(n in line for n in names) for line in errors):
        return f"exit {code}"
    return "other"


def run_cli(app, args: list[str], names: list[str]) -> tuple[str, str]:
    """(outcome, stderr) of ``vidmm -q ARGS`` in this process."""
    try:
        with _bound(BOUND_S):
            r = CliRunner().invoke(app, ["-q", *map(str, args)])
    except _Timeout as exc:
        return "timeout", str(exc)
    return classify(r.exit_code, r.stderr, r.exception, names), r.stderr


def file_runs(corpus: dict[str, Path], full: bool = False) -> list[tuple[str, str, Path]]:
    """(command, corpus key, path) of the sample the module doc describes, or of the full matrix."""
    runs = []
    mutations = ["intact", *MUTATIONS]
    for c, ext in enumerate(SOURCES):
        for m, label in enumerate(mutations):
            key, path = f"{ext}-{label}", corpus[f"{ext}-{label}"]
            commands = ["info", "transcribe", *HEAVY] if full else \
                ["info", "transcribe", HEAVY[(c + m) % len(HEAVY)]]
            runs += [(cmd, key, path) for cmd in commands]
    return runs


def run_all(corpus: dict[str, Path], folder: Path, full: bool = False) -> dict[tuple[str, str], tuple[str, str]]:
    """Outcome and stderr of every run: the file commands, then search over the folder and batch over it."""
    app = _app()
    out = {}
    for cmd, key, path in file_runs(corpus, full):
        out[(cmd, key)] = run_cli(app, [cmd, path, *ARGS.get(cmd, []), "--json"], [path.name])
    names = [p.name for p in corpus.values()]
    out[("search", "folder")] = run_cli(app, ["search", folder, "a person", "--json"], names)
    out[("batch", "folder")] = run_cli(app, ["batch", *corpus.values(), "--task", "info",
                                             "--out", folder.parent / "batch.jsonl"], names)
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz") / "corpus"
    return folder, build(MEDIA, folder)


def test_the_corpus_is_deterministic(corpus, tmp_path):
    folder, files = corpus
    again = build(MEDIA, tmp_path / "again")
    assert len(files) == len(SOURCES) * (len(MUTATIONS) + 1)
    assert all(files[k].read_bytes() == again[k].read_bytes() for k in files)


def test_every_command_answers_or_fails_in_one_line_naming_the_file(corpus):
    folder, files = corpus
    results = run_all(files, folder)
    bad = {k: v for k, v in results.items() if v[0] not in ("ok", "exit 1", "exit 2", "exit 3")}
    assert not bad, "\n".join(f"{k}: {o}: {err.strip()[-300:]}" for k, (o, err) in bad.items())
    # The intact cuts are answered: the corpus is made of readable media, so the failures above are the damage.
    for ext in SOURCES:
        assert results[("info", f"{ext}-intact")][0] == "ok", results[("info", f"{ext}-intact")]
    # ... and so is the batch over the corpus: some inputs fail, the rest are in the output (exit 1).
    assert results[("batch", "folder")][0] == "exit 1"


@pytest.mark.parametrize("key", ["mp4-flip1", "mkv-cutchunk", "mp3-junk"])
def test_no_hang_in_a_real_process(corpus, key):
    """A subprocess with a real timeout: a hang in FFmpeg itself would not reach the in-process bound."""
    path = corpus[1][key]
    r = subprocess.run([sys.executable, "-m", "vidmm", "-q", "info", str(path), "--json"],
                       capture_output=True, text=True, timeout=120)
    assert classify(r.returncode, r.stderr, None, [path.name]) in ("ok", "exit 3"), r.stderr


if __name__ == "__main__":  # pragma: no cover - by hand: counts of the full matrix
    import tempfile

    tmp = Path(tempfile.mkdtemp())
    files = build(MEDIA, tmp / "corpus")
    results = run_all(files, tmp / "corpus", full="--sample" not in sys.argv)
    counts = Counter(o for o, _ in results.values())
    print(f"corpus: {len(files)} files; runs: {len(results)}")
    print("  ".join(f"{o}: {counts.get(o, 0)}" for o in OUTCOMES))
    for k, (o, err) in sorted(results.items()):
        if o not in ("ok", "exit 1", "exit 2", "exit 3") or "-v" in sys.argv:
            print(f"{k[0]:10} {k[1]:15} {o:15} {err.strip().splitlines()[-1][:200] if err.strip() else ''}")
