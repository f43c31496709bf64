"""REST API URLs: include with ``path("api/gan/", include("wagtail_gan.api.urls"))``.

The prefix is yours to choose; every URL the API returns is built with ``reverse``.
Ids in paths are matched as strings so that a malformed id still gets the API's JSON 404
rather than Django's HTML one.
"""

from django.urls import include, path, re_path

from . import interpret, models_api, submit, views
from .base import not_found

app_name = "wagtail_gan_api"
urlpatterns = [
    path("variants/", submit.VariantCreateView.as_view(), name="variant-create"),
    path("generate/", submit.GenerateView.as_view(), name="generate"),
    path("interpret/", interpret.InterpretView.as_view(), name="interpret"),
    path("jobs/", views.JobListView.as_view(), name="job-list"),
    path("jobs/<str:pk>/", views.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<str:pk>/outputs/<str:index>/", views.JobOutputView.as_view(), name="job-output"),
    path("jobs/<str:pk>/keep/", views.JobReviewView.as_view(review="keep"), name="job-keep"),
    path("jobs/<str:pk>/discard/", views.JobReviewView.as_view(review="discard"),
         name="job-discard"),
    path("images/<str:pk>/variants/", views.ImageVariantsView.as_view(), name="image-variants"),
    path("models/", views.ModelsView.as_view(), name="models"),
    path("operations/", views.OperationsView.as_view(), name="operations"),
    path("models/tasks/<str:pk>/", models_api.ModelTaskView.as_view(), name="model-task"),
    path("models/<str:pk>/pin/", models_api.ModelPinView.as_view(), name="model-pin"),
    path("models/<str:pk>/<str:action>/", models_api.ModelActionView.as_view(),
         name="model-action"),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    # Video (wagtail_gan.video, a layer above the API): interpolate/, clips/, jobs/{id}/.
    path("video/", include("wagtail_gan.video.api")),
    # Last: every other URL and method is a JSON 404 (CSRF-exempt: an unknown POST/DELETE
    # never reaches Django's HTML CSRF page).
    re_path(r"^.*$", not_found),
]
