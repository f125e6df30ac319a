"""pggit's settings: one dict, ``settings.PGGIT``, read only through these accessors.

Every key is documented in docs/settings.md with its default.
"""

import getpass
import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS: dict[str, Any] = {
    "TRACKED_SCHEMAS": ["public"],
    "RETRY_ATTEMPTS": 5,
    "RETRY_BACKOFF_SECONDS": 0.02,
    "RETRY_BACKOFF_MAX_SECONDS": 1.0,
    "COMMIT_ON_MIGRATE": True,
    "MIGRATE_AUTHOR": None,
    "BRANCH": None,
    "ALLOW_EMPTY_MESSAGE": False,
}

#: the environment variable that overrides ``PGGIT["BRANCH"]``
BRANCH_ENVIRONMENT_VARIABLE = "PGGIT_BRANCH"


def _get(key: str) -> Any:
    return getattr(settings, "PGGIT", {}).get(key, DEFAULTS[key])


def retry_attempts() -> int:
    """How many times the API tries an operation that failed with 40001/40P01 (>= 1)."""
    return max(1, int(_get("RETRY_ATTEMPTS")))


def retry_backoff_seconds() -> float:
    """Base delay of the jittered exponential backoff between retries."""
    return float(_get("RETRY_BACKOFF_SECONDS"))


def retry_backoff_max_seconds() -> float:
    """Upper bound of one backoff delay."""
    return float(_get("RETRY_BACKOFF_MAX_SECONDS"))


def tracked_schemas() -> list[str]:
    """Schemas whose objects commits snapshot; applied to the database after ``migrate``."""
    return list(_get("TRACKED_SCHEMAS"))


def commit_on_migrate() -> bool:
    """Whether a ``migrate`` that applied migrations records a commit on the current branch.
    Raises ImproperlyConfigured for anything but True or False."""
    value = _get("COMMIT_ON_MIGRATE")
    if not isinstance(value, bool):
        raise ImproperlyConfigured(
            f'PGGIT["COMMIT_ON_MIGRATE"] must be True or False, not {value!r}'
        )
    return value


def migrate_author() -> str | None:
    """The author of the commits ``migrate`` records (None: the operating-system user, see
    :func:`os_user`)."""
    value = _get("MIGRATE_AUTHOR")
    if value is not None and not isinstance(value, str):
        raise ImproperlyConfigured(
            f'PGGIT["MIGRATE_AUTHOR"] must be a string or None, not {value!r}'
        )
    return value


def os_user() -> str:
    """The operating-system user running this process ("migrate" when it has no name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return "migrate"


def branch() -> str | None:
    """The branch every connection Django opens checks out: the environment variable
    ``PGGIT_BRANCH`` when set (and not empty), else ``PGGIT["BRANCH"]``; None means main, the
    database's own schemas, untouched."""
    value = os.environ.get(BRANCH_ENVIRONMENT_VARIABLE) or _get("BRANCH")
    if value is not None and not isinstance(value, str):
        raise ImproperlyConfigured(f'PGGIT["BRANCH"] must be a branch name or None, not {value!r}')
    return value or None


def branch_source() -> str:
    """Where :func:`branch` came from, for error messages."""
    if os.environ.get(BRANCH_ENVIRONMENT_VARIABLE):
        return BRANCH_ENVIRONMENT_VARIABLE
    return 'PGGIT["BRANCH"]'


def allow_empty_message() -> bool:
    """Whether commits may have an empty or blank message (the API and ``pggit_commit -m``
    refuse one by default; the SQL core always accepts it)."""
    return bool(_get("ALLOW_EMPTY_MESSAGE"))
