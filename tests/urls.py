from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.images.views.serve import ServeView

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("gan/", include("wagtail_gan.urls")),
    path("api/gan/", include("wagtail_gan.api.urls")),
    path("images/<str:signature>/<int:image_id>/<str:filter_spec>/", ServeView.as_view(),
         name="wagtailimages_serve"),
]
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
urlpatterns += [path("", include(wagtail_urls))]
