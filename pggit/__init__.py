"""django-pggit: Git-style version control for a PostgreSQL database.

The SQL functions in schema ``pggit`` are the source of truth; :mod:`pggit.api` is the Python
door to them and :mod:`pggit.models` the read model.
"""

from pggit.version import __version__

__all__ = ["__version__"]
