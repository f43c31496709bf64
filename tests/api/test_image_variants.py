"""An image's variants (``images/{id}/variants/``) and a job's detail carry the provenance of what
was made; hidden images are 404."""

from __future__ import annotations

from tests.api.helpers import API, api_client_for, make_job
from wagtail_gan.models import Variant


def test_image_variants_lists_provenance(api_world, make_image):
    result = make_image(title="Stylized", collection=api_world.allowed)
    hidden_result = make_image(title="Stylized hidden", collection=api_world.other)
    job = make_job(api_world, api_world.editor, status="succeeded", result_image=result,
               model_id="styletransfer_multistyle26", model_sha256="ab" * 32, seed=3)
    Variant.objects.create(image=result, source_image=api_world.image, job=job,
                           operation="stylize-3", model_id="styletransfer_multistyle26",
                           model_sha256="ab" * 32, params={"styles": [3]}, seed=3,
                           user=api_world.editor, duration=0.2)
    Variant.objects.create(image=hidden_result, source_image=api_world.image,
                           operation="winterize", user=api_world.admin)
    client = api_client_for(api_world.editor)
    body = client.get(API + f"images/{api_world.image.pk}/variants/").json()
    assert body["count"] == 1
    variant = body["results"][0]
    assert variant["image"] == result.pk and variant["image_title"] == "Stylized"
    assert variant["source_image"] == api_world.image.pk
    assert variant["source_title"] == "Allowed photo"
    assert variant["job"] == str(job.uuid) and variant["user"] == "editor"
    assert (variant["operation"], variant["seed"], variant["params"]) == (
        "stylize-3", 3, {"styles": [3]})
    assert api_client_for(api_world.admin).get(
        API + f"images/{api_world.image.pk}/variants/").json()["count"] == 2
    assert client.get(API + f"images/{api_world.hidden_image.pk}/variants/").status_code == 404
    assert api_client_for(api_world.outsider).get(
        API + f"images/{api_world.image.pk}/variants/").status_code == 404
    # a job's detail carries the provenance of what it produced
    detail = client.get(API + f"jobs/{job.pk}/").json()
    assert detail["result_image"]["id"] == result.pk
    assert detail["result_image"]["renditions"]["thumbnail"].startswith("http://testserver/media/")
    assert [v["image"] for v in detail["variants"]] == [result.pk]
