"""The invisible watermark: round trips through JPEG q75, resized copies, false positives."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data

from wagtail_gan.provenance import watermark
from wagtail_gan.provenance.watermark import Payload

pytestmark = pytest.mark.ml


@pytest.fixture(scope="module")
def photo():
    return Image.fromarray(data.astronaut())  # 512x512, public domain (NASA)


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf)


def psnr(a: Image.Image, b: Image.Image) -> float:
    x = np.asarray(a.convert("RGB"), dtype=float)
    y = np.asarray(b.convert("RGB"), dtype=float)
    return float(10 * np.log10(255**2 / np.mean((x - y) ** 2)))


def test_payload_bytes_round_trip_and_crc():
    p = Payload(watermark.KIND_JOB_OUTPUT, 4_000_000_000, 17)
    raw = p.to_bytes()
    assert len(raw) * 8 == watermark.PAYLOAD_BITS
    assert Payload.from_bytes(raw) == p
    for i in range(len(raw)):  # any flipped byte is rejected (magic or CRC)
        broken = bytearray(raw)
        broken[i] ^= 0x10
        assert Payload.from_bytes(bytes(broken)) is None
    with pytest.raises(ValueError):
        Payload(watermark.KIND_JOB_OUTPUT, 2**32)
    with pytest.raises(ValueError):
        Payload(watermark.KIND_JOB_OUTPUT, 1, 32)


@pytest.mark.parametrize("quality", [95, 85, 75, 60])
def test_round_trip_through_jpeg(photo, quality):
    p = Payload(watermark.KIND_JOB_OUTPUT, 123456, 3)
    marked = watermark.embed(photo, p)
    assert marked.size == photo.size
    assert psnr(photo, marked) > 42  # invisible: about 44.4 dB on this photo
    found = watermark.decode(jpeg(marked, quality))
    assert found.payload == p
    assert found.confidence > 0.75


def test_unmarked_and_other_payloads_are_not_mistaken(photo):
    assert watermark.decode(photo).payload is None
    assert watermark.decode(jpeg(photo, 75)).payload is None
    a = watermark.embed(photo, Payload(watermark.KIND_JOB_OUTPUT, 1, 0))
    b = watermark.embed(photo, Payload(watermark.KIND_RENDITION, 2, 5))
    assert watermark.decode(a).payload == Payload(watermark.KIND_JOB_OUTPUT, 1, 0)
    assert watermark.decode(b).payload == Payload(watermark.KIND_RENDITION, 2, 5)


def test_resized_copy_is_found_only_with_the_original_size(photo):
    p = Payload(watermark.KIND_JOB_OUTPUT, 99, 0)
    marked = watermark.embed(photo, p)
    small = jpeg(marked.resize((384, 384), Image.Resampling.LANCZOS), 90)
    assert watermark.decode(small).payload is None  # the block grid no longer lines up
    found = watermark.decode(small, candidate_sizes=[(640, 480), (300, 300), (512, 512)])
    assert found.payload == p and found.size == (512, 512)


def test_alpha_is_kept_and_small_images_refused(photo):
    rgba = photo.convert("RGBA")
    rgba.putalpha(128)
    marked = watermark.embed(rgba, Payload(watermark.KIND_JOB_OUTPUT, 5, 1))
    assert marked.mode == "RGBA" and marked.getchannel("A").getextrema() == (128, 128)
    assert watermark.decode(marked).payload == Payload(watermark.KIND_JOB_OUTPUT, 5, 1)
    with pytest.raises(watermark.WatermarkError, match="too small"):
        watermark.embed(photo.resize((40, 20)), Payload(watermark.KIND_JOB_OUTPUT, 5))
    assert watermark.decode(photo.resize((20, 20))).payload is None


@pytest.mark.slow
def test_reference_decoder_reads_our_mark(photo):
    """invisible-watermark's own dwtDctSvd decoder reads what we embed (luma, scale 30)."""
    pytest.importorskip("imwatermark")
    cv2 = pytest.importorskip("cv2")
    from imwatermark import WatermarkDecoder  # noqa: PLC0415 - optional: skipped above without it

    p = Payload(watermark.KIND_JOB_OUTPUT, 777, 2)
    marked = np.asarray(watermark.embed(photo, p))
    bgr = cv2.cvtColor(marked, cv2.COLOR_RGB2BGR)
    assert WatermarkDecoder("bytes", 64).decode(bgr, "dwtDctSvd", scales=[30, 0, 0]) == p.to_bytes()
