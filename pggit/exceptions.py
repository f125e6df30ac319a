"""Typed exceptions, one per error of the SQL core.

The core raises SQLSTATEs of class ``PG`` (see docs/errors.md); :func:`from_database_error`
turns a database error into the matching exception, keeping the SQLSTATE and message. The
core's hints speak SQL (``SELECT ... FROM pggit.branches``, ``force => true``): the exception's
``hint`` says the same in Python (``force=True``, ``pggit.api.log('main')``), its ``sql_hint``
keeps the core's words, and ``branch`` / ``merge_id`` name what the message is about, so that
other callers (the management commands: :mod:`pggit.cli`) can say it in their own language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any


class PgGitError(Exception):
    """Base class of every pggit error."""

    sqlstate: str | None = None

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        sqlstate: str | None = None,
        sql_hint: str | None = None,
        branch: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        #: what to do, in a Python caller's words
        self.hint = hint
        #: the hint as the SQL core gave it (None for errors raised in Python)
        self.sql_hint = sql_hint
        #: the branch the error is about, when it names one
        self.branch = branch if branch is not None else _quoted_after("branch", message)
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


class InvalidCommitId(InvalidInput):
    """A caller-supplied commit ID that is not 1-255 characters of text without control
    characters (NUL included)."""

    sqlstate = "PGC05"


class InvalidTableName(InvalidInput):
    sqlstate = "PGT01"


class NotATable(InvalidInput):
    """The name denotes a view, sequence or other relation where a table is expected."""

    sqlstate = "PGT03"


class InvalidTrackedSchema(InvalidInput):
    sqlstate = "PGT05"


class SchemaNotTracked(InvalidInput):
    """The table named is in a schema pggit does not track (data branches need a tracked
    table)."""

    sqlstate = "PGT06"


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


class CommitIdInUse(PgGitError):
    """The commit ID already names a commit of another branch or with another message;
    nothing was written. (The same ID, branch and message return that commit instead.)"""

    sqlstate = "PGC06"


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
        sql_hint: str | None = None,
        branch: str | None = None,
        merge_id: int | None = None,
        conflicts: Iterable[dict[str, Any]] = (),
    ):
        super().__init__(message, hint=hint, sqlstate=sqlstate, sql_hint=sql_hint, branch=branch)
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


class NoDataBranch(DataBranchError):
    """A data diff names a branch (other than main) that has no data branch of the table."""

    sqlstate = "PGU01"


class StructureDiffers(DataBranchError):
    sqlstate = "PGX05"


class InvalidDataBranchTarget(DataBranchError, InvalidInput):
    sqlstate = "PGX07"


class LiveDataBranches(DataBranchError):
    """The table's rows are read by live data branches: it cannot be altered, dropped or
    truncated."""

    sqlstate = "PGX09"


class InvalidObjectKey(InvalidInput):
    """Not an object key of a commit's tree (``<type>:<schema>.<name>``)."""

    sqlstate = "PGK01"


class ObjectNotFound(NotFound):
    """The commit's tree, or the branch's history, has no such object."""

    sqlstate = "PGK02"


class CheckoutReadOnly(PgGitError):
    """A write to a table of a read-only commit checkout."""

    sqlstate = "PGK03"


class CheckoutNamespaceTaken(PgGitError):
    """A schema named like a commit checkout's namespace exists and is not pggit's."""

    sqlstate = "PGK04"


class RetryableError(PgGitError):
    """A serialization failure or deadlock that outlived the retries (or that happened inside
    the caller's own transaction, which only the caller can retry)."""


class LockNotAvailable(PgGitError):
    """A ``lock_timeout`` the caller set expired while pggit waited for a lock. Not retried:
    the caller chose how long to wait, so the API gives up at once and says so."""

    sqlstate = "55P03"


class DataBranchStructureRefused(DataBranchError):
    """A change of a table's structure on a branch that the table's data branch cannot follow
    (a type or nullability change, a rename, dropping a column of main's table or the table, a
    new primary key, a generated or identity column): nothing changed. Base of the errors the
    structure evolution of data branches raises (docs/django-workflow.md)."""

    sqlstate = "PGW03"


class DataBranchColumnWithoutValue(DataBranchStructureRefused):
    """A column added on a branch to a data-branched table without a value main's rows can
    take: NOT NULL without a default, or a volatile default."""

    sqlstate = "PGW04"


class RebaseWouldLoseColumns(DataBranchStructureRefused):
    """A data branch's rebase would lose the columns its branch added (the source lacks them):
    merge the branch instead (the merge adds them to the source first)."""

    sqlstate = "PGW05"


class TruncateRefused(LiveDataBranches):
    sqlstate = "PGX08"


class DataBranchStale(DataBranchError):
    """The data branch's source changed structure (without event triggers to refuse it): it
    cannot be read or merged until it is rebased (``rebase_data_branch``) or deleted."""

    sqlstate = "PGY01"


class DataBranchNotFound(DataBranchError, NotFound):
    sqlstate = "PGY02"


class DataBranchSourceDropped(DataBranchError):
    """The data branch's source table was dropped: it can only be deleted."""

    sqlstate = "PGY03"


class RebaseRefused(DataBranchError):
    """The data branch's rows do not fit its source's new structure (nothing changed)."""

    sqlstate = "PGY04"


class RefError(PgGitError):
    """Base class of the errors about refs: tags, and names that resolve to commits."""


class AmbiguousRef(RefError, LookupError):
    """A hash prefix matches several commits (the message lists them): give more digits."""

    sqlstate = "PGR01"


class TagNotFound(RefError, NotFound):
    sqlstate = "PGR02"


class TagExists(RefError):
    """The tag names another commit; tags are immutable unless moved with ``force``."""

    sqlstate = "PGR03"


class RefNameCollision(RefError, InvalidInput):
    """A tag may not take a live branch's name, a branch not a tag's, neither may be HEAD."""

    sqlstate = "PGR04"


class InvalidTagName(RefError, InvalidInput):
    sqlstate = "PGR05"


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
    sql_hint = diag.message_hint if diag else None
    hint = python_hint(sql_hint, message)
    if state in RETRYABLE_SQLSTATES:
        return RetryableError(message, hint=hint, sqlstate=state, sql_hint=sql_hint)
    cls = _by_sqlstate().get(state)
    if cls is None:
        return None
    typed = cls(message, hint=hint, sqlstate=state, sql_hint=sql_hint)
    if isinstance(typed, MergeError) and not getattr(typed, "merge_id", None):
        merge = re.match(r"merge (\d+) ", message)
        if merge:
            typed.merge_id = int(merge.group(1))  # type: ignore[attr-defined]
    return typed


def _quoted_after(word: str, message: str) -> str | None:
    """The SQL literal after ``word`` in a message (``branch 'x''y' is deleted`` -> x'y)."""
    found = re.search(rf"\b{word} (E?)'((?:[^']|'')*)'", message)
    if not found:
        return None
    value = found.group(2).replace("''", "'")
    return value.replace("\\\\", "\\") if found.group(1) else value


class HintContext:
    """What a hint translation may name: the message's branch and merge."""

    def __init__(self, sql_hint: str, message: str):
        self.sql_hint = sql_hint
        table = re.search(r"has no data branch of (.+): its rows", message)
        self.table = table.group(1) if table else "TABLE"
        self.branch = _quoted_after("branch", message) or "NAME"
        merge = re.match(r"merge (\d+) ", message) or re.search(r"merge_id = (\d+)", sql_hint)
        self.merge = merge.group(1) if merge else "MERGE_ID"


#: The core's hints that speak SQL -> the same advice for a Python caller. A pattern matches
#: the start of the SQL hint; tests/test_hints.py checks every SQL-speaking HINT of pggit/sql/
#: is covered here and in pggit.cli.
PYTHON_HINTS: list[tuple[str, Callable[[HintContext], str]]] = [
    (
        r"Create it again with pggit\.create_branch\(\)",
        lambda c: (
            f"Create it again with pggit.api.create_branch({c.branch!r}) to reuse the name; "
            "its old history is kept."
        ),
    ),
    (
        r"List branches with: SELECT",
        lambda c: (
            "List branches with: pggit.models.Branch.objects.exclude(status=Branch.Status.DELETED)."
        ),
    ),
    (
        r"Merge it first, or delete with force => true",
        lambda c: (
            f"Merge it first, or pass force=True to delete_branch({c.branch!r}) to discard "
            "them (history is kept)."
        ),
    ),
    (r"List commits with: SELECT", lambda c: "List commits with: pggit.api.log('main')."),
    (
        r"Commit them first: SELECT pggit\.commit_changes",
        lambda c: f"Commit them first: pggit.api.commit('...', branch={c.branch!r}).",
    ),
    (
        r"Create one first: SELECT pggit\.create_data_branch\(",
        lambda c: (
            f"Create one first: pggit.api.create_data_branch({c.table!r}, 'main', {c.branch!r})."
        ),
    ),
    (r"Run pggit\.merge\(\) again", lambda c: "Call pggit.api.merge() again."),
    (
        r"Resolve it with pggit\.resolve_conflict\(merge, object, 'ours'\|'theirs'\|(\w+ ?\w*)\)",
        lambda c: (
            f"Resolve it with pggit.api.resolve_conflict({c.merge}, object, "
            f"'ours'|'theirs'|{_last_alternative(c.sql_hint)})."
        ),
    ),
    (
        r"List open merges: SELECT",
        lambda c: (
            "List open merges: pggit.models.Merge.objects.filter(status=Merge.Status.CONFLICTED)."
        ),
    ),
    (
        r"E\.g\. SELECT pggit\.resolve_conflict\(",
        lambda c: "E.g. pggit.api.resolve_conflict(7, 'table:public.users', 'theirs').",
    ),
    (
        r"SELECT object_key FROM pggit\.merge_conflicts",
        lambda c: (
            "List them: "
            f"pggit.models.MergeConflict.objects.filter(merge_id={c.merge}, resolution=None)."
        ),
    ),
    (
        r"Pass parent => 1",
        lambda c: "Pass parent=1 (the branch merged into) or parent=2 (the merged branch).",
    ),
    (
        r"Choose a parent: parent => 1",
        lambda c: (
            "Pass parent=1 (the change the merge brought to its branch) or parent=2 (the "
            "change against the merged branch) to pggit.api.cherry_pick()."
        ),
    ),
    (
        r"List its objects: SELECT",
        lambda c: "List its objects: pggit.api.show(commit)['tree']",
    ),
    (
        r"Object keys are as in a commit's tree",
        lambda c: (
            "Object keys are as in a commit's tree, e.g. table:public.users: "
            "pggit.api.show(commit)['tree']"
        ),
    ),
    (
        r"The default is ARRAY\['public'\]",
        lambda c: 'The default is PGGIT["TRACKED_SCHEMAS"] = ["public"].',
    ),
    (
        r"Rebase it onto the new structure with pggit\.rebase_data_branch\(",
        lambda c: (
            "Rebase it onto the new structure with pggit.api.rebase_data_branch"
            f"{data_branch_args(c.sql_hint)!r}, or delete it with "
            f"pggit.api.delete_data_branch{data_branch_args(c.sql_hint)!r}."
        ),
    ),
    (
        r"List them with: SELECT \* FROM pggit\.list_data_branches\(",
        lambda c: f"List them with pggit.api.data_branches({data_branch_args(c.sql_hint)[1]!r}).",
    ),
    (
        r"Delete it with pggit\.delete_data_branch\(",
        lambda c: f"Delete it with pggit.api.delete_data_branch{data_branch_args(c.sql_hint)!r}.",
    ),
    (
        r"Give the new column a default on",
        lambda c: (
            "Give the new column a default and rebase again, or delete the data branch with "
            f"pggit.api.delete_data_branch{data_branch_args(c.sql_hint)!r}."
        ),
    ),
    (
        r"Check out a live branch first: SELECT pggit\.checkout\(",
        lambda c: "Check out a live branch first: with pggit.api.checkout('main'): ...",
    ),
    (
        r"Commit first: SELECT pggit\.commit_changes\(",
        lambda c: f"Commit first: pggit.api.commit('...', branch={c.branch!r}).",
    ),
    (
        r"List refs: SELECT",
        lambda c: (
            "List refs: pggit.models.Branch.objects.exclude(status=Branch.Status.DELETED),"
            " pggit.api.tags(), pggit.api.log('main')."
        ),
    ),
    (
        r"Tags are immutable: choose another name, or pass force => true",
        lambda c: "Tags are immutable: choose another name, or pass force=True to move it.",
    ),
    (r"List tags with: SELECT", lambda c: "List tags with: pggit.api.tags()."),
    (
        r"Pass force => true to reset main",
        lambda c: (
            "Pass force=True to reset main (the commits after the new head stay in"
            " pggit.api.reflog('main'))."
        ),
    ),
]


def data_branch_args(sql_hint: str) -> tuple[str, str]:
    """The (table, branch) a data-branch hint names in its SQL call (the last call's two
    literals; a list_data_branches(branch) call gives ("TABLE", branch))."""
    literal = r"'((?:[^']|'')*)'"
    pair = re.findall(rf"pggit\.\w+\({literal}, {literal}\)", sql_hint)
    if pair:
        return pair[-1][0].replace("''", "'"), pair[-1][1].replace("''", "'")
    one = re.search(rf"pggit\.\w+\({literal}\)", sql_hint)
    return "TABLE", one.group(1).replace("''", "'") if one else "NAME"


def _last_alternative(sql_hint: str) -> str:
    found = re.search(r"\|([^|()]+)\)\.?$", sql_hint)
    return found.group(1) if found else "ddl"


def translate_hint(
    table: list[tuple[str, Callable[[HintContext], str]]], sql_hint: str | None, message: str
) -> str | None:
    """The first translation in ``table`` whose pattern matches the start of ``sql_hint``;
    ``sql_hint`` itself when none does (hints that name no SQL read the same everywhere)."""
    if not sql_hint:
        return sql_hint
    for pattern, translate in table:
        if re.match(pattern, sql_hint):
            return translate(HintContext(sql_hint, message))
    return sql_hint


def python_hint(sql_hint: str | None, message: str) -> str | None:
    """The core's hint in a Python caller's words."""
    return translate_hint(PYTHON_HINTS, sql_hint, message)
