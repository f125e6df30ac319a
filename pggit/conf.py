"""pggit's settings: one dict, ``settings.PGGIT``, read only through these accessors.

Every key is documented in docs/settings.md with its default.
"""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "TRACKED_SCHEMAS": ["public"],
    "RETRY_ATTEMPTS": 5,
    "RETRY_BACKOFF_SECONDS": 0.02,
    "RETRY_BACKOFF_MAX_SECONDS": 1.0,
    "ALLOW_EMPTY_MESSAGE": False,
}


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


def allow_empty_message() -> bool:
    """Whether commits may have an empty or blank message (the API and ``pggit_commit -m``
    refuse one by default; the SQL core always accepts it)."""
    return bool(_get("ALLOW_EMPTY_MESSAGE"))
