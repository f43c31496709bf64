"""Create the sandbox's site content: sample images, a home page, a gallery and an admin user.

Idempotent: running it again changes nothing that exists.
"""

import importlib.util
import io
import os

from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, Site

from home.models import GalleryItem, GalleryPage, HomePage
from home.samples import SAMPLES, sample_picture

HAVE_SKIMAGE = importlib.util.find_spec("skimage") is not None


class Command(BaseCommand):
    help = "Load the sandbox's sample photos, pages and demo admin user."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("SANDBOX_ADMIN_USER", "admin"))
        parser.add_argument(
            "--password", default=os.environ.get("SANDBOX_ADMIN_PASSWORD", "changeme")
        )

    def handle(self, *args, username, password, **options):
        images = self.load_images()
        home = self.ensure_pages(images)
        self.ensure_admin(username, password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Sandbox ready: {len(images)} sample images, home page {home.url or '/'}; "
                f"admin login {username} / {password}"
            )
        )

    def load_images(self):
        Image = get_image_model()
        root = Collection.get_first_root_node()
        collection = root.get_children().filter(name="Samples").first()
        if collection is None:
            collection = root.add_child(name="Samples")
        images = []
        for sample in SAMPLES:
            image = Image.objects.filter(title=sample["title"]).first()
            if image is None:
                buf = io.BytesIO()
                sample_picture(sample["name"]).save(buf, "JPEG", quality=90)
                image = Image(title=sample["title"], collection=collection)
                image.file = ImageFile(buf, name=f"{sample['name']}.jpg")
                image.save()
                image.tags.add("sample")
                credit = sample["credit"] if HAVE_SKIMAGE else "a drawn stand-in (no scikit-image)"
                self.stdout.write(f"  imported {sample['title']} - {credit}")
            images.append(image)
        return images

    def ensure_pages(self, images):
        home = HomePage.objects.first()
        if home is None:
            root = Page.get_first_root_node()
            home = HomePage(
                title="wagtail-gan sandbox",
                slug="gan-home",
                intro="Generative image AI in ordinary Wagtail image tags.",
                hero=images[0],
            )
            root.add_child(instance=home)
            home.save_revision().publish()
            Site.objects.update_or_create(
                is_default_site=True,
                defaults={"hostname": "localhost", "port": 80, "root_page": home,
                          "site_name": "wagtail-gan sandbox"},
            )
            # Wagtail's initial "Welcome" page is not needed any more.
            for page in Page.objects.filter(depth=2).exclude(pk=home.pk):
                page.delete()
        if not GalleryPage.objects.exists():
            gallery = GalleryPage(title="Gallery", slug="gallery", intro="Every sample photo.")
            for index, image in enumerate(images):
                gallery.items.add(GalleryItem(image=image, sort_order=index))
            home.add_child(instance=gallery)
            gallery.save_revision().publish()
        return home

    def ensure_admin(self, username, password):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            User.objects.create_superuser(username, f"{username}@example.com", password)
        elif not user.check_password(password):
            # The printed credentials must work: an earlier run may have used another password.
            user.set_password(password)
            user.save(update_fields=["password"])
