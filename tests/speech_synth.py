"""Synthetic speech with espeak-ng (a Debian package), for plumbing and language-identification tests only.

No real recording in ../shared/media speaks German, Spanish or Russian, so tests (and benchmarks/transcribe.py)
make some: the same weather-and-travel paragraph read by espeak-ng's voice for each language, and files that
change language part-way, built by joining two readings. espeak-ng's robotic voices are harder for Whisper
than people are (its German is identified as German with probability 0.35-0.5, its French and Russian are
mistaken for other languages); numbers about real speech come from the real files only.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

PARAGRAPHS = {
    "en": "The weather today is cloudy with a chance of rain in the afternoon. Many people walk their dogs in "
          "the park before work. The city council will meet next Tuesday to discuss the new library. Trains to "
          "the airport leave every twenty minutes from the central station. Please remember to bring your "
          "ticket and a valid passport. The museum is closed on Mondays, but the garden stays open until dark.",
    "es": "Hoy el tiempo está nublado y puede llover por la tarde. Mucha gente pasea a sus perros en el parque "
          "antes del trabajo. El ayuntamiento se reunirá el próximo martes para hablar de la nueva biblioteca. "
          "Los trenes al aeropuerto salen cada veinte minutos de la estación central. Por favor, no olvide su "
          "billete y un pasaporte válido. El museo cierra los lunes, pero el jardín está abierto hasta la noche.",
    "de": "Das Wetter ist heute bewölkt, und am Nachmittag kann es regnen. Viele Menschen gehen vor der Arbeit "
          "mit ihren Hunden im Park spazieren. Der Stadtrat trifft sich am nächsten Dienstag, um über die neue "
          "Bibliothek zu sprechen. Die Züge zum Flughafen fahren alle zwanzig Minuten vom Hauptbahnhof ab.",
    "it": "Oggi il tempo è nuvoloso e nel pomeriggio potrebbe piovere. Molte persone portano a spasso i cani "
          "nel parco prima del lavoro. Il consiglio comunale si riunirà martedì prossimo per parlare della "
          "nuova biblioteca.",
    "fr": "Le temps est nuageux aujourd'hui et il pourrait pleuvoir cet après-midi. Beaucoup de gens promènent "
          "leur chien dans le parc avant le travail.",
    "ru": "Сегодня облачно, и после обеда может пойти дождь. Многие люди гуляют с собаками в парке перед "
          "работой.",
}
RATE = 22_050  # espeak-ng's output rate


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def reading(lang: str, text: str | None = None, speed: int = 150) -> np.ndarray:
    """espeak-ng reading ``text`` (default: the paragraph of ``lang``) as float32 samples at RATE Hz."""
    import soundfile as sf

    out = subprocess.run(["espeak-ng", "-v", lang, "-s", str(speed), "--stdout", text or PARAGRAPHS[lang]],
                         check=True, capture_output=True).stdout
    import io

    samples, sr = sf.read(io.BytesIO(out), dtype="float32")
    assert sr == RATE, sr
    return samples


def speech_file(path: Path, langs: tuple[str, ...], gap_s: float = 1.0) -> Path:
    """A WAV file of the paragraphs of ``langs`` one after another, ``gap_s`` of silence between them."""
    import soundfile as sf

    gap = np.zeros(int(gap_s * RATE), np.float32)
    parts = []
    for i, lang in enumerate(langs):
        parts += [gap] if i else []
        parts.append(reading(lang))
    sf.write(str(path), np.concatenate(parts), RATE)
    return path
