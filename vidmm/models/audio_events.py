"""Audio events with YAMNet (521 AudioSet classes) through LiteRT, grouped into vidmm's vocal cues.

The tflite in ../shared/models/yamnet has a fixed input of 15600 samples (0.975 s at 16 kHz, mono,
float32 in [-1, 1]) with the log-mel front end inside the graph. Longer audio is cut into windows
with YAMNet's patch hop of 0.48 s; each window gives 521 sigmoid scores (several classes can be on).

Vocal cues (``CUES``) are small groups of AudioSet classes that say something about how people feel
or what the sound track is doing: speech, laughter, crying, shouting/screaming, singing, music,
applause/cheering, sighs/gasps, silence. A cue's score in a window is the max over its classes.
"""

from __future__ import annotations

import contextlib
import csv
import os
import sys
from dataclasses import dataclass
from math import gcd

import numpy as np

from vidmm.models import registry

SAMPLE_RATE = 16000
WINDOW = 15600  # 0.975 s
HOP = 7680  # 0.48 s

# Cue -> AudioSet display names (rows of yamnet_class_map.csv). Order is the display order.
CUES: dict[str, tuple[str, ...]] = {
    "speech": ("Speech", "Child speech, kid speaking", "Conversation", "Narration, monologue",
               "Babbling", "Whispering"),
    "laughter": ("Laughter", "Baby laughter", "Giggle", "Snicker", "Belly laugh", "Chuckle, chortle"),
    "crying": ("Crying, sobbing", "Baby cry, infant cry", "Whimper", "Wail, moan"),
    "shouting": ("Shout", "Bellow", "Whoop", "Yell", "Children shouting", "Screaming"),
    "sigh": ("Sigh", "Groan", "Gasp"),
    "singing": ("Singing", "Choir", "Child singing", "Rapping", "Humming", "Chant"),
    "music": ("Music", "Musical instrument"),
    "applause": ("Applause", "Clapping", "Cheering"),
    "crowd": ("Crowd", "Hubbub, speech noise, speech babble"),
    "silence": ("Silence",),
}


@dataclass
class AudioEvents:
    """Per-window YAMNet scores. ``times[i]`` is the start (s) of window i; each lasts 0.975 s."""

    scores: np.ndarray  # (T, 521) float32
    times: np.ndarray  # (T,) float seconds
    class_names: list[str]
    window_s: float = WINDOW / SAMPLE_RATE

    def __len__(self) -> int:
        return len(self.times)

    def top(self, k: int = 5, reduce: str = "mean") -> list[tuple[str, float]]:
        """The k classes with the highest mean (or max) score over all windows."""
        if not len(self):
            return []
        agg = self.scores.max(0) if reduce == "max" else self.scores.mean(0)
        return [(self.class_names[i], float(agg[i])) for i in np.argsort(agg)[::-1][:k]]

    def class_index(self, name: str) -> int:
        return self.class_names.index(name)

    def cues(self) -> dict[str, np.ndarray]:
        """{cue: (T,) score} with each cue the max over its classes in each window."""
        out = {}
        for cue, names in CUES.items():
            idx = [self.class_names.index(n) for n in names if n in self.class_names]
            out[cue] = self.scores[:, idx].max(1) if len(self) else np.zeros(0, np.float32)
        return out

    def window_cue(self, threshold: float = 0.3) -> list[str | None]:
        """The strongest cue per window if it reaches ``threshold``, else None."""
        cues = self.cues()
        names = list(cues)
        if not len(self):
            return []
        m = np.stack([cues[n] for n in names], 1)
        best = m.argmax(1)
        return [names[b] if m[i, b] >= threshold else None for i, b in enumerate(best)]


def to_16k_mono(wave: np.ndarray, sr: int) -> np.ndarray:
    """Mix to mono and resample to 16 kHz (polyphase) if needed."""
    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim > 1:
        wave = wave.mean(axis=1 if wave.shape[1] <= 8 else 0)
    if sr != SAMPLE_RATE:
        from scipy.signal import resample_poly

        g = gcd(int(sr), SAMPLE_RATE)
        wave = resample_poly(wave, SAMPLE_RATE // g, int(sr) // g).astype(np.float32)
    return wave


@contextlib.contextmanager
def _quiet_stderr():
    """Silence native libraries' writes to file descriptor 2 for a moment (library code never prints)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # pytest capture, notebooks: nothing to silence
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


class YamNet:
    """The YAMNet tflite through ai-edge-litert; ``events(wave)`` gives per-window scores."""

    def __init__(self, models_dir=None, num_threads: int | None = None):
        from ai_edge_litert.interpreter import Interpreter

        from ..threads import budget

        path = registry.model_path("yamnet", models_dir)
        with _quiet_stderr():  # LiteRT prints an INFO line about its XNNPACK delegate on fd 2
            self.interpreter = Interpreter(model_path=str(path),
                                           num_threads=num_threads or budget(4))
            self.interpreter.allocate_tensors()
        self._in = self.interpreter.get_input_details()[0]["index"]
        out = self.interpreter.get_output_details()
        self._out = next(d["index"] for d in out if tuple(d["shape"]) == (1, 521))
        with open(registry.model_file("yamnet", "yamnet_class_map.csv", models_dir), newline="") as fh:
            self.class_names = [row["display_name"] for row in csv.DictReader(fh)]

    def events(self, wave: np.ndarray, sr: int = SAMPLE_RATE) -> AudioEvents:
        """Scores for every 0.975 s window (hop 0.48 s); audio shorter than a window is zero-padded.

        A tail shorter than a window after the last full one gets one more, zero-padded window, so the
        end of the clip is covered.
        """
        wave = to_16k_mono(wave, sr)
        n = len(wave)
        if n == 0:
            return AudioEvents(np.zeros((0, 521), np.float32), np.zeros(0), self.class_names)
        starts = list(range(0, max(n - WINDOW, 0) + 1, HOP))
        if starts[-1] + WINDOW < n:
            starts.append(starts[-1] + HOP)
        padded = np.pad(wave, (0, max(0, starts[-1] + WINDOW - n)))
        rows = np.empty((len(starts), 521), np.float32)
        it = self.interpreter
        for i, s in enumerate(starts):
            it.set_tensor(self._in, padded[None, s:s + WINDOW])
            it.invoke()
            rows[i] = it.get_tensor(self._out)[0]
        return AudioEvents(rows, np.asarray(starts, np.float64) / SAMPLE_RATE, self.class_names)


def load_yamnet(models_dir=None) -> YamNet:
    return YamNet(models_dir)
