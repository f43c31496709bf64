"""C2PA on MP4 outputs, checked with c2pa-python's own Reader: a signed video job's file has a
manifest that validates, is trusted with the dev root (``gan_c2pa_devcert``), names its
sources as ingredients (the video; every still of a clip) and the AI step as an action; a
changed byte in the picture data breaks it; the signed file still plays."""

from __future__ import annotations

import pytest
from wagtailmedia.models import get_media_model

from tests.provenance.helpers import COMPOSITE, signing
from tests.video.helpers import decoded
from wagtail_gan.video.submit import submit_interpolate_job, submit_stills_job
from wagtail_gan.video.worker import run_video_job

c2pa_lib = pytest.importorskip("c2pa")
pytestmark = pytest.mark.ml


def read(path, devcert=None):
    """(validation state, active manifest, failure codes) as c2pa-python's Reader sees the
    file, trusting the dev root when ``devcert`` is given."""
    options = {"verify": {"verify_trust": True}}
    if devcert is not None:
        options["trust"] = {"trust_anchors": devcert["ca.pem"].read_text()}
    with c2pa_lib.Context(settings=c2pa_lib.Settings.from_dict(options)) as ctx, \
            open(path, "rb") as fh, c2pa_lib.Reader("video/mp4", fh, None, ctx) as reader:
        results = reader.get_validation_results() or {}
        failures = {f["code"] for f in (results.get("activeManifest") or {}).get("failure", [])}
        return reader.get_validation_state(), reader.get_active_manifest(), failures


def actions(manifest) -> list[dict]:
    return next(a["data"]["actions"] for a in manifest["assertions"]
                if a["label"].startswith("c2pa.actions"))


def result_file(job):
    return get_media_model().objects.get(pk=job.result_media_id).file.path


def test_signed_interpolation_is_read_back_by_c2pa(video_world, devcert, tmp_path):
    w = video_world
    with signing(devcert):
        job = submit_interpolate_job(user=w.editor, media=w.video, factor=2, engine="blend")
        run_video_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.c2pa == "signed"
    path = result_file(job)

    state, manifest, failures = read(path, devcert)
    assert state == "Trusted", failures
    assert manifest["title"] == "out.mp4"
    assert [(i["title"], i["relationship"], i["format"]) for i in manifest["ingredients"]] == \
        [("Harbour film", "parentOf", "video/mp4")]
    opened, edited = actions(manifest)
    assert opened["action"] == "c2pa.opened"
    assert edited["action"] == "c2pa.edited" and edited["digitalSourceType"] == COMPOSITE
    assert edited["softwareAgent"]["name"] == "blend" == job.model_id
    assert edited["softwareAgent"]["version"] == f"sha256:{job.model_sha256}"
    assert edited["description"] == "video-interpolate"
    generation = next(a["data"] for a in manifest["assertions"]
                      if a["label"] == "org.wagtail-gan.generation")
    assert generation["job_uuid"] == str(job.uuid)
    assert generation["sources"] == [{"type": "media", "id": w.video.pk,
                                      "title": "Harbour film"}]

    # Without the dev root the signature is intact but not trusted.
    assert read(path)[0] == "Valid"
    # The signed file still plays: every frame and the audio are there.
    times, _, adur = decoded(path)
    assert len(times) == 12 and adur == pytest.approx(0.5, abs=0.05)

    # One byte of the picture data changed: the manifest no longer validates.
    data = bytearray(open(path, "rb").read())
    mdat = data.index(b"mdat") + 64
    data[mdat] ^= 0x5A
    tampered = tmp_path / "tampered.mp4"
    tampered.write_bytes(bytes(data))
    state, _, failures = read(tampered, devcert)
    assert state == "Invalid" and any("mismatch" in code for code in failures)


def test_signed_clip_names_every_still(video_world, devcert, make_image):
    w = video_world
    second = make_image(title="Harbour, winter", collection=w.team, width=40, height=30)
    third = make_image(title="Harbour, night", collection=w.team, width=40, height=30)
    with signing(devcert):
        job = submit_stills_job(user=w.editor, images=[w.image, second, third], seconds=1,
                                fps=10, hold=0.1, engine="blend")
        run_video_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    state, manifest, failures = read(result_file(job), devcert)
    assert state == "Trusted", failures
    assert [(i["title"], i["relationship"]) for i in manifest["ingredients"]] == [
        (w.image.title, "parentOf"), ("Harbour, winter", "componentOf"),
        ("Harbour, night", "componentOf")]
    names = [a["action"] for a in actions(manifest)]
    assert names == ["c2pa.opened", "c2pa.placed", "c2pa.edited"]
    assert actions(manifest)[2]["description"] == "video-stills"
