"""Is this one of ours? ``inspect_file`` on oversized and broken files, ``gan_verify``, the
admin page "Check an image"."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from tests.provenance.helpers import encoded, photo, run_and_keep, signing
from wagtail_gan import provenance


@pytest.mark.ml
def test_checker_refuses_oversized_and_broken_files():
    big = encoded(Image.new("RGB", (4000, 3000), (10, 20, 30)), quality=50)
    with override_settings(WAGTAIL_GAN={"MAX_OUTPUT_PIXELS": 1000 * 1000}):
        report = provenance.inspect_file(big, use_database=False)
    assert report["width"] == 4000 and not report["watermark"]["found"]
    assert "too large for the watermark check" in report["errors"][0]
    truncated = encoded(photo())[:2000]
    report = provenance.inspect_file(truncated, use_database=False)
    assert "Not a readable image" in report["errors"][0] and report["ours"] is False


@pytest.mark.django_db
def test_gan_verify_command(gan_world, big_source, devcert, tmp_path, capsys,
                            django_capture_on_commit_callbacks):
    with signing(devcert):
        job, kept, data = run_and_keep(gan_world, big_source, django_capture_on_commit_callbacks)
        ours = tmp_path / "ours.jpg"
        ours.write_bytes(data)
        call_command("gan_verify", str(ours))
        out = capsys.readouterr().out
        assert f"variant:    {kept.gan_variant.pk}" in out and "trusted certificate" in out
        assert "compositeWithTrainedAlgorithmicMedia" in out

        plain = tmp_path / "plain.jpg"
        plain.write_bytes(encoded(photo()))
        with pytest.raises(SystemExit) as exc:
            call_command("gan_verify", str(plain))
        assert exc.value.code == 1

        start = data.rindex(b"\xff\xda")
        tampered = bytearray(data)
        tampered[start + 300] ^= 0x33
        bad = tmp_path / "bad.jpg"
        bad.write_bytes(bytes(tampered))
        with pytest.raises(SystemExit) as exc:
            call_command("gan_verify", str(bad), "--json")
        assert exc.value.code == 2
        assert '"state": "Invalid"' in capsys.readouterr().out
    with pytest.raises(CommandError, match="No such file"):
        call_command("gan_verify", str(tmp_path / "nope.jpg"))


@pytest.mark.django_db
def test_check_an_image_admin_page(client, gan_world, big_source, devcert,
                                   django_capture_on_commit_callbacks):
    url = reverse("wagtail_gan_check_image")
    with signing(devcert):
        job, kept, data = run_and_keep(gan_world, big_source, django_capture_on_commit_callbacks)
        client.force_login(gan_world.editor)
        page = client.get(url)
        assert page.status_code == 200 and b"Check an image" in page.content
        menu = client.get(reverse("wagtailadmin_home"))
        assert url.encode() in menu.content

        response = client.post(url, {"file": SimpleUploadedFile("found.jpg", data, "image/jpeg")})
        assert response.status_code == 200
        html = response.content.decode()
        assert f"variant {kept.gan_variant.pk}" in html
        assert reverse("wagtailimages:edit", args=[kept.pk]) in html
        assert reverse("wagtailimages:edit", args=[big_source.pk]) in html
        assert 'data-gan-c2pa-state="Trusted"' in html
        assert "the source&#x27;s rights apply" in html

        response = client.post(url, {"file": SimpleUploadedFile("x.jpg", b"not an image")})
        assert response.status_code == 200
        assert "Not a readable image" in response.content.decode()
        assert "No wagtail-gan watermark" in response.content.decode()

    # Admin access without any image permission: refused, and no menu item.
    nobody = get_user_model().objects.create_user("nobody", "n@example.com", "pw")
    nobody.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(nobody)
    refused = client.get(url)  # Wagtail turns PermissionDenied into a redirect with a message
    assert refused.status_code == 302 and refused.url == reverse("wagtailadmin_home")
    assert url.encode() not in client.get(reverse("wagtailadmin_home")).content
