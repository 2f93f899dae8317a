"""The report renders in a real browser: every image decodes, nothing overflows a phone's
width, and the page is not blank."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread
from report.chromium import run

pytestmark = [pytest.mark.browser]

# Appended to a copy of the page: after "load", write what the browser saw into the DOM,
# where --dump-dom prints it.
CHECK = """<script>
window.addEventListener("load", () => {
  const imgs = Array.from(document.images);
  const root = document.documentElement;
  const out = document.createElement("pre");
  out.id = "te-check";
  out.textContent = JSON.stringify({
    images: imgs.length,
    undecoded: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
    overflow: root.scrollWidth - root.clientWidth,
    text: document.body.innerText.length,
    ids: Array.from(document.querySelectorAll("section[id]")).map(s => s.id),
    // anything sticking out of the viewport that is not inside a sideways-scrolling box
    wide: Array.from(document.querySelectorAll("main *"))
      .filter(e => !e.closest(".scroll") && e.getBoundingClientRect().right > innerWidth + 1)
      .map(e => e.tagName + (e.id ? "#" + e.id : "")).slice(0, 10),
    // plot panels per row: the largest number of .panels figures sharing one top edge
    perRow: Math.max(0, ...Array.from(document.querySelectorAll(".panels")).map(p => {
      const tops = Array.from(p.children).map(c => Math.round(c.getBoundingClientRect().top));
      return Math.max(...tops.map(t => tops.filter(u => u === t).length));
    })),
    stickyKey: Array.from(document.querySelectorAll(".scroll td:first-child")).every(
      td => getComputedStyle(td).position === "sticky"),
  });
  document.body.appendChild(out);
});
</script></body>"""


def check_in_browser(html: Path, tmp_path: Path, width: int) -> dict:
    """Load ``html`` at ``width`` CSS pixels and return what the page saw (see CHECK)."""
    checked = tmp_path / f"checked-{width}.html"
    checked.write_text(html.read_text().replace("</body>", CHECK))
    proc = run([f"--window-size={width},900", "--virtual-time-budget=10000", "--dump-dom",
                checked.as_uri()], tmp_path / f"profile-{width}")
    found = re.search(r'<pre id="te-check">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"no check result from chromium (rc {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


# the sections of the deployment question (tests/report/results_tree.py's device run)
SECTIONS = ("overview", "costs", "flips-scalecnn-w4-s0",
            "device-scalecnn-w4-s0-device-nucleo-f746", "widths", "audit")


@pytest.mark.parametrize(("width", "per_row"), [(390, 1), (1280, 3)], ids=["phone", "desktop"])
def test_page_loads_with_every_image_decoded_and_nothing_overflows(built, tmp_path, width,
                                                                   per_row):
    result = check_in_browser(built.html, tmp_path, width)
    assert result["images"] == built.n_figures
    assert result["undecoded"] == []
    assert result["overflow"] <= 0, f"the page is wider than {width} px"
    assert result["wide"] == [], f"elements stick out of a {width} px screen"
    assert result["text"] > 2000
    assert set(SECTIONS) <= set(result["ids"])
    assert result["perRow"] == per_row  # a phone stacks the plot panels
    assert result["stickyKey"]  # a table's key column stays while it scrolls


def test_flipped_image_thumbnails_render_on_a_phone(tmp_path):
    from report.test_deployment import _digits_tree

    from tinyedge.report import build_report

    built = build_report(_digits_tree(tmp_path))
    result = check_in_browser(built.html, tmp_path, 390)
    assert result["images"] == built.n_figures and result["undecoded"] == []
    assert result["overflow"] <= 0 and result["wide"] == []
    assert "flips-scalecnn-w8-s0" in result["ids"]


def test_screenshot_is_not_blank(built, tmp_path):
    shot = tmp_path / "shot.png"
    proc = run(["--window-size=1000,1400", f"--screenshot={shot}", built.html.as_uri()],
               tmp_path / "profile")
    assert shot.is_file(), f"no screenshot (rc {proc.returncode}): {proc.stderr[-2000:]}"
    pixels = imread(shot)[..., :3]
    dark = (pixels.mean(axis=2) < 0.5).mean()
    colors = len(np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0))
    assert 0.005 < dark < 0.5, f"{dark:.3%} dark pixels: blank or broken page"
    assert colors > 50
