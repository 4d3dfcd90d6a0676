from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from campaigns import counts, schema  # noqa: F401  (the counts' receiver; the OpenAPI authentication scheme)
