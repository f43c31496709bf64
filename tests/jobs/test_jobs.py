"""The job service layer: validation, permissions, idempotency, keep/discard/cancel, status."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from huey.contrib.djhuey import HUEY
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.utils.file import hash_filelike

from tests.conftest import DUMMY_MODELS, gan_models_override
from tests.gan_admin_fixtures import write_pending_output
from tests.utils import gan_override, wait_for
from wagtail_gan import jobs
from wagtail_gan.jobs import worker as job_worker
from wagtail_gan.jobs.outputs import pending_storage
from wagtail_gan.models import GenerationJob, Variant

pytestmark = pytest.mark.django_db


def storage():
    return pending_storage()


def test_submit_variant_creates_and_enqueues(gan_world, django_capture_on_commit_callbacks):
    HUEY.flush()
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                      operation="upscale-4x", seed=5)
    job.refresh_from_db()
    assert job.status == "queued" and job.kind == "variant"
    assert job.operation == "upscale-4x" and job.params == {"scale": 4}
    assert job.collection == gan_world.team and job.user == gan_world.editor
    assert job.task_id
    pending = HUEY.pending()
    assert [t.id for t in pending] == [job.task_id]
    assert pending[0].priority == 100 and pending[0].args == (job.pk,)
    assert pending[0].name.endswith("generate_variant")
    HUEY.flush()


def test_instruction_is_interpreted_and_can_be_overridden(gan_world):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  instruction="add some snow")
    assert job.operation == "winterize-50"
    assert job.interpretation["operation"] == "winterize"
    assert job.instruction == "add some snow"
    # the editor changed the interpretation before running
    job2 = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                   instruction="add some snow", operation="stylize-3")
    assert job2.operation == "stylize-3"
    assert job2.interpretation["overridden_by"] == "stylize-3"
    edit = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                   instruction="make the sky <script>pink</script>")
    assert edit.operation == "edit"
    assert edit.params["prompt"] == "make the sky <script>pink</script>"


def test_strength_and_winterize_strength(gan_world):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="winterize", strength=0.3)
    assert job.operation == "winterize-30" and job.params == {"strength": 30}
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="stylize-2", strength="0.5")
    assert job.params == {"styles": [2], "strength": 0.5}


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"operation": "explode"}, "operation", "Valid operations"),
        ({"operation": "upscale-3x"}, "operation", "upscale takes 2x, 4x"),
        ({}, "operation", "Choose an operation"),
        ({"operation": "edit"}, "instruction", "needs an instruction"),
        ({"operation": "generate"}, "operation", "Generate new image"),
        ({"instruction": "x" * 501}, "instruction", "limit is 500"),
        ({"operation": "upscale-2x", "seed": "abc"}, "seed", "whole number"),
        ({"operation": "upscale-2x", "seed": -1}, "seed", "between 0"),
        ({"operation": "upscale-2x", "strength": 3}, "strength", "at most 1"),
        ({"operation": "stylize-image999999"}, "operation", "No image 999999 that you can see"),
    ],
)
def test_bad_input_is_a_job_error_and_creates_nothing(gan_world, kwargs, field, message):
    with pytest.raises(jobs.JobError, match=message) as excinfo:
        jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image, **kwargs)
    assert excinfo.value.field == field
    assert GenerationJob.objects.count() == 0


def test_disabled_operation_is_refused(gan_world, settings):
    with override_settings(WAGTAIL_GAN={**settings.WAGTAIL_GAN, "ENABLED_OPERATIONS": ["upscale"]}):
        with pytest.raises(jobs.JobError, match="not enabled"):
            jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                    operation="winterize")
        assert jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                       operation="upscale-2x").pk


def test_permissions_refuse_without_creating_a_job(gan_world):
    w = gan_world
    # viewer may only choose Team images: no variants of them
    with pytest.raises(PermissionDenied):
        jobs.submit_variant_job(user=w.viewer, image=w.image, operation="upscale-2x")
    # editor may not change images in Stock
    with pytest.raises(PermissionDenied):
        jobs.submit_variant_job(user=w.editor, image=w.stock_image, operation="upscale-2x")
    # editor may not add into Stock
    with pytest.raises(PermissionDenied):
        jobs.submit_variant_job(user=w.editor, image=w.image, operation="upscale-2x",
                                collection=w.stock)
    # editor may not use a style image they cannot see: said exactly like a missing one
    with pytest.raises(jobs.JobError) as hidden:
        jobs.submit_variant_job(user=w.editor, image=w.image,
                                operation=f"stylize-image{w.stock_image.pk}")
    missing_pk = w.stock_image.pk + 1000
    with pytest.raises(jobs.JobError) as missing:
        jobs.submit_variant_job(user=w.editor, image=w.image,
                                operation=f"stylize-image{missing_pk}")
    assert not isinstance(hidden.value, PermissionDenied)
    assert (hidden.value.field, str(hidden.value).replace(str(w.stock_image.pk), "ID")) == (
        missing.value.field, str(missing.value).replace(str(missing_pk), "ID"))
    with pytest.raises(PermissionDenied):
        jobs.submit_generate_job(user=w.editor, prompt="a cat", collection=w.stock)
    with pytest.raises(PermissionDenied):
        jobs.submit_variant_job(user=AnonymousUser(), image=w.image, operation="upscale-2x")
    assert GenerationJob.objects.count() == 0
    # the superuser may do all of it
    assert jobs.submit_variant_job(user=w.admin, image=w.stock_image, operation="upscale-2x",
                                   collection=w.team).pk


def test_protected_collection(gan_world):
    with override_settings(WAGTAIL_GAN={"PROTECTED_COLLECTIONS": ["team"]}):
        with pytest.raises(jobs.JobError, match="may not be used as sources"):
            jobs.submit_variant_job(user=gan_world.admin, image=gan_world.image,
                                    operation="upscale-2x")
    assert GenerationJob.objects.count() == 0


def test_idempotency_key_returns_the_same_job(gan_world):
    a = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                operation="upscale-2x", idempotency_key="k1")
    b = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                operation=" upscale-2x ", idempotency_key="k1")
    c = jobs.submit_variant_job(user=gan_world.admin, image=gan_world.image,
                                operation="upscale-2x", idempotency_key="k1")
    assert a.pk == b.pk != c.pk
    assert (a.replayed, b.replayed, c.replayed) == (False, True, False)
    assert GenerationJob.objects.count() == 2


@pytest.mark.parametrize("change", [
    {"operation": "upscale-4x"}, {"operation": None, "instruction": "upscale 2x"},
    {"seed": 5}, {"strength": 0.5}, {"collection": "stock"},
])
def test_idempotency_key_with_a_different_request_is_refused(gan_world, change):
    base = {"operation": "upscale-2x", "seed": None, "strength": None, "collection": None}
    jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image, idempotency_key="k",
                            **base)
    if change.get("collection") == "stock":
        change = {"collection": gan_world.stock}
    with pytest.raises(jobs.IdempotencyConflict):
        jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                idempotency_key="k", **{**base, **change})
    assert GenerationJob.objects.count() == 1


def test_generate_job_validation(gan_world):
    job = jobs.submit_generate_job(user=gan_world.editor, prompt=" a red fox ",
                                   collection=gan_world.team, count=3, seed=1)
    assert (job.kind, job.operation, job.instruction, job.count) == ("generate", "generate",
                                                                     "a red fox", 3)
    for kwargs, message in [({"prompt": ""}, "Describe the image"),
                            ({"prompt": "x", "count": 5}, "1 to 4"),
                            ({"prompt": "x" * 600}, "limit is 500")]:
        with pytest.raises(jobs.JobError, match=message):
            jobs.submit_generate_job(user=gan_world.editor, collection=gan_world.team, **kwargs)


def test_cancel_only_queued_and_only_own(gan_world):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="upscale-2x")
    with pytest.raises(PermissionDenied):
        jobs.cancel_job(job, gan_world.viewer)
    assert jobs.cancel_job(job, gan_world.editor) is True
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert jobs.cancel_job(job, gan_world.editor) is False
    # a cancelled job is skipped by the worker
    job_worker.run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "cancelled" and not job.outputs


def test_keep_creates_image_with_provenance(gan_world, django_capture_on_commit_callbacks):
    w = gan_world
    w.image.focal_point_x, w.image.focal_point_y = 20, 10
    w.image.focal_point_width, w.image.focal_point_height = 4, 6
    w.image.save()
    job = jobs.submit_variant_job(user=w.editor, image=w.image, instruction="upscale 2x", seed=9)
    out = write_pending_output(job, width=80, height=60)
    assert storage().exists(out["name"]) and out["name"].startswith("gan_pending/")
    status = jobs.job_status(job)
    assert status["status"] == "succeeded" and status["outputs"][0]["width"] == 80

    with pytest.raises(PermissionDenied):
        jobs.keep_job(job, w.viewer)
    with django_capture_on_commit_callbacks(execute=True):
        kept = jobs.keep_job(job, w.editor)
    kept.refresh_from_db()
    assert kept.title == "Harbour — upscaled 2×"
    assert kept.collection == w.team
    assert (kept.width, kept.height) == (80, 60)
    assert (kept.focal_point_x, kept.focal_point_y) == (40, 20)
    assert (kept.focal_point_width, kept.focal_point_height) == (8, 12)
    assert sorted(t.name for t in kept.tags.all()) == ["ai-generated", "upscale"]
    assert kept.file_hash and kept.uploaded_by_user == w.editor
    with kept.open_file() as fh:  # the stored hash is the hash of the stored file
        assert kept.file_hash == hash_filelike(fh)
    variant = Variant.objects.get(image=kept)
    assert variant.source_image == w.image and variant.operation == "upscale-2x"
    assert variant.instruction == "upscale 2x" and variant.seed == 7
    assert variant.interpretation["operation"] == "upscale" and variant.user == w.editor
    assert not storage().exists(out["name"])
    job.refresh_from_db()
    assert job.result_image == kept and job.outputs == []
    assert jobs.keep_job(job, w.editor) == kept  # keeping twice is harmless
    # the source is untouched and provenance survives its deletion
    source_pk = w.image.pk
    w.image.delete()
    variant.refresh_from_db()
    assert variant.source_image is None and variant.source_image_pk == source_pk
    assert variant.source_title == "Harbour"


def test_discard_removes_pending_outputs(gan_world):
    before = get_image_model().objects.count()
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="winterize")
    out = write_pending_output(job)
    jobs.discard_job(job, gan_world.editor)
    job.refresh_from_db()
    assert job.outputs == [] and not storage().exists(out["name"])
    assert jobs.job_status(job)["discarded"] is True
    assert get_image_model().objects.count() == before
    with pytest.raises(jobs.JobError, match="no finished output"):
        jobs.keep_job(job, gan_world.editor)


def test_keep_one_candidate_of_a_generate_job(gan_world, django_capture_on_commit_callbacks):
    job = jobs.submit_generate_job(user=gan_world.editor, prompt="a lighthouse at dusk",
                                   collection=gan_world.team, count=2)
    a = write_pending_output(job, color=(0, 0, 200))
    b = write_pending_output(job, color=(0, 200, 0))
    with pytest.raises(jobs.JobError, match="between 0 and 1"):
        jobs.keep_job(job, gan_world.editor, index=5)
    with django_capture_on_commit_callbacks(execute=True):
        kept = jobs.keep_job(job, gan_world.editor, index=1)
    assert kept.title == "a lighthouse at dusk" and kept.collection == gan_world.team
    assert kept.gan_variant.source_image is None
    assert kept.gan_variant.params["candidate"] == 1
    assert not storage().exists(a["name"]) and not storage().exists(b["name"])
    with kept.open_file() as fh:
        assert PILImage.open(fh).convert("RGB").getpixel((5, 5))[1] > 150


def test_failed_job_status(gan_world):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="upscale-2x")
    GenerationJob.objects.filter(pk=job.pk).update(status="failed", error="Model not installed")
    job.refresh_from_db()
    status = jobs.job_status(job)
    assert status["finished"] and status["error"] == "Model not installed"
    assert status["outputs"] == []


# --------------------------------------------------------------------------- worker side

def test_worker_runs_a_real_stylize_and_never_touches_the_source(gan_world):
    w = gan_world
    source_name, source_hash = w.image.file.name, w.image.get_file_hash()
    job = jobs.submit_variant_job(user=w.editor, image=w.image, operation="stylize-3", seed=11)
    job_worker.run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.progress == 100 and job.started_at and job.finished_at
    assert job.model_id and len(job.model_sha256) == 64
    [out] = job.outputs
    assert out["name"].startswith("gan_pending/") and storage().exists(out["name"])
    assert (out["width"], out["height"]) == (40, 30)
    w.image.refresh_from_db()
    assert (w.image.file.name, w.image.get_file_hash()) == (source_name, source_hash)
    status = jobs.job_status(job)
    assert status["timings"]["run_seconds"] >= 0 and status["outputs"][0]["url"]
    # running it again is a no-op (the job is no longer queued)
    job_worker.run_generation_job(job.pk)
    job.refresh_from_db()
    assert len(job.outputs) == 1


def test_worker_style_of_another_image(gan_world):
    w = gan_world
    style = w.stock_image
    style.collection = w.team
    style.save()
    job = jobs.submit_variant_job(user=w.editor, image=w.image,
                                  operation=f"stylize-image{style.pk}", strength=0.8)
    job_worker.run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.params["style_image"] == style.pk and job.params["strength"] == 0.8


def test_worker_failure_is_reported_and_leaves_nothing(gan_world, tmp_path):
    w = gan_world
    job = jobs.submit_variant_job(user=w.editor, image=w.image, operation="stylize-1")
    # the limit lowered after submission: the worker refuses the run (submission checks it
    # too, see test_every_step_is_checked_against_the_pixel_limits_at_submission)
    with override_settings(WAGTAIL_GAN={"MODELS_DIR": str(tmp_path / "empty"),
                                        "MAX_INPUT_PIXELS": 100}):
        job_worker.run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.outputs == []
    assert "100" in job.error and "Unexpected" not in job.error
    assert jobs.job_status(job)["error"] == job.error


def test_auto_keep(gan_world):
    with override_settings(WAGTAIL_GAN={"AUTO_KEEP": True}):
        job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                      operation="stylize-5")
        job_worker.run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded" and job.result_image is not None
    assert job.result_image.title == "Harbour — ember style"
    assert job.result_image.gan_variant.model_id == job.model_id


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_variant_job_through_a_real_consumer(huey_consumer, gan_world):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  instruction="style 4")
    assert job.task_id

    def finished():
        job.refresh_from_db()
        return not job.is_active

    wait_for(finished, timeout=120, message=huey_consumer.log()[-2000:])
    assert job.status == "succeeded", job.error
    kept = jobs.keep_job(job, gan_world.editor)
    assert kept.gan_variant.operation == "stylize-4"


def test_an_instruction_with_several_steps_is_one_job(gan_world):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  instruction="upscale 2x and paint it like Monet",
                                  strength=0.8)
    # stylize first (cheaper on the small image), the strength applies where it can
    assert job.operation == "stylize-monet|upscale-2x"
    assert job.params == {"steps": [
        {"operation": "stylize-monet", "params": {"painter": "monet", "strength": 0.8}},
        {"operation": "upscale-2x", "params": {"scale": 2}},
    ]}
    assert [s["spec"] for s in job.interpretation["steps"]] == ["stylize-monet", "upscale-2x"]
    job_worker.run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert (job.outputs[0]["width"], job.outputs[0]["height"]) == (
        2 * gan_world.image.width, 2 * gan_world.image.height)
    assert job.model_id == "dummy_stylize+dummy_upscale_x2" and len(job.model_sha256) == 64
    assert [m["model_id"] for m in job.params["step_models"]] == ["dummy_stylize",
                                                                  "dummy_upscale_x2"]
    image = jobs.keep_job(job, gan_world.editor, 0)
    variant = image.gan_variant
    assert variant.operation == "stylize-monet|upscale-2x"
    assert [s["operation"] for s in variant.params["steps"]] == ["stylize-monet", "upscale-2x"]


def test_an_explicit_multi_step_spec_is_validated_step_by_step(gan_world):
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="winterize|stylize-3")
    assert job.operation == "winterize|stylize-3"
    for bad, message in [("winterize|generate", "Generate new image"),
                         ("winterize|stylize-99", "Unknown style"),
                         ("a|b|c|d|e", "At most 4 steps")]:
        with pytest.raises(jobs.JobError, match=message):
            jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image, operation=bad)


def test_erase_takes_a_mask_beside_its_spec(gan_world):
    mask = {"strokes": [{"points": [[3, 3], [10, 8]], "radius": 2}], "rects": [[0, 0, 4, 4]]}
    job = jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                  operation="erase", mask=mask)
    assert job.params["mask"]["strokes"][0]["radius"] == 2
    job_worker.run_generation_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    for kwargs, field, message in [
        ({"operation": "erase"}, "mask", "Mark the area to erase"),
        ({"operation": "erase", "mask": {"rects": "x"}}, "mask", "rects is a list"),
        ({"operation": "stylize-3", "mask": mask}, "mask", "only for operations that take it"),
    ]:
        with pytest.raises(jobs.JobError, match=message) as excinfo:
            jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image, **kwargs)
        assert excinfo.value.field == field
    # rectangles in the spec need no mask
    assert jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image,
                                   operation="erase-1.1.5.5").params == {"rects": [[1, 1, 5, 5]]}


def test_an_operation_whose_model_is_not_installed_creates_no_job(gan_world, settings):
    gan_models_override(settings, {"dummy_winterize": {**DUMMY_MODELS["dummy_winterize"],
                                                       "default_for": []}})
    for kwargs, field in [({"operation": "winterize"}, "operation"),
                          ({"instruction": "make it snowy"}, "instruction"),
                          ({"operation": "stylize-3|winterize"}, "operation")]:
        with pytest.raises(jobs.Unavailable, match="not installed") as excinfo:
            jobs.submit_variant_job(user=gan_world.editor, image=gan_world.image, **kwargs)
        assert excinfo.value.field == field
    assert GenerationJob.objects.count() == 0


def test_generate_whose_model_is_not_installed_creates_no_job(gan_world, settings):
    gan_models_override(settings, {"dummy_generate": {**DUMMY_MODELS["dummy_generate"],
                                                      "default_for": []}})
    with pytest.raises(jobs.Unavailable, match="not installed") as excinfo:
        jobs.submit_generate_job(user=gan_world.editor, prompt="a cat",
                                 collection=gan_world.team)
    assert excinfo.value.field == "prompt"
    assert "gan_models install" in str(excinfo.value)
    assert GenerationJob.objects.count() == 0


def test_pixel_limits_allow_for_the_sources_orientation(gan_world):
    # 40x30 (EXIF may turn it to 30x40): expand-4x1 makes 120x30 = 3,600 or 160x40 = 6,400
    w = gan_world
    with gan_override(MAX_OUTPUT_PIXELS=5_000):
        job = jobs.submit_variant_job(user=w.editor, image=w.image, operation="expand-4x1")
        assert job.operation == "expand-4x1"  # within the limit one way round: the worker decides
    with gan_override(MAX_OUTPUT_PIXELS=3_000):
        with pytest.raises(jobs.JobError, match="would make a 120x30 image") as excinfo:
            jobs.submit_variant_job(user=w.editor, image=w.image, operation="expand-4x1")
    assert excinfo.value.field == "operation"
    assert GenerationJob.objects.count() == 1

