"""Frame interpolation with RIFE (Practical-RIFE 4.6 IFNet, MIT): the in-between frames of
``gan_video`` and video jobs.

The network is IFNet as released in Practical-RIFE v4.6 (``train_log/IFNet_HDv3.py``): four
IFBlocks (192/128/96/64 channels, 8 residual convs each) refining a bidirectional flow and a
fusion mask from 1/8 to full resolution (``scale_list = [8, 4, 2, 1] / scale``), then both
frames are backward-warped and blended. Module names match the released ``flownet.pkl``, so
its state dict loads unchanged (a DDP ``module.`` prefix is stripped).

Frames are padded (right/bottom) to a multiple of ``max(128, 128 / scale)`` like upstream's
``inference_video.py``, and cropped back. There is no spatial tiling: the flow needs the
whole frame; instead, frames above ``UHD_PIXELS`` run at ``scale`` 0.5 (upstream's ``--UHD``),
which quarters the flow network's memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from .. import registry, runtime
from ..errors import EngineError, ModelNotInstalled
from .base import Backend, RunContext, install_hint

UHD_PIXELS = 1920 * 1088
SCALES = (0.25, 0.5, 1.0, 2.0, 4.0)


def pad_multiple(scale: float) -> int:
    return max(128, int(128 / scale))


def build_ifnet():
    """IFNet (Practical-RIFE v4.6) with the released module names."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    def conv(cin, cout, k=3, stride=1, padding=1):
        return nn.Sequential(nn.Conv2d(cin, cout, k, stride, padding, bias=True),
                             nn.LeakyReLU(0.2, True))

    class ResConv(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv = nn.Conv2d(c, c, 3, 1, 1)
            self.beta = nn.Parameter(torch.ones((1, c, 1, 1)))
            self.relu = nn.LeakyReLU(0.2, True)

        def forward(self, x):
            return self.relu(self.conv(x) * self.beta + x)

    class IFBlock(nn.Module):
        def __init__(self, cin, c):
            super().__init__()
            self.conv0 = nn.Sequential(conv(cin, c // 2, 3, 2, 1), conv(c // 2, c, 3, 2, 1))
            self.convblock = nn.Sequential(*[ResConv(c) for _ in range(8)])
            self.lastconv = nn.Sequential(nn.ConvTranspose2d(c, 4 * 6, 4, 2, 1),
                                          nn.PixelShuffle(2))

        def forward(self, x, flow, scale):
            x = F.interpolate(x, scale_factor=1.0 / scale, mode="bilinear", align_corners=False)
            if flow is not None:
                flow = F.interpolate(flow, scale_factor=1.0 / scale, mode="bilinear",
                                     align_corners=False) / scale
                x = torch.cat((x, flow), 1)
            tmp = self.lastconv(self.convblock(self.conv0(x)))
            tmp = F.interpolate(tmp, scale_factor=scale, mode="bilinear", align_corners=False)
            return tmp[:, :4] * scale, tmp[:, 4:5]

    grids: dict[Any, Any] = {}

    def warp(img, flow):
        key = (str(flow.device), tuple(flow.shape), flow.dtype)
        if key not in grids:
            n, _, h, w = flow.shape
            horizontal = torch.linspace(-1.0, 1.0, w, device=flow.device, dtype=flow.dtype)
            vertical = torch.linspace(-1.0, 1.0, h, device=flow.device, dtype=flow.dtype)
            grids[key] = torch.cat([horizontal.view(1, 1, 1, w).expand(n, -1, h, -1),
                                    vertical.view(1, 1, h, 1).expand(n, -1, -1, w)], 1)
        flow = torch.cat([flow[:, 0:1] / ((img.shape[3] - 1.0) / 2.0),
                          flow[:, 1:2] / ((img.shape[2] - 1.0) / 2.0)], 1)
        grid = (grids[key] + flow).permute(0, 2, 3, 1)
        return F.grid_sample(img, grid, mode="bilinear", padding_mode="border",
                             align_corners=True)

    class IFNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.block0 = IFBlock(7, c=192)
            self.block1 = IFBlock(8 + 4, c=128)
            self.block2 = IFBlock(8 + 4, c=96)
            self.block3 = IFBlock(8 + 4, c=64)

        def forward(self, img0, img1, timestep, scale: float = 1.0):
            scales = [8 / scale, 4 / scale, 2 / scale, 1 / scale]
            blocks = [self.block0, self.block1, self.block2, self.block3]
            flow = mask = None
            warped0, warped1 = img0, img1
            for block, s in zip(blocks, scales, strict=True):
                if flow is None:
                    flow, mask = block(torch.cat((img0, img1, timestep), 1), None, s)
                else:
                    f, m = block(torch.cat((warped0, warped1, timestep, mask), 1), flow, s)
                    flow, mask = flow + f, mask + m
                warped0 = warp(img0, flow[:, :2])
                warped1 = warp(img1, flow[:, 2:4])
            mask = torch.sigmoid(mask)
            return warped0 * mask + warped1 * (1 - mask)

    return IFNet()


def clean_state_dict(sd: dict) -> dict:
    """A released ``flownet.pkl`` (possibly saved from DistributedDataParallel) as IFNet keys."""
    if any(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items() if k.startswith("module.")}
    return sd


def load(entry: registry.ModelEntry, device: str):
    path = registry.weights_path(entry)
    if path is None:
        raise ModelNotInstalled(install_hint(entry))
    if path.is_dir():
        path = path / (entry.filename or "flownet.pkl")

    def loader():
        import torch

        try:
            sd = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:
            raise EngineError(f"Cannot load {path.name}: {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
        if isinstance(sd, dict) and "state_dict" in sd:
            sd = sd["state_dict"]
        model = build_ifnet()
        try:
            model.load_state_dict(clean_state_dict(sd), strict=True)
        except RuntimeError as exc:
            raise EngineError(f"{path.name} is not a RIFE 4.6 IFNet state dict "
                              f"({str(exc).splitlines()[0]})") from None
        model.eval().to(device)
        return model

    st = path.stat()
    key = ("rife", entry.id, str(path), st.st_mtime, device)
    return runtime.cache.get(key, loader, runtime.torch_module_bytes)


class Interpolator:
    """In-betweens of consecutive frame pairs; the padded tensor of the last frame is kept,
    so a video's frames are converted once each."""

    def __init__(self, model, device: str, scale: float | None = None):
        self.model = model
        self.device = device
        self.scale = scale
        self._cache: tuple[int, Any] | None = None

    def _tensor(self, arr: np.ndarray):
        import torch
        import torch.nn.functional as F

        if self._cache is not None and self._cache[0] is arr:
            return self._cache[1]
        h, w = arr.shape[:2]
        mult = pad_multiple(self._scale(h, w))
        ph, pw = -(-h // mult) * mult, -(-w // mult) * mult
        x = torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1))).to(self.device)
        x = x[None].float() / 255.0
        return F.pad(x, (0, pw - w, 0, ph - h))

    def _scale(self, h: int, w: int) -> float:
        if self.scale is not None:
            return self.scale
        return 0.5 if h * w > UHD_PIXELS else 1.0

    def between(self, a: np.ndarray, b: np.ndarray, times: list[float]) -> list[np.ndarray]:
        """Frames at fractions ``times`` (0 < t < 1) from ``a`` to ``b`` (HxWx3 uint8 RGB)."""
        import torch

        if a.shape != b.shape:
            raise EngineError("Frames to interpolate must have the same size")
        h, w = a.shape[:2]
        scale = self._scale(h, w)
        x0, x1 = self._tensor(a), self._tensor(b)
        self._cache = (b, x1)
        out = []
        with torch.inference_mode():
            for t in times:
                ts = torch.full((1, 1, x0.shape[2], x0.shape[3]), float(t), device=x0.device)
                mid = self.model(x0, x1, ts, scale)[0, :, :h, :w]
                mid = (mid.clamp(0, 1) * 255.0 + 0.5).to(torch.uint8)
                out.append(mid.permute(1, 2, 0).cpu().numpy())
        return out


class RifeBackend(Backend):
    family = "rife"

    def run(self, entry: registry.ModelEntry, rgb: Image.Image, *, params: dict[str, Any],
            ctx: RunContext) -> tuple[Image.Image, dict[str, Any]]:
        raise EngineError(f"{entry.id!r} interpolates between two frames: use "
                          "`manage.py gan_video` or a video job, not an image operation")

    def interpolator(self, entry: registry.ModelEntry, *, device: str,
                     params: dict[str, Any] | None = None) -> Interpolator:
        scale = (params or {}).get("scale", entry.defaults.get("scale"))
        if scale is not None and float(scale) not in SCALES:
            raise EngineError(f"RIFE scale must be one of {SCALES}")
        return Interpolator(load(entry, device), device,
                            float(scale) if scale is not None else None)
