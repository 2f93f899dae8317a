"""The report renders in a real browser: every image decodes, nothing overflows a phone's
width, and the page is not blank."""

from __future__ import annotations

import json
import re

import numpy as np
from matplotlib.image import imread
from report.chromium import run

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
  });
  document.body.appendChild(out);
});
</script></body>"""


def test_page_loads_with_every_image_decoded_on_a_narrow_screen(built, tmp_path):
    page = built.html.read_text().replace("</body>", CHECK)
    checked = tmp_path / "checked.html"
    checked.write_text(page)
    proc = run(["--window-size=390,844", "--virtual-time-budget=10000", "--dump-dom",
                checked.as_uri()], tmp_path / "profile")
    found = re.search(r'<pre id="te-check">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"no check result from chromium (rc {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["images"] == built.n_figures
    assert result["undecoded"] == []
    assert result["overflow"] <= 0, "the page is wider than a phone screen"
    assert result["text"] > 2000


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
