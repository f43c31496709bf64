"""CycleGAN ResnetGenerator (junyanz/pytorch-CycleGAN-and-pix2pix layout) for winterize, vintage
and the painter styles. Released files may hold legacy InstanceNorm keys: they are dropped.
Generators trained with affine InstanceNorm (vintagify's: ``model.2.weight`` present, residual
blocks named ``block`` instead of ``conv_block``) load into the same layout.

Strength (blend with the input): the run's ``strength`` (0..1) when given, else the spec's
``params["strength"]`` (1..100, e.g. ``winterize-70``), else full strength."""

from __future__ import annotations

import re
from typing import Any

from PIL import Image

from wagtail_gan.conf import gan_settings

from .. import registry, runtime, tiling
from ..errors import EngineError, ModelNotInstalled
from .base import Backend, RunContext, install_hint

LEGACY_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")


def build_generator(ngf: int = 64, n_blocks: int = 9, affine: bool = False):
    """ResnetGenerator(3, 3, ngf, InstanceNorm2d(affine), no dropout, n_blocks, reflect): the
    same ``nn.Sequential`` indices as upstream, so its state dicts load unchanged."""
    from torch import nn

    def norm(c):
        return nn.InstanceNorm2d(c, affine=affine, track_running_stats=False)

    class ResnetBlock(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.conv_block = nn.Sequential(
                nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=True), norm(dim), nn.ReLU(True),
                nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=True), norm(dim),
            )

        def forward(self, x):
            return x + self.conv_block(x)

    layers = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7, bias=True), norm(ngf), nn.ReLU(True)]
    for i in range(2):
        mult = 2**i
        layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=True),
                   norm(ngf * mult * 2), nn.ReLU(True)]
    for _ in range(n_blocks):
        layers.append(ResnetBlock(ngf * 4))
    for i in range(2):
        mult = 2 ** (2 - i)
        layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1,
                                      output_padding=1, bias=True),
                   norm(ngf * mult // 2), nn.ReLU(True)]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]

    class ResnetGenerator(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = nn.Sequential(*layers)

        def forward(self, x):
            return self.model(x)

    return ResnetGenerator()


def clean_state_dict(sd: dict) -> dict:
    """Drop legacy InstanceNorm keys and a ``module.`` prefix (DataParallel saves); residual
    blocks named ``block`` (vintagify) become upstream's ``conv_block``."""
    out = {}
    for key, value in sd.items():
        if key.startswith("module."):
            key = key[len("module."):]
        if key.rsplit(".", 1)[-1] in LEGACY_SUFFIXES:
            continue
        out[re.sub(r"^(model\.\d+)\.block\.", r"\1.conv_block.", key)] = value
    return out


def infer_config(sd: dict) -> tuple[int, int]:
    """(ngf, n_blocks) from a cleaned state dict (:func:`has_affine_norm` says the norm)."""
    try:
        ngf = int(sd["model.1.weight"].shape[0])
    except KeyError:
        raise EngineError("Not a CycleGAN ResnetGenerator state dict (no model.1.weight)") from None
    blocks = {int(m.group(1)) for k in sd if (m := re.match(r"model\.(\d+)\.conv_block\.", k))}
    return ngf, len(blocks)


def has_affine_norm(sd: dict) -> bool:
    """Whether the generator was trained with affine InstanceNorm (vintagify's was)."""
    return "model.2.weight" in sd


def load_state_dict_file(path) -> dict:
    path = str(path)
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path)
    import torch

    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise EngineError(f"Cannot load {path}: {type(exc).__name__}: {exc}") from None
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict):
        raise EngineError(f"{path} does not hold a state dict")
    return sd


def model_from_state_dict(sd: dict):
    sd = clean_state_dict(sd)
    ngf, n_blocks = infer_config(sd)
    net = build_generator(ngf, n_blocks, has_affine_norm(sd))
    try:
        net.load_state_dict(sd, strict=True)
    except RuntimeError as exc:
        raise EngineError(f"CycleGAN weights do not match the ResnetGenerator layout: "
                          f"{str(exc).splitlines()[0]}") from None
    return net.eval()


def not_installed_message(entry: registry.ModelEntry) -> str:
    if entry.installable_offline:
        return install_hint(entry)
    return (
        f"Model {entry.id!r} is not installed: run `manage.py gan_models install {entry.id}` "
        "(downloads from the CycleGAN authors' server; not available offline)"
    )


def load(entry: registry.ModelEntry, device: str):
    path = registry.weights_path(entry)
    if path is None:
        raise ModelNotInstalled(not_installed_message(entry))

    def loader():
        net = model_from_state_dict(load_state_dict_file(path))
        return net.to(device)

    st = path.stat()
    return runtime.cache.get(("cyclegan", entry.id, str(path), st.st_mtime, device), loader,
                             runtime.torch_module_bytes)


def run_model(net, img: Image.Image, *, device: str, progress=None, tile: int | None = None,
              overlap: int | None = None, runner=None) -> Image.Image:
    """Sides are padded (reflect) to a multiple of 4 and cropped back. Instance norm makes
    tiles see their own statistics, so tiles are 4x the SR tile size (1024 px by default):
    typical web images run in one piece and only huge inputs are tiled. ``runner`` (the
    onnxruntime tile function of :func:`onnx_runner`) replaces torch when given."""
    import torch
    import torch.nn.functional as F

    tile = gan_settings.TILE_SIZE * 4 if tile is None else tile
    overlap = gan_settings.TILE_OVERLAP * 4 if overlap is None else overlap
    x = runtime.pil_to_uint8_tensor(img)

    def call(piece):
        if runner is not None:
            return runner(piece)
        _, _, h, w = piece.shape
        ph, pw = (-h) % 4, (-w) % 4
        inp = piece * 2 - 1
        if ph or pw:
            mode = "reflect" if h > ph and w > pw else "replicate"
            inp = F.pad(inp, (0, pw, 0, ph), mode=mode)
        with torch.inference_mode():
            y = net(inp.to(device))
        return ((y[:, :, :h, :w] + 1) / 2).clamp(0, 1)

    arr = tiling.run_tiled_with_oom_retry(call, x, scale=1, tile=tile, overlap=overlap,
                                           progress=progress, device=device)
    return runtime.array_to_pil(arr)


class _Unit:
    """The generator as a [0, 1] -> [0, 1] model with spandrel's descriptor attributes, so the
    super-resolution runtime's ONNX export, check and cache (``sr_runtime.OnnxRunner``) serve
    it unchanged."""

    scale = 1

    def __init__(self, net):
        from types import SimpleNamespace

        from torch import nn

        class Unit(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = net

            def forward(self, x):
                return (self.net(x * 2 - 1) + 1) / 2

        self.model = Unit().eval()
        self.architecture = SimpleNamespace(id=ARCH)
        self.size_requirements = SimpleNamespace(square=False, multiple_of=4, minimum=4)


ARCH = "CycleGAN"


def onnx_runner(entry: registry.ModelEntry, device: str):
    """(runner, note): the onnxruntime tile function for ``entry`` on a CPU when that is the
    wanted runtime (``sr_runtime.CPU_RUNTIME``: measured 0.56-0.64x torch's time in
    ``benchmarks/bench_edits.py``), exported and checked against torch on first use and cached
    beside the weights; (None, why) otherwise (torch runs it)."""
    from .sr_runtime import OnnxRunner, RuntimeUnavailable, wanted_runtime

    if device != "cpu" or wanted_runtime(ARCH, device) != "onnxruntime":
        return None, ""
    path = registry.weights_path(entry)
    if path is None:
        raise ModelNotInstalled(not_installed_message(entry))

    def loader():
        try:
            return OnnxRunner.from_cache(path) or OnnxRunner.from_model(
                _Unit(load(entry, "cpu")), path), ""
        except RuntimeUnavailable as exc:
            return None, str(exc)

    st = path.stat()
    return runtime.cache.get(("cyclegan-onnx", entry.id, str(path), st.st_mtime,
                              gan_settings.UPSCALE_CPU_RUNTIME), loader, lambda r: st.st_size)


def prepare_onnx(path) -> str:
    """The CPU runtime's ONNX export of an installed generator file, made and checked now
    (install time), so the first run does not pay for it. Never fails: says what happened."""
    from .sr_runtime import CPU_RUNTIME, OnnxRunner, RuntimeUnavailable, onnx_path

    if CPU_RUNTIME.get(ARCH) != "onnxruntime":
        return "torch runtime (no ONNX export needed)"
    try:
        net = model_from_state_dict(load_state_dict_file(path))
        runner = OnnxRunner.from_model(_Unit(net), path, threads=1)
    except (RuntimeUnavailable, EngineError) as exc:
        return f"onnxruntime not usable, torch will run it: {exc}"
    return (f"ONNX export {runner.origin} ({onnx_path(path).name}), max abs diff vs torch "
            f"{runner.max_abs_diff:.1e}")


def translate(img: Image.Image, entry: registry.ModelEntry, *, device: str, strength: float = 1.0,
              progress=None):
    runner, fallback = onnx_runner(entry, device)
    net = load(entry, device) if runner is None else None
    small = None
    if min(img.size) < 4:  # reflect padding needs a few pixels: work on an enlarged copy
        small = img.size
        img = img.resize((max(4, img.width), max(4, img.height)), Image.Resampling.NEAREST)
    out = run_model(net, img, device=device, progress=progress, runner=runner)
    if small:
        out = out.resize(small, Image.Resampling.LANCZOS)
        img = img.resize(small, Image.Resampling.LANCZOS)
    if strength < 1.0:
        out = Image.blend(img.convert("RGB"), out, strength)
    extra: dict[str, Any] = {"strength": round(strength, 4)}
    extra.update(runner.describe() if runner is not None else {"runtime": "torch"})
    if fallback:
        extra["runtime_fallback"] = fallback
    return out, extra


class CycleGANBackend(Backend):
    family = "cyclegan"

    def not_installed_message(self, entry: registry.ModelEntry) -> str:
        return not_installed_message(entry)

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        return translate(rgb, entry, device=ctx.device, strength=ctx.blend_strength(params),
                         progress=ctx.progress)
