"""How a super-resolution model runs, per device: the tile function ``tiling`` calls.

* **CPU**: the fastest runtime that gives the same pixels as torch within
  :data:`CHECK_TOLERANCE` (1e-3 on the 0..1 scale), per spandrel architecture
  (:data:`CPU_RUNTIME`, from ``benchmarks/bench_upscale.py``; numbers in
  ``benchmarks/RESULTS.md``). ``onnxruntime`` runs an ONNX export of the (fused) torch model,
  made at install time or on first use and cached next to the weights
  (``<weights file>.onnx``). Each export is checked against torch on a fixed image when it is
  made; the cache file records that result, the weights' sha256 (a changed file is
  re-exported) and the model's scale, so a worker with a valid cache runs the model without
  importing spandrel or building the torch model.
  Anything that goes wrong (onnxruntime or onnx not installed, export fails, the check fails,
  the models dir is read-only) falls back to torch and says why in the run's params.
  ``WAGTAIL_GAN["UPSCALE_CPU_RUNTIME"]`` = ``"torch"`` / ``"onnxruntime"`` overrides the table.
* **CUDA**: torch, fp16 where the model supports it (``runtime.select_dtype``),
  channels_last, tiles batched (``UPSCALE_CUDA_BATCH``) and optionally ``torch.compile``
  (``TORCH_COMPILE``). These code paths also run on a CPU when asked (the tests do).

SPAN models are *fused* first (:func:`fuse_span`): spandrel's ``Conv3XC`` re-merges its
kernels on every eval forward; the fused model uses the merged 3x3 conv directly (the same
numbers, it is what ``update_params`` computes) and exports to a plain ONNX graph.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from wagtail_gan.conf import gan_settings

from ..errors import EngineError
from ..hashing import sha256_file

logger = logging.getLogger(__name__)

CHECK_TOLERANCE = 1e-3
ONNX_OPSET = 17
RUNTIMES = ("torch", "onnxruntime")
#: CPU runtime per spandrel architecture id, measured with benchmarks/bench_upscale.py (2 cores,
#: tiled as in production): onnxruntime is the fastest for SPAN and for Real-ESRGAN's RRDBNet
#: (spandrel calls that architecture "ESRGAN").
#: Architectures not listed (not measured) run on torch.
CPU_RUNTIME = {"SPAN": "onnxruntime", "ESRGAN": "onnxruntime",
               # the CycleGAN generator (backends/cyclegan.py; bench_edits.py: 0.56-0.64x torch)
               "CycleGAN": "onnxruntime"}


class RuntimeUnavailable(Exception):
    """This runtime cannot run this model here (the message says why); torch is used."""


# -- torch -------------------------------------------------------------------------------------


def fuse_span(model):
    """Replace every ``Conv3XC`` of a SPAN model by its merged ``eval_conv`` (+ its
    LeakyReLU): exactly what spandrel's eval forward computes, without re-merging the kernels
    on every call. Other models are returned unchanged."""
    import torch.nn as nn

    for name, module in list(model.named_modules()):
        if type(module).__name__ != "Conv3XC":
            continue
        module.update_params()
        conv = module.eval_conv
        fused = nn.Sequential(conv, nn.LeakyReLU(0.05)) if module.has_relu else conv
        parent, _, attr = name.rpartition(".")
        setattr(model.get_submodule(parent) if parent else model, attr, fused)
    return model


def _pad(x, req):
    """Pad a (B,C,h,w) tensor to the model's size requirements (spandrel's rule: reflect,
    then replicate); returns the padded tensor."""
    import torch.nn.functional as F

    pad_w, pad_h = req.get_padding(x.shape[-1], x.shape[-2])
    if pad_w or pad_h:
        rw, rh = min(pad_w, x.shape[-1] - 1), min(pad_h, x.shape[-2] - 1)
        x = F.pad(x, (0, rw, 0, rh), "reflect")
        x = F.pad(x, (0, pad_w - rw, 0, pad_h - rh), "replicate")
    return x


class TorchRunner:
    """(B,3,h,w) float in [0,1] -> (B,3,sh,sw) in [0,1], on ``device`` in the model's dtype."""

    name = "torch"

    def __init__(self, desc, device: str, *, channels_last: bool | None = None,
                 compile: bool | None = None):
        import torch

        self.desc = desc
        self.scale = desc.scale
        self.device = device
        self.dtype = next(desc.model.parameters()).dtype
        cuda = device.startswith("cuda")
        self.channels_last = cuda if channels_last is None else channels_last
        model = desc.model
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.compiled = bool(gan_settings.TORCH_COMPILE and cuda) if compile is None else compile
        self.fn = torch.compile(model, dynamic=False) if self.compiled else model

    def __call__(self, piece):
        import torch

        h, w = piece.shape[-2:]
        x = _pad(piece.to(device=self.device, dtype=self.dtype), self.desc.size_requirements)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            y = self.fn(x)
            return y[..., : h * self.scale, : w * self.scale].clamp_(0, 1)

    def describe(self) -> dict[str, Any]:
        return {"runtime": "torch", "dtype": str(self.dtype).removeprefix("torch."),
                **({"channels_last": True} if self.channels_last else {}),
                **({"torch_compile": True} if self.compiled else {})}


# -- onnxruntime -------------------------------------------------------------------------------


def _import_ort():
    import onnxruntime

    return onnxruntime


def onnx_path(weights: Path) -> Path:
    """Where the ONNX export of ``weights`` is cached: next to it."""
    return Path(weights).with_name(Path(weights).name + ".onnx")


def export_onnx(model) -> bytes:
    """The ONNX graph of a torch SR model (fp32, dynamic batch, height and width)."""
    import torch

    try:
        import onnx  # noqa: F401  (the exporter needs it)
    except ImportError:
        raise RuntimeUnavailable("the onnx package is not installed (pip install onnx)") from None
    param = next(model.parameters())
    if param.dtype != torch.float32 or param.device.type != "cpu":
        import copy

        model = copy.deepcopy(model).float().cpu()
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (torch.rand(1, 3, 32, 32),), buf,
                              input_names=["input"], output_names=["output"],
                              opset_version=ONNX_OPSET, dynamo=False,
                              dynamic_axes={"input": {0: "b", 2: "h", 3: "w"},
                                            "output": {0: "b", 2: "oh", 3: "ow"}})
    except Exception as exc:
        raise RuntimeUnavailable(f"ONNX export failed: {type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0][:200] if str(exc) else ''}") from None
    return buf.getvalue()


def _with_props(data: bytes, props: dict[str, str]) -> bytes:
    import onnx

    proto = onnx.load_from_string(data)
    onnx.helper.set_model_props(proto, props)
    return proto.SerializeToString()


def _props(data: bytes) -> dict[str, str]:
    try:
        import onnx

        proto = onnx.load_from_string(data)
    except Exception:  # unreadable cache file: re-export
        return {}
    return {p.key: p.value for p in proto.metadata_props}


def verification_batch(size: int = 32):
    """A fixed (1,3,size,size) float32 test image in [0,1] (span_ncnn's: edges, noise, 0/1)."""
    from ..span_ncnn import verification_image

    return np.ascontiguousarray(verification_image(size).transpose(2, 0, 1))[None]


def _session(data: bytes, threads: int | None):
    try:
        ort = _import_ort()
    except ImportError:
        raise RuntimeUnavailable("onnxruntime is not installed") from None
    so = ort.SessionOptions()
    if not threads:
        threads = gan_settings.TORCH_THREADS
    if not threads:
        import torch

        threads = torch.get_num_threads()
    so.intra_op_num_threads = int(threads)
    so.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise RuntimeUnavailable(f"onnxruntime cannot load the export: {exc}") from None


class OnnxRunner:
    """The same contract as :class:`TorchRunner`, on onnxruntime's CPU provider.

    :meth:`from_model` exports a loaded model (or reuses the cache file), checks the session
    against torch on a fixed image and caches the export with the result of that check, the
    weights' sha256 and the model's scale/size rules in its metadata. :meth:`from_cache` uses
    such a file without loading the model in torch at all (None when there is no valid one)."""

    name = "onnxruntime"

    def __init__(self, session, *, scale: int, multiple_of: int = 1, minimum: int = 0,
                 origin: str = "", max_abs_diff: float = 0.0):
        self.session = session
        self.scale = int(scale)
        self.multiple_of = max(1, int(multiple_of))
        self.minimum = int(minimum)
        self.origin = origin
        self.max_abs_diff = float(max_abs_diff)

    @classmethod
    def from_cache(cls, weights: Path, *, threads: int | None = None) -> OnnxRunner | None:
        path = onnx_path(weights)
        if not path.is_file():
            return None
        data = path.read_bytes()
        props = _props(data)
        try:
            if props.get("weights_sha256") != sha256_file(weights, cached=True):
                return None
            diff = float(props["max_abs_diff_vs_torch"])
            meta = {k: int(props[k]) for k in ("scale", "multiple_of", "minimum")}
        except (KeyError, ValueError):
            return None
        if not diff <= CHECK_TOLERANCE or wanted_runtime(props.get("arch", ""), "cpu") \
                != "onnxruntime":
            return None
        return cls(_session(data, threads), origin="cached", max_abs_diff=diff, **meta)

    @classmethod
    def from_model(cls, desc, weights: Path, *, threads: int | None = None,
                   write: bool = True) -> OnnxRunner:
        import torch

        weights = Path(weights)
        req = desc.size_requirements
        if req.square:
            raise RuntimeUnavailable("square-only models run on torch")
        cached = cls.from_cache(weights, threads=threads)
        if cached is not None:
            return cached
        digest = sha256_file(weights, cached=True)
        data = export_onnx(desc.model)
        session = _session(data, threads)
        x = verification_batch()
        with torch.inference_mode():
            ref = desc.model(torch.from_numpy(x).to(next(desc.model.parameters()).dtype))
        ref = ref.float().numpy()
        ours = session.run(None, {"input": x})[0]
        diff = float(np.abs(ours - ref).max()) if ours.shape == ref.shape else 1.0
        if not diff <= CHECK_TOLERANCE:
            raise RuntimeUnavailable(f"onnxruntime differs from torch by {diff:.1e} "
                                     f"(> {CHECK_TOLERANCE:g})")
        meta = {"scale": desc.scale, "multiple_of": req.multiple_of, "minimum": req.minimum}
        origin = "exported"
        if write:
            origin = _write_cache(weights, _with_props(data, {
                "weights_sha256": digest, "arch": desc.architecture.id,
                "max_abs_diff_vs_torch": repr(diff), **{k: str(v) for k, v in meta.items()},
                "exported_by": f"wagtail-gan, torch {torch.__version__}"}))
        return cls(session, origin=origin, max_abs_diff=diff, **meta)

    def __call__(self, piece):
        import torch

        h, w = piece.shape[-2:]
        x = piece.float().cpu()
        pad_h = -max(h, self.minimum) // self.multiple_of * -self.multiple_of - h
        pad_w = -max(w, self.minimum) // self.multiple_of * -self.multiple_of - w
        if pad_h or pad_w:
            x = _pad(x, _Req(pad_w, pad_h))
        y = self.session.run(None, {"input": np.ascontiguousarray(x.numpy())})[0]
        y = y[..., : h * self.scale, : w * self.scale]
        return torch.from_numpy(np.clip(y, 0.0, 1.0, out=y))

    def describe(self) -> dict[str, Any]:
        return {"runtime": "onnxruntime", "onnx": self.origin,
                "onnx_max_abs_diff_vs_torch": float(f"{self.max_abs_diff:.1e}")}


class _Req:
    """A fixed padding in spandrel's SizeRequirements shape (for :func:`_pad`)."""

    def __init__(self, pad_w: int, pad_h: int):
        self.pad = (pad_w, pad_h)

    def get_padding(self, width: int, height: int) -> tuple[int, int]:
        return self.pad


def _write_cache(weights: Path, data: bytes) -> str:
    path = onnx_path(weights)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        logger.info("ONNX export of %s not cached (%s); kept in memory", weights.name, exc)
        return "exported (models dir not writable)"
    return "exported"


# -- the choice --------------------------------------------------------------------------------


def wanted_runtime(arch: str, device: str) -> str:
    """The runtime a model of spandrel architecture ``arch`` should use on ``device``."""
    if device != "cpu":
        return "torch"
    setting = (gan_settings.UPSCALE_CPU_RUNTIME or "auto").lower()
    if setting == "auto":
        return CPU_RUNTIME.get(arch, "torch")
    if setting not in RUNTIMES:
        raise EngineError(f"Unknown WAGTAIL_GAN['UPSCALE_CPU_RUNTIME'] {setting!r}: use auto, "
                          f"{', '.join(RUNTIMES)}")
    return setting


def make_runner(desc, weights: Path, device: str):
    """The tile function for a loaded spandrel descriptor: onnxruntime where it is the wanted
    runtime and passes its check, else torch (with ``fallback`` saying why)."""
    wanted = wanted_runtime(desc.architecture.id, device)
    if wanted == "onnxruntime":
        try:
            return OnnxRunner.from_model(desc, weights)
        except RuntimeUnavailable as exc:
            logger.warning("%s: onnxruntime not used, torch instead: %s", Path(weights).name, exc)
            runner = TorchRunner(desc, device)
            runner.fallback = str(exc)
            return runner
    return TorchRunner(desc, device)


def prepare_onnx_cache(desc, weights: Path) -> str:
    """Export and check at install time, so the first run does not pay for it. Returns a
    one-line note (what happened, or why onnxruntime will not be used)."""
    if CPU_RUNTIME.get(desc.architecture.id) != "onnxruntime":
        return "torch runtime (no ONNX export needed)"
    try:
        runner = OnnxRunner.from_model(desc, weights, threads=1)
    except RuntimeUnavailable as exc:
        return f"onnxruntime not usable, torch will run it: {exc}"
    return (f"ONNX export {runner.origin} ({onnx_path(weights).name}), max abs diff vs torch "
            f"{runner.max_abs_diff:.1e}")
