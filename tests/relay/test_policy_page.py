"""The browser page: self-contained files, only events the default policy allows, a sound resampler."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from agentkit.relay import PAGE_ASSETS, STATIC_DIR, Refusal, RelayPolicy, read_asset

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed (JS checks need it)")


def asset_text(name: str) -> str:
    return read_asset(name)[0].decode("utf-8")


def test_every_asset_exists_and_only_listed_names_are_served() -> None:
    assert {p.name for p in STATIC_DIR.iterdir()} == set(PAGE_ASSETS)
    body, content_type = read_asset("index.html")
    assert body.startswith(b"<!doctype html>")
    assert content_type == "text/html; charset=utf-8"
    for name in ("../policy.py", "/etc/passwd", "static/app.js", ""):
        with pytest.raises(KeyError):
            read_asset(name)


def test_the_page_loads_nothing_from_elsewhere_and_has_no_inline_script() -> None:
    for name in PAGE_ASSETS:
        text = asset_text(name)
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE), name
    html = asset_text("index.html")
    assert re.findall(r"<script[^>]*>", html) == ['<script type="module" src="app.js">']
    assert 'href="style.css"' in html
    assert 'new URL("audio-worklet.js", import.meta.url)' in asset_text("app.js")


def test_the_page_sends_only_what_the_default_policy_allows() -> None:
    sent = set(re.findall(r'send\(\{\s*type: "([^"]+)"', asset_text("app.js")))
    assert sent == {
        "input_audio_buffer.append",
        "conversation.item.create",
        "response.create",
        "conversation.item.truncate",
    }
    assert sent <= RelayPolicy().allowed_events


def test_the_page_keeps_to_its_own_origin_and_hides_the_ticket() -> None:
    app = asset_text("app.js")
    assert "url.origin !== location.origin" in app
    assert 'params.delete("ticket")' in app
    assert "innerHTML" not in app  # model and user text only ever go in as textContent
    assert "window.agentkitRelay = " in app


@needs_node
@pytest.mark.parametrize("name", ["app.js", "audio-worklet.js"])
def test_scripts_parse(name: str, tmp_path: Path) -> None:
    module = tmp_path / (name + ".mjs")
    module.write_bytes(read_asset(name)[0])
    subprocess.run([NODE, "--check", str(module)], check=True, capture_output=True, timeout=60)  # type: ignore[list-item]


RESAMPLER_PROBE = """
const fs = require("fs"), vm = require("vm");
const [path, inputRate, seconds, frequency] = process.argv.slice(1).map((v, i) => (i ? Number(v) : v));
const chunks = [];
let Processor = null;
globalThis.sampleRate = inputRate;
globalThis.AudioWorkletProcessor = class {
  constructor() { this.port = { postMessage: (b) => chunks.push(b) }; }
};
globalThis.registerProcessor = (name, cls) => { Processor = cls; };
vm.runInThisContext(fs.readFileSync(path, "utf8"));
const capture = new Processor({ processorOptions: { targetRate: 24000, chunkMs: 100 } });
const total = Math.round(inputRate * seconds);
for (let start = 0; start < total; start += 128) {
  const block = new Float32Array(Math.min(128, total - start));
  for (let i = 0; i < block.length; i++) {
    block[i] = 0.5 * Math.sin((2 * Math.PI * frequency * (start + i)) / inputRate);
  }
  capture.process([[block]]);
}
capture.port.onmessage({ data: "flush" });
const samples = [];
for (const chunk of chunks) {
  const view = new DataView(chunk);
  for (let i = 0; i < chunk.byteLength; i += 2) samples.push(view.getInt16(i, true));
}
let crossings = 0;
for (let i = 1; i < samples.length; i++) if ((samples[i - 1] < 0) !== (samples[i] < 0)) crossings++;
const sizes = chunks.map((c) => c.byteLength);
const peak = Math.max(...samples);
console.log(JSON.stringify({ chunks: sizes, samples: samples.length, crossings, peak }));
"""


@needs_node
@pytest.mark.parametrize("input_rate", [48000, 44100, 24000, 16000])
def test_the_worklet_resamples_to_24khz_pcm16_in_100ms_chunks(input_rate: int) -> None:
    worklet = STATIC_DIR / "audio-worklet.js"
    result = subprocess.run(
        [NODE, "-e", RESAMPLER_PROBE, str(worklet), str(input_rate), "1", "440"],  # type: ignore[list-item]
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    probe = json.loads(result.stdout)
    assert abs(probe["samples"] - 24000) <= 2
    assert all(size == 4800 for size in probe["chunks"][:-1])
    assert abs(probe["crossings"] - 880) <= 4  # a 440 Hz tone is still 440 Hz at the new rate
    assert 0.4 * 32767 < probe["peak"] <= 0.5 * 32767 + 1


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "input_audio_buffer.append", "audio": "AAAAAA=="},
        {"type": "conversation.item.truncate", "item_id": "msg_1", "content_index": 0, "audio_end_ms": 748},
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "id": "msg_mwrdcc0w1",
                "content": [{"type": "input_text", "text": "where is my order?"}],
            },
        },
        {"type": "response.create"},
    ],
)
def test_frames_shaped_like_the_pages_pass_the_default_policy(frame: dict[str, object]) -> None:
    """The exact shapes app.js sends (captured from the page in headless Chromium)."""
    result = RelayPolicy().check_client_frame(json.dumps(frame))
    assert not isinstance(result, Refusal), result


def test_the_page_is_titled_with_the_agents_name_escaped() -> None:
    from agentkit import Agent
    from agentkit.relay import Relay

    page = Relay(Agent("Shop <Support> & Co")).page("/")
    assert page is not None
    html = page[0].decode("utf-8")
    assert "<title>Shop &lt;Support&gt; &amp; Co</title>" in html
    assert "<h1>Shop &lt;Support&gt; &amp; Co</h1>" in html
    assert "Voice agent" not in html
    assert page[1] == "text/html; charset=utf-8"


def test_the_page_has_a_microphone_level_and_a_listening_indicator() -> None:
    html = asset_text("index.html")
    assert '<meter id="level"' in html
    assert 'id="listening"' in html
    app = asset_text("app.js")
    assert "getFloatTimeDomainData" in app
