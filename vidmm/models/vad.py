"""Where is speech? Silero VAD (the ONNX copy bundled inside faster-whisper) behind an energy gate.

Used before Whisper so that audio without speech costs a few milliseconds instead of a decoding pass
(and cannot be "transcribed" into invented text), and by any task that wants speech spans (voice
emotion, captions). Works offline: the VAD weights are a file inside the faster-whisper wheel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..timecode import Span

SAMPLE_RATE = 16_000
#: A 30 ms frame is "loud" above this level (dB relative to full scale). Digital silence, room tone
#: and hiss stay below it; the quietest real speech file of the test media (TIMIT LDC93S1, whose
#: average is -41 dBFS) peaks at -25 dBFS.
ENERGY_GATE_DBFS = -50.0
FRAME_S = 0.03


@dataclass(frozen=True)
class VadSettings:
    """Silero VAD settings (faster-whisper's defaults, which are tuned for Whisper)."""

    threshold: float = 0.5
    min_speech_s: float = 0.0
    min_silence_s: float = 2.0
    pad_s: float = 0.4

    def to_faster_whisper(self) -> dict:
        return {"threshold": self.threshold, "min_speech_duration_ms": int(self.min_speech_s * 1000),
                "min_silence_duration_ms": int(self.min_silence_s * 1000),
                "speech_pad_ms": int(self.pad_s * 1000)}


def frame_dbfs(samples: np.ndarray, sr: int = SAMPLE_RATE, frame_s: float = FRAME_S) -> np.ndarray:
    """RMS level of consecutive frames in dBFS (-120 for digital silence)."""
    n = max(1, int(sr * frame_s))
    usable = len(samples) // n * n
    if usable == 0:
        rms = np.sqrt(np.mean(np.square(samples, dtype=np.float64))) if len(samples) else 0.0
        return np.array([20 * np.log10(max(rms, 1e-6))])
    frames = samples[:usable].astype(np.float64).reshape(-1, n)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-6))


def is_silent(samples: np.ndarray, sr: int = SAMPLE_RATE, gate_dbfs: float = ENERGY_GATE_DBFS) -> bool:
    """True when no frame rises above the energy gate: nothing anyone could hear as speech."""
    return len(samples) == 0 or float(frame_dbfs(samples, sr).max()) < gate_dbfs


def speech_spans(
    samples: np.ndarray,
    sr: int = SAMPLE_RATE,
    settings: VadSettings | None = None,
    gate_dbfs: float = ENERGY_GATE_DBFS,
) -> list[Span]:
    """Spans that Silero VAD calls speech and that rise above the energy gate, in seconds."""
    if sr != SAMPLE_RATE:
        raise ValueError(f"speech_spans needs {SAMPLE_RATE} Hz audio, got {sr}")
    if is_silent(samples, sr, gate_dbfs):
        return []
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(**(settings or VadSettings()).to_faster_whisper())
    stamps = get_speech_timestamps(np.ascontiguousarray(samples, dtype=np.float32), opts, sampling_rate=sr)
    spans = []
    for st in stamps:
        a, b = int(st["start"]), int(st["end"])
        if b > a and not is_silent(samples[a:b], sr, gate_dbfs):
            spans.append(Span.of(a / sr, b / sr))
    return spans


def speech_seconds(spans: list[Span]) -> float:
    return float(sum(s.duration for s in spans))
