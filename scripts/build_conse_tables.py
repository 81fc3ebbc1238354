"""Rebuild the default backbone's shipped tables from its text model (vidmm/models/backbones/conse_tables.py).

    python scripts/build_conse_tables.py          # writes vidmm/data/conse_tables.npz and .json

Run it when the class texts, the built-in vocabulary, the prompt ensembles or the text model change (the
tables are ignored, and embedded per machine instead, until it is run). tests/test_backbones_conse.py checks
the shipped tables against the installed model.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from vidmm.models.backbones import conse_tables
    from vidmm.models.backbones.conse import ConSEBackbone

    t = time.perf_counter()
    backbone = ConSEBackbone(use_disk_cache=False)
    arrays, meta = conse_tables.build(backbone)
    conse_tables.write(arrays, meta)
    size = conse_tables.TABLES.stat().st_size
    print(f"{conse_tables.TABLES}: {', '.join(f'{k} {v.shape}' for k, v in arrays.items())}, "
          f"{size / 1e6:.2f} MB, built in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
