"""Create (or reset) the test project's ``admin``/``admin`` superuser for ``make admin``."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create or reset the local superuser admin/admin (test project only)."

    def handle(self, *args, **options):
        user, _ = get_user_model().objects.get_or_create(username="admin")
        user.is_staff = user.is_superuser = True
        user.set_password("admin")
        user.save()
        self.stdout.write("superuser: admin / admin")
