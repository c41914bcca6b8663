"""The HTML reports opened in a real headless browser (Debian's Chromium): the page renders and
every figure loads.

Skipped only when Chromium is missing and PEOPLELAND_REQUIRE_BROWSER is unset; CI sets it, so
there a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import simulation
from simulation.experiments import compare

REQUIRE = "PEOPLELAND_REQUIRE_BROWSER"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Appended to a copy of the page (the report itself has no script): once everything has
# loaded, each image is marked with its decoded width and the body with a flag.
PROBE = """
<script>
window.addEventListener("load", function () {
  var images = document.images;
  for (var i = 0; i < images.length; i++) {
    images[i].setAttribute("data-natural-width", String(images[i].naturalWidth));
  }
  document.body.setAttribute("data-probe", "loaded");
});
</script>
"""


def chromium() -> str:
    found = shutil.which("chromium") or (str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.exists() else None)
    if found:
        return found
    if os.environ.get(REQUIRE):
        pytest.fail(f"{REQUIRE} is set but Chromium is not installed (apt-get install chromium)")
    pytest.skip(f"Chromium is not installed; set {REQUIRE}=1 to make this a failure")


def dump_dom(page: Path, profile: Path) -> str:
    """The page's DOM after load, as the browser built it."""
    done = subprocess.run(
        [
            chromium(),
            *FLAGS,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=15000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def check_page(folder: Path, tmp_path: Path) -> None:
    source = (folder / "report.html").read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", source, re.S)
    assert title is not None
    probe = folder / "probe.html"
    probe.write_text(source.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = dump_dom(probe, tmp_path / "profile")
    assert 'data-probe="loaded"' in dom, "the page never finished loading"
    images = re.findall(r"<img\b[^>]*>", dom)
    widths = [re.search(r'data-natural-width="(\d+)"', img) for img in images]
    assert len(images) == source.count("<img ") > 0
    assert all(w is not None and int(w.group(1)) > 0 for w in widths), "a figure did not load"
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", dom, re.S)
    assert heading is not None
    assert html.unescape(re.sub(r"<[^>]+>", "", heading.group(1))) == html.unescape(title.group(1))
    assert f"<title>{title.group(1)}</title>" in dom


def test_run_report_renders_with_every_figure(mapped_tiny, tmp_path):
    chromium()
    folder = simulation.run(mapped_tiny).write(tmp_path / "out")
    check_page(folder, tmp_path)


def test_comparison_report_renders_with_every_figure(mapped_tiny, tmp_path):
    chromium()
    scenarios = [
        simulation.load_scenario(mapped_tiny),
        simulation.load_scenario(mapped_tiny.with_name("child.toml")),
    ]
    folder = compare(scenarios, 2).write(tmp_path / "out")
    check_page(folder, tmp_path)


def test_a_missing_browser_skips_only_when_not_required(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(globals(), "DEBIAN_CHROMIUM", tmp_path / "none")
    monkeypatch.delenv(REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception):
        chromium()
    monkeypatch.setenv(REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match=REQUIRE):
        chromium()


def test_the_probe_sees_a_figure_that_does_not_load(tmp_path):
    chromium()
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>t</title></head><body><h1>t</h1>"
        '<img src="data:image/png;base64,bm90IGFuIGltYWdl"></body></html>'.replace(
            "</body>", PROBE + "</body>"
        ),
        encoding="utf-8",
    )
    dom = dump_dom(page, tmp_path / "profile")
    assert 'data-natural-width="0"' in dom
