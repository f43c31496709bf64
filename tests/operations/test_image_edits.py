"""removebg, erase, expand, restore: grammar (parse/format round trip, clear errors), the
API's catalog, rendition filters (web-mode fallback + job, worker on the dummy backend), the
editor/API route of erase's rectangles and expand, and gan_run."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image
from rest_framework.test import APIClient
from wagtail.images.exceptions import InvalidFilterSpecError

from tests.models_zoo.fixtures import photo
from wagtail_gan.jobs.outputs import delete_outputs
from wagtail_gan.jobs.worker import run_generation_job
from wagtail_gan.models import GenerationJob, RenditionJob
from wagtail_gan.models_zoo import engine
from wagtail_gan.operations import InvalidSpec, parse_spec
from wagtail_gan.operations.erase import clean_mask
from wagtail_gan.renditions import worker

NEW = ("removebg", "erase", "expand", "restore")


@pytest.mark.parametrize("text, canonical, params", [
    ("removebg", "removebg", {}),
    ("removebg-FFF", "removebg-ffffff", {"background": "ffffff"}),
    ("removebg-1a2b3c", "removebg-1a2b3c", {"background": "1a2b3c"}),
    ("erase", "erase", {}),
    ("erase-10.20.100.80-0.0.5.5", "erase-10.20.100.80-0.0.5.5",
     {"rects": [[10, 20, 100, 80], [0, 0, 5, 5]]}),
    ("expand-16x9", "expand-16x9", {"ratio": [16, 9]}),
    ("expand-square", "expand-square", {"ratio": [1, 1]}),
    ("expand-8x6", "expand-4x3", {"ratio": [4, 3]}),
    ("expand-bottom5-left200", "expand-left200-bottom5", {"left": 200, "bottom": 5}),
    ("restore", "restore", {"strength": 100}),
    ("restore-40", "restore-40", {"strength": 40}),
])
def test_grammar_round_trips(text, canonical, params):
    spec = parse_spec(text)
    assert (spec.text, spec.params) == (canonical, params)
    assert parse_spec(spec.text) == spec


@pytest.mark.parametrize("text, hint", [
    ("removebg-xyz", "hex"), ("removebg-fff-000", "hex"),
    ("erase-1.2.3", "x>.<y>"), ("erase-1.2.0.4", "x>.<y>"), ("erase-" + "-".join(["1.1.1.1"] * 17), "at most 16"),
    ("expand", "aspect ratio"), ("expand-0x3", "aspect ratio"), ("expand-left0", "at least one"),
    ("expand-left5-left6", "Bad expand"), ("expand-left9999", "Bad expand"),
    ("restore-0", "1..100"), ("restore-②", "1..100"),
])
def test_bad_specs_say_what_is_valid(text, hint):
    with pytest.raises(InvalidSpec, match=hint.replace(".", r"\.")):
        parse_spec(text)


def test_clean_mask_accepts_the_documented_shapes_and_refuses_others():
    ok = clean_mask({"rects": [[1, 2, 3, 4]], "strokes": [{"points": [[1, 1]], "radius": 3}],
                     "size": [100, 80], "grow": 2})
    assert ok["rects"] == [[1, 2, 3, 4]] and ok["grow"] == 2
    for bad, hint in (({}, "object"), ({"rects": []}, "empty"), ({"foo": 1}, "unknown"),
                      ({"rects": [[1, 2, 3]]}, "rect"), ({"png": "notbase64!"}, "base64"),
                      ({"png": "aGVsbG8="}, "not a PNG"), ({"rects": [[0, 0, 0, 5]]}, "width")):
        with pytest.raises(InvalidSpec, match=hint):
            clean_mask(bad)


def test_filters_and_variants_are_declared():
    flags = {name: (parse_spec(name if name != "expand" else "expand-square").op.filter)
             for name in NEW}
    assert flags == {"removebg": True, "erase": False, "expand": True, "restore": True}


@pytest.mark.django_db
def test_listed_by_the_api(dummy_models, gan_world):
    api = APIClient()
    api.force_authenticate(gan_world.admin)
    response = api.get("/api/gan/operations/")
    assert response.status_code == 200
    listed = {o["name"]: o for o in response.json()["operations"]}
    for name in NEW:
        assert listed[name]["available"] and listed[name]["variant"], name
        assert listed[name]["specs"] and listed[name]["synopsis"], name
    assert listed["erase"]["rendition_filter"] is False
    assert "expand-16x9" in listed["expand"]["specs"]
    assert "removebg-<hex colour>" in listed["removebg"]["specs"]


@pytest.mark.django_db
@pytest.mark.parametrize("spec, size", [
    ("removebg", (64, 48)), ("restore-50", (64, 48)), ("expand-16x9", (86, 48)),
    ("expand-square", (64, 64)), ("expand-left10-top2", (74, 50)),
])
def test_renders_as_a_filter_then_the_worker_runs_it(dummy_models, make_image, spec, size):
    image = make_image(width=64, height=48)
    rendition = image.get_rendition(spec)
    assert (rendition.width, rendition.height) == size  # the fallback has the output size
    job = RenditionJob.objects.get()
    assert job.filter_spec == spec
    assert worker.run_rendition_job(job.pk).status == "done"
    job.refresh_from_db()
    assert job.model_id in ("dummy_removebg", "dummy_restore", "dummy_inpaint")


@pytest.mark.django_db
def test_expand_fallback_is_mirrored_blurred_edges_around_the_original(dummy_models,
                                                                       make_image):
    image = make_image(width=64, height=48)
    rendition = image.get_rendition("expand-left10-top2")
    with rendition.file.open() as fh:
        out = np.asarray(Image.open(fh).convert("RGB"), dtype=np.int16)
    with image.open_file() as fh:
        src = np.asarray(Image.open(fh).convert("RGB"), dtype=np.int16)
    assert np.abs(out[2:, 10:] - src).max() <= 2  # PNG round trip of the original pixels
    # the border continues the picture (mirrored, blurred), it is not a flat colour
    assert out[10:40, 0:8].std() > 1 and np.abs(out[20, 9] - src[18, 0]).max() < 40


@pytest.mark.django_db
def test_erase_is_not_a_filter(dummy_models, make_image):
    with pytest.raises(InvalidFilterSpecError):
        make_image().get_rendition("erase-1.1.5.5")


@pytest.mark.django_db
def test_erase_rectangles_travel_through_the_api_and_provenance(dummy_models, gan_world):
    api = APIClient()
    api.force_authenticate(gan_world.admin)
    response = api.post("/api/gan/variants/", {"image": gan_world.image.pk,
                                                "operation": "erase-2.2.10.10"}, format="json")
    assert response.status_code == 202, response.content
    job = GenerationJob.objects.get(pk=response.json()["id"])
    run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.operation == "erase-2.2.10.10" and job.model_id == "dummy_inpaint"
    assert job.params.get("rects") == [[2, 2, 10, 10]]  # the engine's params are recorded
    delete_outputs([o["name"] for o in job.outputs])


@pytest.mark.ml
@pytest.mark.parametrize("spec", ["erase-2.2.10.10", "expand-square", "removebg-fff",
                                  "restore-70"])
def test_gan_run_runs_them(settings, dummy_models, tmp_path, spec):
    photo(40, 32).save(tmp_path / "in.png")
    call_command("gan_run", "--spec", spec, str(tmp_path / "in.png"), str(tmp_path / "out.png"))
    assert Image.open(tmp_path / "out.png").size == (40, 32)  # the dummy keeps the size


@pytest.mark.ml
@pytest.mark.parametrize("spec, model, offline", [("removebg", "isnet_general_use", True),
                                                  ("restore", "waifu2x_cunet", True),
                                                  ("big_lama", "big_lama", False)])
def test_missing_model_is_one_line_naming_the_install_command(settings, tmp_path, spec, model,
                                                              offline):
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "none")}
    photo(40, 32).save(tmp_path / "in.png")
    if spec == "big_lama":  # erase/expand fall back to the classical engine: ask for LaMa
        with pytest.raises(engine.ModelNotInstalled) as info:
            engine.run("big_lama", photo(40, 32), params={"rects": [[1, 1, 4, 4]]})
    else:
        with pytest.raises(CommandError) as info:
            call_command("gan_run", "--spec", spec, str(tmp_path / "in.png"),
                         str(tmp_path / "out.png"))
    assert str(info.value) == (f"Model {model!r} is not installed: run "
                               f"`manage.py gan_models install {model}`"
                               + (" (works offline)" if offline else ""))


@pytest.mark.ml
@pytest.mark.parametrize("spec, size", [("erase-1.1.4.4", (40, 32)), ("expand-16x9", (57, 32))])
def test_erase_and_expand_run_the_classical_engine_without_lama(settings, tmp_path, spec, size):
    settings.WAGTAIL_GAN = {**settings.WAGTAIL_GAN, "MODELS_DIR": str(tmp_path / "none")}
    parsed = parse_spec(spec)
    assert parsed.available  # the classical engine stands in for LaMa
    result = engine.run(parsed.model_key, photo(40, 32), params=parsed.params)
    assert result.model_id == "opencv_telea" and result.image.size == size
    assert result.params["engine"].startswith("classical, not AI: OpenCV")
