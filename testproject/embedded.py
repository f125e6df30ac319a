"""The database the test project uses: ``DATABASE_URL`` when set, else an embedded PostgreSQL.

The embedded server comes from the ``pgserver`` wheel (PostgreSQL 16) and keeps its data in
``.pgdata/`` at the top of the checkout (git-ignored). pgserver runs it as an unprivileged
``pgserver`` user when we are root, listens on a Unix socket only, shares one server between
processes that use the same folder (an inter-process lock guards start-up) and stops it when the
last of them exits.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

CHECKOUT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PGGIT_EMBEDDED_PGDATA", CHECKOUT / ".pgdata"))


def _embedded_server() -> PostgresServer:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI) and falls back to /tmp: fine.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        # a dev/test dependency, imported only when it is used
        from pgserver.postgres_server import get_server

        return get_server(DATA_DIR, cleanup_mode="stop")


def database_settings() -> dict[str, Any]:
    """Django's DATABASES['default'] for this process."""
    url = os.environ.get("DATABASE_URL")
    if url:
        import dj_database_url

        return dict(dj_database_url.parse(url, conn_max_age=0))
    info = _embedded_server().get_postmaster_info()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": "",
        # Two test runs may share the embedded server: give each its own test database.
        "TEST": {"NAME": f"test_pggit_{os.getpid()}"},
    }
