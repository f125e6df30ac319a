from django.apps import AppConfig


class PgGitConfig(AppConfig):
    name = "pggit"
    verbose_name = "pggit version control"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pggit import checks  # noqa: F401  (registers the system checks)
