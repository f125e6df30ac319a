from django.apps import AppConfig


class PgGitConfig(AppConfig):
    name = "pggit"
    verbose_name = "pggit version control"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from pggit import checks  # noqa: F401  (registers the system checks)
        from pggit.installation import sync_tracked_schemas

        post_migrate.connect(sync_tracked_schemas, sender=self)
