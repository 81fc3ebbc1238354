"""The embedding cache: identical arrays back, damaged entries rebuilt, killed writers harmless, LRU cap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import media

from vidmm.cache import Cache, file_identity, make_key


def test_round_trip_identical(tmp_path):
    cache = Cache(tmp_path)
    arrays = {"v": np.random.default_rng(0).normal(size=(7, 384)).astype(np.float32), "t": np.arange(7.0)}
    cache.put("frames", "k1", arrays, {"sampling": "uniform7"})
    got, meta = cache.get("frames", "k1")
    assert meta == {"sampling": "uniform7"}
    for k in arrays:
        assert np.array_equal(got[k], arrays[k]) and got[k].dtype == arrays[k].dtype
    assert cache.get("frames", "other") is None


def test_damaged_entry_is_dropped_and_rebuilt(tmp_path):
    cache = Cache(tmp_path)
    cache.put("frames", "k", {"v": np.ones(3)})
    path = cache._path("frames", "k")
    path.write_bytes(path.read_bytes()[:20])
    assert cache.get("frames", "k") is None and not path.exists()
    cache.put("frames", "k", {"v": np.ones(3)})
    assert cache.get("frames", "k") is not None


def test_data_damaged_behind_a_valid_header_is_never_served(tmp_path):
    """Flipped bytes in the arrays (the header still parses) fail the entry's checksum: a miss, then rebuilt."""
    cache = Cache(tmp_path)
    vectors = np.random.default_rng(1).normal(size=(16, 64)).astype(np.float32)
    cache.put("frames", "k", {"v": vectors}, {"labels": ["beach", "kitchen"]})
    path = cache._path("frames", "k")
    data = bytearray(path.read_bytes())
    for i in range(len(data) - 200, len(data), 7):  # inside the tensor data, after the JSON header
        data[i] ^= 0x55
    path.write_bytes(bytes(data))
    assert cache.get("frames", "k") is None and not path.exists()
    # damaged metadata text of the same length, still valid JSON
    cache.put("frames", "k", {"v": vectors}, {"labels": ["beach", "kitchen"]})
    path.write_bytes(path.read_bytes().replace(b"kitchen", b"kitchem"))
    assert cache.get("frames", "k") is None
    cache.put("frames", "k", {"v": vectors}, {"labels": ["beach", "kitchen"]})
    got, meta = cache.get("frames", "k")
    assert np.array_equal(got["v"], vectors) and meta == {"labels": ["beach", "kitchen"]}


@pytest.mark.parametrize("where", ["a_file", "under_a_file", "in_proc"])
def test_an_unusable_cache_folder_is_one_warning_and_the_run_goes_on(tmp_path, where):
    (tmp_path / "f").write_text("not a folder")
    root = {"a_file": tmp_path / "f", "under_a_file": tmp_path / "f" / "cache", "in_proc": "/proc/vidmm-cache"}[where]
    env = {**os.environ, "VIDMM_CACHE": str(root)}
    r = subprocess.run([sys.executable, "-m", "vidmm", "info", media("chaplin.mp4"), media("testvideo.mp4"),
                        "--json"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert '"file"' in r.stdout and "internal error" not in r.stderr
    warnings = [line for line in r.stderr.splitlines() if "cache folder" in line]
    assert len(warnings) == 1 and str(root) in warnings[0] and "without the cache" in warnings[0]


def test_killed_writer_leaves_no_torn_entry(tmp_path):
    """A writer killed with SIGKILL in the middle of many puts leaves only whole entries."""
    script = textwrap.dedent(f"""
        import numpy as np, sys
        from vidmm.cache import Cache
        c = Cache({str(tmp_path)!r}, max_mb=10_000)
        big = np.random.default_rng(0).normal(size=(2000, 384)).astype(np.float32)
        i = 0
        while True:
            c.put("frames", f"k{{i % 5}}", {{"v": big + i}})
            i += 1
            if i == 3:
                print("ready", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    cache = Cache(tmp_path)
    found = [cache.get("frames", f"k{i}") for i in range(5)]
    assert any(f is not None for f in found)
    for f in found:
        if f is not None:
            v = f[0]["v"]
            assert v.shape == (2000, 384)
            assert np.allclose(v - v[0, 0], v[:1, :1] * 0 + (v - v[0, 0]))  # whole, readable array


def test_size_cap_evicts_least_recently_used(tmp_path):
    cache = Cache(tmp_path, max_mb=0.05)  # ~52 KB: room for three 16 KB entries
    for i in range(3):
        cache.put("x", f"k{i}", {"v": np.zeros(4000, np.float32) + i})
        os.utime(cache._path("x", f"k{i}"), (1000 + i, 1000 + i))
    cache.get("x", "k0")  # used now: k1 is the oldest
    cache.put("x", "k3", {"v": np.zeros(4000, np.float32)})
    assert cache.get("x", "k1") is None
    assert cache.get("x", "k0") is not None and cache.get("x", "k3") is not None
    assert cache.info().bytes <= cache.max_bytes


def test_disabled_cache_stores_nothing(tmp_path):
    cache = Cache(tmp_path, enabled=False)
    cache.put("x", "k", {"v": np.ones(2)})
    assert cache.get("x", "k") is None and cache.info().entries == 0


def test_file_identity_changes_with_content_not_name(tmp_path):
    a = tmp_path / "a.mp4"
    a.write_bytes(open(media("chaplin.mp4"), "rb").read())
    ident = file_identity(a)
    b = tmp_path / "b.mp4"
    os.link(a, b)
    assert file_identity(b) == ident
    with open(a, "r+b") as f:
        f.seek(100)
        f.write(b"\x00\x01")
    assert file_identity(a) != ident
    assert file_identity(a, full=True) != file_identity(a)
    assert make_key("x", 1) == make_key("x", 1) != make_key("x", 2)


@pytest.mark.parametrize("path", ["big_buck_bunny_0_30.webm"])
def test_extractor_second_run_decodes_nothing(tmp_path, path):
    """The probe, shots and audio features come back from the cache without decoding (no backbone needed),
    and the cached probe is the probe."""
    from vidmm.features import Extractor

    cache = Cache(tmp_path)
    first = Extractor(cache=cache)
    shots = first.shots(media(path))
    feats = first.audio_features(media(path))
    second = Extractor(cache=Cache(tmp_path))
    assert [s.span for s in second.shots(media(path))] == [s.span for s in shots]
    again = second.audio_features(media(path))
    assert np.array_equal(again.matrix, feats.matrix) and again.activity == feats.activity
    assert second.decoded_frames == 0 and second.cache.hits == 3  # probe, shots, audio features
    from vidmm.media.probe import probe

    assert second.probe(media(path)) == probe(media(path))


def test_file_lock_lets_one_holder_in_at_a_time(tmp_path):
    """N batch workers on a cold cache: one builds the label/class embeddings, the others wait, then read."""
    import threading
    import time

    from vidmm.cache import file_lock

    lock = tmp_path / "sub" / ".lock-x"
    order = []

    def second():
        with file_lock(lock):
            order.append("second")

    with file_lock(lock):
        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.3)
        order.append("first")
    t.join(10)
    assert order == ["first", "second"]


def test_writes_do_not_rescan_the_folder_each_time(tmp_path, monkeypatch):
    """A night's batch writes thousands of entries: the folder is scanned on the first write, then only
    when this cache's writes could pass the cap or every SCAN_EVERY writes, not on every write."""
    import vidmm.cache as cache_mod

    cache = Cache(tmp_path, max_mb=1)
    scans = []
    real = Cache._entries
    monkeypatch.setattr(Cache, "_entries", lambda self: scans.append(1) or real(self))
    for i in range(20):
        cache.put("x", f"k{i}", {"v": np.zeros(100, np.float32)})
    assert len(scans) == 1
    for i in range(cache_mod.SCAN_EVERY):
        cache.put("x", f"m{i}", {"v": np.zeros(10, np.float32)})
    assert len(scans) == 2
    cache.put("x", "big", {"v": np.zeros(300_000, np.float32)})  # 1.2 MB: past the 1 MB cap at once
    assert len(scans) == 3 and cache.info().bytes <= cache.max_bytes
