"""Typed exceptions, one per error of the SQL core.

The core raises SQLSTATEs of class ``PG`` (see docs/errors.md); :func:`from_database_error`
turns a database error into the matching exception, keeping the SQLSTATE, message and hint.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class PgGitError(Exception):
    """Base class of every pggit error."""

    sqlstate: str | None = None

    def __init__(self, message: str, *, hint: str | None = None, sqlstate: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if sqlstate is not None:
            self.sqlstate = sqlstate

    def __str__(self) -> str:
        return self.message


class InvalidInput(PgGitError, ValueError):
    """A caller passed a value pggit refuses; nothing was changed."""


class InvalidBranchName(InvalidInput):
    sqlstate = "PGB04"


class InvalidMessage(InvalidInput):
    sqlstate = "PGC01"


class InvalidAuthor(InvalidInput):
    sqlstate = "PGC02"


class InvalidArgument(InvalidInput):
    sqlstate = "PGC04"


class InvalidTableName(InvalidInput):
    sqlstate = "PGT01"


class NotATable(InvalidInput):
    """The name denotes a view, sequence or other relation where a table is expected."""

    sqlstate = "PGT03"


class InvalidTrackedSchema(InvalidInput):
    sqlstate = "PGT05"


class InvalidVersion(InvalidInput):
    sqlstate = "PGV01"


class InvalidVersionKind(InvalidInput):
    sqlstate = "PGV02"


class NotFound(PgGitError, LookupError):
    """The named thing does not exist."""


class BranchNotFound(NotFound):
    sqlstate = "PGB01"


class CommitNotFound(NotFound):
    sqlstate = "PGC03"


class BranchDeleted(PgGitError):
    """The name belongs only to deleted branches."""

    sqlstate = "PGB05"


class BranchExists(PgGitError):
    sqlstate = "PGB02"


class ProtectedBranch(PgGitError):
    sqlstate = "PGB03"


class UnmergedCommits(PgGitError):
    """Deleting the branch would orphan commits; pass force=True to do it anyway."""

    sqlstate = "PGB06"


class HistoryImmutable(PgGitError):
    sqlstate = "PGH01"


class MergeError(PgGitError):
    """A merge or revert that cannot proceed."""


class MergeConflict(MergeError):
    """Objects changed differently on both sides. Nothing was applied.

    ``merge_id`` names the recorded merge (``pggit.merges``) and ``conflicts`` lists the
    recorded conflicts, when the conflict comes from :func:`pggit.api.merge`.
    """

    sqlstate = "PGM01"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        sqlstate: str | None = None,
        merge_id: int | None = None,
        conflicts: Iterable[dict[str, Any]] = (),
    ):
        super().__init__(message, hint=hint, sqlstate=sqlstate)
        self.merge_id = merge_id
        self.conflicts = list(conflicts)


class SameBranch(MergeError, InvalidInput):
    sqlstate = "PGM02"


class UncommittedChanges(MergeError):
    sqlstate = "PGM03"


class StaleMerge(MergeError):
    """A branch moved or was deleted after the merge was planned; merge again."""

    sqlstate = "PGM04"


class MergeParentRequired(MergeError, InvalidInput):
    sqlstate = "PGM06"


class MergeNotOpen(MergeError):
    sqlstate = "PGM07"


class ConflictNotFound(MergeError, LookupError):
    sqlstate = "PGM08"


class InvalidResolution(MergeError, InvalidInput):
    sqlstate = "PGM09"


class UnsupportedObject(PgGitError):
    """pggit cannot generate DDL for this object (e.g. aggregates)."""

    sqlstate = "PGD01"


class NoWorkspace(PgGitError):
    sqlstate = "PGD02"


class DataBranchError(PgGitError):
    """A data branch cannot be created or used as asked."""


class NoPrimaryKey(DataBranchError, InvalidInput):
    sqlstate = "PGX01"


class TableNotFound(NotFound):
    sqlstate = "PGT02"


class StructureDiffers(DataBranchError):
    sqlstate = "PGX05"


class InvalidDataBranchTarget(DataBranchError, InvalidInput):
    sqlstate = "PGX07"


class LiveDataBranches(DataBranchError):
    """The table's rows are read by live data branches: it cannot be altered, dropped or
    truncated."""

    sqlstate = "PGX09"


class RetryableError(PgGitError):
    """A serialization failure or deadlock that outlived the retries (or that happened inside
    the caller's own transaction, which only the caller can retry)."""


class LockNotAvailable(PgGitError):
    """A ``lock_timeout`` the caller set expired while pggit waited for a lock. Not retried:
    the caller chose how long to wait, so the API gives up at once and says so."""

    sqlstate = "55P03"


class UntrackedTable(DataBranchError, InvalidInput):
    """A table named in a schema that is not tracked (branches carry tracked schemas only)."""

    sqlstate = "PGW01"


class DataBranchedTableChange(DataBranchError):
    """DDL on a branch (Django on a branch) would change a table whose rows the branch reads
    through a data branch. Raised by the schema editor of a connection on a branch."""

    sqlstate = "PGW02"


class TruncateRefused(LiveDataBranches):
    sqlstate = "PGX08"


# The only SQLSTATEs the API retries (docs/python-api.md, "Retries").
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def _by_sqlstate() -> dict[str, type[PgGitError]]:
    table: dict[str, type[PgGitError]] = {}
    stack: list[type[PgGitError]] = [PgGitError]
    while stack:
        cls = stack.pop()
        if "sqlstate" in cls.__dict__ and cls.sqlstate:
            table[cls.sqlstate] = cls
        stack.extend(cls.__subclasses__())
    return table


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE of a psycopg error, or of the psycopg error behind a Django one."""
    for candidate in (exc, exc.__cause__):
        state = getattr(candidate, "sqlstate", None)
        if state:
            return str(state)
    return None


def from_database_error(exc: BaseException) -> PgGitError | None:
    """The typed exception for a database error raised by the core, or None if it is not one."""
    state = sqlstate_of(exc)
    if state is None:
        return None
    origin = exc if getattr(exc, "diag", None) is not None else exc.__cause__
    diag = getattr(origin, "diag", None)
    message = (diag.message_primary if diag else None) or str(exc).strip()
    hint = diag.message_hint if diag else None
    if state in RETRYABLE_SQLSTATES:
        return RetryableError(message, hint=hint, sqlstate=state)
    cls = _by_sqlstate().get(state)
    if cls is None:
        return None
    return cls(message, hint=hint, sqlstate=state)
