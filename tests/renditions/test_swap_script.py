"""gan-renditions.js (the optional <img> swapper), run under Node with a minimal fake DOM,
fake fetch and fake timers: it asks the status endpoint about ML rendition URLs only, swaps
src/srcset entries that are ready, keeps polling pending and unclaimed ones, and stops."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.utils import ROOT

SCRIPT = ROOT / "wagtail_gan" / "static" / "wagtail_gan" / "js" / "gan-renditions.js"

HARNESS = r"""
const fs = require("fs");
const source = fs.readFileSync(process.argv[1], "utf8");
const plan = JSON.parse(process.argv[2]);
function el(attrs) {
  return { attrs: Object.assign({}, attrs),
    getAttribute(n) { return n in this.attrs ? this.attrs[n] : null; },
    setAttribute(n, v) { this.attrs[n] = v; } };
}
const elements = plan.elements.map(el);
const timers = [];
const requests = [];
let call = 0;
global.window = { fetch: true };
global.document = {
  readyState: "complete",
  currentScript: el({"data-gan-status-url": "/gan/renditions/status/", "data-gan-interval": "10"}),
  querySelectorAll() { return elements; },
  addEventListener() {},
};
global.setTimeout = (fn) => { timers.push(fn); };
global.fetch = (url) => {
  const srcs = new URL(url, "http://x").searchParams.getAll("src");
  requests.push(srcs);
  const answer = plan.answers[Math.min(call++, plan.answers.length - 1)];
  const renditions = {};
  srcs.forEach((s) => { if (answer[s]) renditions[s] = answer[s]; });
  return Promise.resolve({ ok: true, json: () => Promise.resolve({ renditions }) });
};
eval(source);
(async () => {
  for (let i = 0; i < 30 && timers.length; i++) {
    timers.shift()();
    for (let k = 0; k < 5; k++) await Promise.resolve();
  }
  console.log(JSON.stringify({ elements: elements.map((e) => e.attrs), requests,
                               pendingTimers: timers.length }));
})();
"""


def run(plan: dict) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    out = subprocess.run([node, "-e", HARNESS, "--", str(SCRIPT), json.dumps(plan)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def ready(url):
    return {"status": "ready", "url": url, "width": 20, "height": 15}


def test_swaps_ready_urls_and_stops():
    fallback, picture_fallback = "/media/images/a.width-20.stylize-3.png", "/media/images/a.format-webp.width-20.stylize-3.webp"
    new, picture_new = "/media/images/a.width-20.stylize-3.gan1a2b3c.png", "/media/images/a.format-webp.width-20.stylize-3.gan4d5e6f.webp"
    plan = {
        "elements": [
            {"src": fallback, "srcset": f"{fallback} 20w, /media/images/a.width-40.stylize-3.png 40w"},
            {"srcset": picture_fallback},
            {"src": "/media/images/a.width-20.png"},
        ],
        "answers": [
            {fallback: {"status": "pending", "url": fallback, "width": 20, "height": 15}},
            {fallback: ready(new), picture_fallback: ready(picture_new),
             "/media/images/a.width-40.stylize-3.png": {"status": "failed", "url": "x",
                                                        "width": 40, "height": 30}},
        ],
    }
    result = run(plan)
    img, source, plain = result["elements"]
    assert img["src"] == new
    assert img["srcset"] == f"{new} 20w, /media/images/a.width-40.stylize-3.png 40w"
    assert source["srcset"] == picture_new
    assert plain == {"src": "/media/images/a.width-20.png"}
    # Plain renditions are never asked about; polling stops once nothing is pending.
    assert all("/media/images/a.width-20.png" not in r for r in result["requests"])
    assert len(result["requests"]) == 2 and result["pendingTimers"] == 0


def test_unclaimed_urls_are_polled_a_limited_number_of_times():
    url = "/media/images/b.width-20.upscale-2x.png"
    result = run({"elements": [{"src": url}], "answers": [{}]})
    assert len(result["requests"]) == 8 and result["pendingTimers"] == 0
    assert result["elements"][0]["src"] == url
