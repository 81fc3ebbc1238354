"""The default heads (built by scripts/train_default_heads.py) and how `vidmm models list` shows heads.

Heads are not in the package or the repository: the script trains them reproducibly from the labelled media
of ../shared/media and writes them to ``<models folder>/heads/NAME`` (``$VIDMM_MODELS``, else the user data
folder), where ``--head heads/NAME`` finds them. `vidmm models list` shows every head found there with the
verdict of its model card, and the default heads that were not built yet, with the command that builds them.

The trust rule (decided here, applied to every card): a head is **too small to trust** when any of its classes
has fewer than ``MIN_HELD_OUT`` independent held-out sources (distinct clips or images, not segments or views
cut from a training source), or when any class has none (untested). Otherwise its card says "tested" with its
held-out metrics; "trustworthy" is not a word this script prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..fileio import folder_size

#: Independent held-out sources each class needs before a card stops saying "too small to trust".
MIN_HELD_OUT = 10
#: The heads the script builds: name -> (task, what it is).
DEFAULTS = {
    "scene-demo": ("scene", "demo scene head from 13 labelled clips, too small to trust (its test segments come "
                            "from its training clips)"),
    "emotion-demo": ("emotion", "demo emotion head from 6 labelled face photos, too small to trust (no "
                                "emotion-labelled video exists here)"),
}
BUILD = "python scripts/train_default_heads.py"


def trust(held_out_sources: dict[str, int]) -> tuple[str, str]:
    """(verdict, reason) for held-out independent sources per class (every class of the head, 0 allowed)."""
    if held_out_sources and not any(held_out_sources.values()):
        return "too small to trust", ("no class has a held-out example independent of its training data "
                                      "(untested on new footage)")
    none = sorted(k for k, n in held_out_sources.items() if n == 0)
    few = sorted(k for k, n in held_out_sources.items() if 0 < n < MIN_HELD_OUT)
    if none or few:
        parts = []
        if none:
            parts.append(f"no held-out example for {', '.join(none)} (untested)")
        if few:
            parts.append(f"fewer than {MIN_HELD_OUT} held-out sources for "
                         + ", ".join(f"{k} ({held_out_sources[k]})" for k in few))
        return "too small to trust", "; ".join(parts)
    return "tested", f"at least {MIN_HELD_OUT} held-out sources per class"


def _note(cfg: dict) -> str:
    card = cfg.get("card") or {}
    test = card.get("test") or {}
    bits = [card.get("trust") or "no model card (not one of the default heads)"]
    if card.get("reason"):
        bits.append(card["reason"])
    if test:
        bits.append(f"held-out accuracy {test.get('accuracy', 0):.2f}, macro-F1 {test.get('macro_f1', 0):.2f} "
                    f"on {test.get('n', 0)} {card.get('unit', 'clips')}")
    if card.get("data"):
        bits.append(f"data: {card['data']}")
    return "; ".join(bits)


def listing_rows() -> Iterable:
    """Rows for `vidmm models list`: heads found in the models folders, then default heads not built yet."""
    from ..models.registry import ModelRow, search_dirs
    from .store import CONFIG, HEADS_DIR, WEIGHTS

    seen = set()
    for root in search_dirs():
        d = root / HEADS_DIR
        if not d.is_dir():
            continue
        for h in sorted(d.iterdir()):
            if h.name in seen or not (h / CONFIG).is_file():
                continue
            try:
                cfg = json.loads((h / CONFIG).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                cfg = {}
            seen.add(h.name)
            task = f"{cfg.get('task', '?')} head ({cfg.get('strategy', '?')}, {len(cfg.get('labels', []))} labels)"
            yield ModelRow(f"heads/{h.name}", task, (h / WEIGHTS).is_file(), folder_size(h),
                           "trained here (see MODEL_CARD.md)", str(h), "head", _note(cfg))
    for name, (task, what) in DEFAULTS.items():
        if name not in seen:
            yield ModelRow(f"heads/{name}", f"{task} head", False, None, "trained here", None, "head",
                           f"{what}; not built: run `{BUILD}` (its card will say how far to trust it)")


def register_listing() -> None:
    """Show heads in `vidmm models list` (the models command calls this)."""
    from ..models.registry import add_listing_provider

    add_listing_provider(listing_rows)
