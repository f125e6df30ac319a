from django.apps import AppConfig


class PgGitConfig(AppConfig):
    name = "pggit"
    verbose_name = "pggit version control"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate, pre_migrate

        from pggit import checks  # noqa: F401  (registers the system checks)
        from pggit.installation import remember_roles, report_install, sync_tracked_schemas
        from pggit.runtime import checkout_configured_branch

        post_migrate.connect(sync_tracked_schemas, sender=self)
        pre_migrate.connect(remember_roles, sender=self)
        post_migrate.connect(report_install, sender=self)
        # every connection Django opens works on PGGIT["BRANCH"] / $PGGIT_BRANCH (if set)
        connection_created.connect(checkout_configured_branch, dispatch_uid="pggit.branch")
