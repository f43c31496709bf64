"""benchmarks/gpu_check.py runs on a CPU (small sizes): every section measures through the
production code (engine, backends, a real run_huey worker), prints ratios against same-run
baselines, passes its checks and writes its figures with --json; a budget too small for a
section skips it with the reason instead of overrunning. The GPU figures themselves come from
running the script on a CUDA machine (benchmarks/RESULTS.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"

pytestmark = [pytest.mark.slow, pytest.mark.ml]


def run_check(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "gpu_check.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the script uses its own sandbox settings
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--cpu", "--small", "--threads", "1", "--repeat", "1",
         "--json", str(out), *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400,
    )
    data = json.loads(out.read_text()) if out.exists() else {}
    return proc, data


@pytest.mark.timeout(420)
def test_cpu_run_measures_every_section_and_passes_its_checks(tmp_path):
    proc, data = run_check(tmp_path)
    log = proc.stdout[-6000:] + proc.stderr[-3000:]
    assert proc.returncode == 0, log
    assert data["device"] == "cpu" and data["small"] is True and data["ok"] is True, log
    sections = data["sections"]
    assert list(sections) == ["upscale", "stylize", "rife", "worker", "diffusion"]
    for name, section in sections.items():
        assert section["status"] == "ok", (name, section, log)
        assert section["peak_rss_mb"] > 0 and section["ratios"], (name, section)
        assert all(v > 0 for v in section["ratios"].values()), (name, section["ratios"])
    figures = {name: s["figures"] for name, s in sections.items()}
    for model in ("spanx4_ch48", "realesrgan_x4plus"):
        for variant in ("fp32, one tile at a time", "fp16, one tile at a time",
                        "fp16, batches of 4 tiles", "engine.run"):
            assert figures["upscale"][f"{model} {variant} input MP/s"] > 0
        # On a CPU the engine runs the production CPU runtime, not torch.
        assert figures["upscale"][f"{model} engine.run"]["runtime"] == "onnxruntime"
    assert figures["stylize"]["stylize ms/image"] > 0
    for run in ("text-to-image", "img2img", "edit (InstructPix2Pix)"):
        assert figures["diffusion"][f"{run} fp32 ms/step"] > 0
    assert figures["rife"]["2x in-betweens/s"] > 0 and figures["rife"]["4x in-betweens/s"] > 0
    worker = figures["worker"]
    assert worker["request -> swapped ms"] >= worker["job in the worker ms"] > 0
    names = {c["name"] for c in data["checks"]}
    assert {"spanx4_ch48 batched = one tile at a time (8-bit)",
            "realesrgan_x4plus engine.run (onnxruntime) = torch fp32 (8-bit)",
            "text-to-image: same seed, same image (8-bit)"} <= names
    assert all(c["ok"] for c in data["checks"])
    assert "fp16 vs fp32: x" in proc.stdout and "request-to-swap vs raw model: x" in proc.stdout
    assert "CUDA vs CPU checks: no CUDA here" in proc.stdout


@pytest.mark.timeout(200)
def test_sections_that_would_overrun_the_budget_are_skipped_with_the_reason(tmp_path):
    proc, data = run_check(tmp_path, "--budget", "1", "--sections", "upscale,rife")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert {name: s["status"] for name, s in data["sections"].items()} == {
        "upscale": "skipped", "rife": "skipped"}
    assert "left of the 1 s budget" in data["sections"]["upscale"]["reason"]
    assert proc.stdout.count("SKIPPED: needs about") == 2


@pytest.mark.timeout(420)
def test_cuda_branches_run_in_a_cpu_rehearsal(tmp_path):
    """The CUDA-only code (fp16/fp32 comparisons with the CPU, the fp32 diffusion baseline)
    runs here with the CPU standing in for CUDA, so a GPU session does not find it broken."""
    proc, data = run_check(tmp_path, "--rehearse-cuda",
                           "--sections", "upscale,stylize,rife,diffusion")
    log = proc.stdout[-6000:] + proc.stderr[-3000:]
    assert proc.returncode == 0, log
    assert data["rehearse_cuda"] is True and data["ok"] is True, log
    assert all(s["status"] == "ok" for s in data["sections"].values()), data["sections"]
    names = {c["name"] for c in data["checks"]}
    for model in ("spanx4_ch48", "realesrgan_x4plus"):
        assert {f"{model} CUDA fp32 vs CPU fp32 (24x24)", f"{model} CUDA fp16 vs CPU fp32 (24x24)",
                f"{model} engine.run = direct run (8-bit)"} <= names
    for kind in ("txt2img", "pix2pix"):
        for part in ("text encoder", "UNet", "VAE decoder"):
            for precision in ("fp16", "fp32"):
                assert f"{kind} {part}: CUDA {precision} vs CPU fp32" in names
    assert "RIFE CUDA fp32 vs CPU fp32 (96x48, 8-bit)" in names
    assert "diffusion fp16 vs fp32" in data["sections"]["diffusion"]["ratios"]
    assert "REHEARSAL" in proc.stdout
