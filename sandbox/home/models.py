from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.images import get_image_model_string
from wagtail.models import Orderable, Page


class HomePage(Page):
    intro = models.TextField(blank=True)
    hero = models.ForeignKey(
        get_image_model_string(), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("hero")]
    subpage_types = ["home.GalleryPage"]


class GalleryPage(Page):
    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), InlinePanel("items", label="Images")]
    parent_page_types = ["home.HomePage"]


class GalleryItem(Orderable):
    page = ParentalKey(GalleryPage, on_delete=models.CASCADE, related_name="items")
    image = models.ForeignKey(get_image_model_string(), on_delete=models.CASCADE, related_name="+")
    caption = models.CharField(max_length=255, blank=True)

    panels = [FieldPanel("image"), FieldPanel("caption")]
