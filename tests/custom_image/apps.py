from django.apps import AppConfig


class CustomImageConfig(AppConfig):
    name = "tests.custom_image"
    label = "custom_image"
    default_auto_field = "django.db.models.BigAutoField"
