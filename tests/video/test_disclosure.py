"""Nothing about another collection's images and media, or another user's video jobs, is said by
the video pages and API: every lookup goes through the permission policy first, and what the user
may not see answers exactly like what does not exist (same status, same message, no title)."""

from __future__ import annotations

import re

import pytest

from tests.api.helpers import API
from tests.video.helpers import add_media
from wagtail_gan.models import Variant, VideoJob

# Hidden rows get ids of the same length as the missing one, so that the pages can be
# compared whole once each id is replaced.
MISSING = 999_999
HIDDEN_IMAGE, HIDDEN_VIDEO, HIDDEN_AUDIO, HIDDEN_JOB = 888_881, 888_882, 888_883, 888_884
SECRET = "Secret stock"


def same(first, second, first_id, second_id) -> bool:
    """The same answer once each request's own id (and the CSRF token) is set aside."""
    def norm(response, pk):
        text = response.content.decode().replace(str(pk), "ID")
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
        return re.sub(r'"CSRF_TOKEN": "[^"]*"', "", text)

    return (first.status_code, norm(first, first_id)) == (second.status_code,
                                                          norm(second, second_id))


@pytest.fixture
def hidden(video_world, make_video, make_image):
    """In Stock, where the editor has no media or image permission: a video, an audio item
    and a variant of the editor's image."""
    w = video_world
    src = make_video(name="stock.mp4", frames=4, fps=12)
    w.stock_video = add_media(src, title=SECRET + " film", collection=w.stock, duration=0.3,
                              width=64, height=48, pk=HIDDEN_VIDEO)
    w.stock_audio = add_media(src, title=SECRET + " song", collection=w.stock, type="audio",
                              duration=0.3, pk=HIDDEN_AUDIO)
    w.stock_variant = make_image(title=SECRET + " variant", collection=w.stock)
    Variant.objects.create(image=w.stock_variant, source_image=w.image, operation="stylize-3")
    image = make_image(title=SECRET + " photo", collection=w.stock)
    image.pk = image.id = HIDDEN_IMAGE  # the same row under a long id
    image.save(force_insert=True)
    w.stock_image = image
    return w


def post(client, path, body):
    return client.post(API + path, body, content_type="application/json")


def test_api_interpolate_hidden_and_missing_media_answer_alike(client, hidden):
    client.force_login(hidden.editor)
    missing = post(client, "video/interpolate/", {"media": MISSING, "engine": "blend"})
    assert missing.status_code == 404 and "media" in missing.json()
    for item in (hidden.stock_video, hidden.stock_audio):
        answer = post(client, "video/interpolate/", {"media": item.pk, "engine": "blend"})
        assert same(answer, missing, item.pk, MISSING), answer.content
        assert SECRET not in answer.content.decode()
    # the editor's own video still works, and an audio item they can see is named
    assert post(client, "video/interpolate/", {"media": hidden.video.pk,
                                               "engine": "blend"}).status_code == 202
    assert not VideoJob.objects.exclude(source_media_id=hidden.video.pk).exists()


def test_api_clip_hidden_and_missing_images_answer_alike(client, hidden):
    client.force_login(hidden.editor)
    w = hidden
    answer = post(client, "video/clips/", {"images": [w.image.pk, w.stock_image.pk],
                                           "engine": "blend"})
    missing = post(client, "video/clips/", {"images": [w.image.pk, MISSING], "engine": "blend"})
    assert missing.status_code == 404 and "images" in missing.json()
    assert same(answer, missing, w.stock_image.pk, MISSING)
    assert SECRET not in answer.content.decode()
    # an image the editor sees (choose) but may not change: 403, as for image variants
    client.force_login(w.viewer)
    seen = post(client, "video/clips/", {"images": [w.image.pk, w.image.pk], "engine": "blend"})
    assert seen.status_code == 403
    assert not VideoJob.objects.exists()


def test_admin_interpolate_page_hidden_and_missing_media_answer_alike(client, hidden):
    client.force_login(hidden.editor)
    missing = client.get(f"/admin/gan/video/interpolate/{MISSING}/")
    assert missing.status_code == 404
    for item in (hidden.stock_video, hidden.stock_audio):
        for method in ("get", "post"):
            answer = getattr(client, method)(f"/admin/gan/video/interpolate/{item.pk}/")
            assert answer.status_code == 404 and SECRET not in answer.content.decode()
            assert same(answer, getattr(client, method)(
                f"/admin/gan/video/interpolate/{MISSING}/"), item.pk, MISSING)
    assert not VideoJob.objects.exists()


def test_admin_clip_page_shows_only_what_the_user_can_see(client, hidden):
    w = hidden
    client.force_login(w.editor)
    answer = client.get(f"/admin/gan/video/clip/?image={w.stock_image.pk}")
    missing = client.get(f"/admin/gan/video/clip/?image={MISSING}")
    assert answer.status_code == 200 and same(answer, missing, w.stock_image.pk, MISSING)
    assert SECRET not in answer.content.decode()
    # the editor's own image: offered, but not its variant kept in another collection
    own = client.get(f"/admin/gan/video/clip/?image={w.image.pk}").content.decode()
    assert w.image.title in own and SECRET not in own
    assert f'value="{w.stock_variant.pk}"' not in own
    # posting another collection's image is refused like a missing one
    body = {"seconds": "1", "fps": "10", "engine": "blend"}
    answer = client.post("/admin/gan/video/clip/", {**body, "images": [w.image.pk,
                                                                       w.stock_image.pk]})
    missing = client.post("/admin/gan/video/clip/", {**body, "images": [w.image.pk, MISSING]})
    assert answer.status_code == 400 and same(answer, missing, w.stock_image.pk, MISSING)
    assert b"that you can see" in answer.content and SECRET not in answer.content.decode()
    assert not VideoJob.objects.exists()
    # the page's empty image choosers post blank values: skipped, not refused
    made = client.post("/admin/gan/video/clip/", {**body, "seconds": "2",
                                                   "images": [w.image.pk, w.image.pk, "", " "]})
    assert made.status_code == 302, made.content[-2000:]
    assert [s["id"] for s in VideoJob.objects.get().source_images] == [w.image.pk, w.image.pk]


def test_video_job_pages_of_others_look_missing(client, hidden):
    w = hidden
    job = VideoJob.objects.create(pk=HIDDEN_JOB, user=w.admin, kind=VideoJob.Kind.INTERPOLATE,
                                  source_title=SECRET + " film", collection=w.stock)
    client.force_login(w.editor)
    for path in ("/admin/gan/video/jobs/{}/", "/admin/gan/video/jobs/{}/?format=json"):
        answer, missing = client.get(path.format(job.pk)), client.get(path.format(MISSING))
        assert answer.status_code == 404 and same(answer, missing, job.pk, MISSING)
    answer = client.post(f"/admin/gan/video/jobs/{job.pk}/cancel/")
    missing = client.post(f"/admin/gan/video/jobs/{MISSING}/cancel/")
    assert answer.status_code == 404 and same(answer, missing, job.pk, MISSING)
    answer, missing = (client.get(f"{API}video/jobs/{job.pk}/"),
                       client.get(f"{API}video/jobs/{MISSING}/"))
    assert answer.status_code == 404 and same(answer, missing, job.pk, MISSING)
    assert VideoJob.objects.get().status == VideoJob.Status.QUEUED


def test_editor_views_hidden_and_missing_images_answer_alike(client, hidden):
    w = hidden
    client.force_login(w.editor)
    for name in ("variant", "interpret"):
        answer = client.post(f"/admin/gan/images/{w.stock_image.pk}/{name}/",
                             {"operation": "upscale-2x", "instruction": "make it snowy"})
        missing = client.post(f"/admin/gan/images/{MISSING}/{name}/",
                              {"operation": "upscale-2x", "instruction": "make it snowy"})
        assert answer.status_code == 404 and same(answer, missing, w.stock_image.pk, MISSING)
        assert SECRET not in answer.content.decode()
    # an image the user sees but may not change: a 403 that names nothing new
    client.force_login(w.viewer)
    assert client.post(f"/admin/gan/images/{w.image.pk}/variant/",
                       {"operation": "upscale-2x"}).status_code == 403


def test_without_wagtailmedia_the_answer_is_a_clear_400(client, video_world, monkeypatch):
    monkeypatch.setattr("wagtail_gan.video.library.installed", lambda: False)
    client.force_login(video_world.editor)
    answer = post(client, "video/interpolate/", {"media": video_world.video.pk})
    assert answer.status_code == 400 and "wagtailmedia" in str(answer.json()), answer.content
