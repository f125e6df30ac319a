"""The Python API: the one door for writes.

Each call runs in ``transaction.atomic()``, calls the SQL function that is the source of truth
(which locks the branch rows it changes, in primary-key order; the caller needs no rights on
pggit's tables, only EXECUTE on the function: docs/security.md), and returns model instances.
Serialization failures and deadlocks (40001/40P01) are retried with jittered exponential
backoff when the call owns its transaction; inside a caller's transaction only the caller can
retry, so they surface as :class:`~pggit.exceptions.RetryableError`. Errors of the core surface
as typed exceptions.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any, TypeVar, cast

from asgiref.sync import sync_to_async
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import prefetch_related_objects

from pggit import conf
from pggit.exceptions import (
    CommitNotFound,
    ConflictNotFound,
    InvalidArgument,
    InvalidAuthor,
    InvalidBranchName,
    InvalidCommitId,
    InvalidMessage,
    InvalidObjectKey,
    InvalidTableName,
    InvalidTagName,
    MergeConflict,
    PgGitError,
    RetryableError,
    from_database_error,
)
from pggit.graph import GraphCommit, GraphPage
from pggit.models import Branch, Commit, ReflogEntry, Tag

__all__ = [
    # results
    "Change",
    "DiffEntry",
    "Finding",
    "MergeResult",
    "ObjectLogEntry",
    "RowChange",
    "Version",
    # functions, in the order of docs/python-api.md
    "commit",
    "create_branch",
    "delete_branch",
    "get_branch",
    "log",
    "author",
    "status",
    "show",
    "schema_hash",
    "get_version",
    "checkout",
    "current_branch",
    "diff",
    "diff_ddl",
    "merge",
    "merge_preview",
    "ahead_behind",
    "unmerged_commits",
    "graph",
    "resolve_conflict",
    "revert",
    "cherry_pick",
    "checkout_commit",
    "drop_commit_checkout",
    "show_object",
    "object_log",
    "create_data_branch",
    "diff_data",
    "data_branches",
    "rebase_data_branch",
    "delete_data_branch",
    "verify",
    "resolve",
    "tag",
    "tags",
    "delete_tag",
    "reset",
    "reflog",
    # async twins (coroutine functions) of every function but the two context managers
    "acommit",
    "acreate_branch",
    "adelete_branch",
    "aget_branch",
    "alog",
    "astatus",
    "ashow",
    "aschema_hash",
    "aget_version",
    "acurrent_branch",
    "adiff",
    "adiff_ddl",
    "amerge",
    "amerge_preview",
    "aahead_behind",
    "aunmerged_commits",
    "agraph",
    "aresolve_conflict",
    "arevert",
    "acherry_pick",
    "acheckout_commit",
    "adrop_commit_checkout",
    "ashow_object",
    "aobject_log",
    "acreate_data_branch",
    "adiff_data",
    "adata_branches",
    "arebase_data_branch",
    "adelete_data_branch",
    "averify",
    "aresolve",
    "atag",
    "atags",
    "adelete_tag",
    "areset",
    "areflog",
]

T = TypeVar("T")
logger = logging.getLogger("pggit")


# --- plumbing -------------------------------------------------------------------------------


@contextmanager
def reading(using: str) -> Iterator[None]:
    """A read: typed errors, in a savepoint so a refused input leaves the caller's transaction
    usable."""
    with translated_errors(), transaction.atomic(using=using):
        yield


@contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise a database error of the core as its typed :class:`PgGitError`."""
    try:
        yield
    except DatabaseError as exc:
        typed = from_database_error(exc)
        if typed is None:
            raise
        raise typed from exc


def _backoff(attempt: int) -> float:
    ceiling = min(conf.retry_backoff_max_seconds(), conf.retry_backoff_seconds() * 2**attempt)
    return random.uniform(0, ceiling)  # "full jitter": spreads retrying workers apart


def run_with_retry(using: str, operation: Callable[[], T]) -> T:
    """Run ``operation`` (which opens its own atomic block), retrying 40001/40P01."""
    attempts = 1 if connections[using].in_atomic_block else conf.retry_attempts()
    for attempt in range(1, attempts + 1):
        try:
            with translated_errors():
                return operation()
        except RetryableError as exc:
            if attempt == attempts:
                raise
            logger.info(
                "pggit: retrying after %s (attempt %d of %d)", exc.sqlstate, attempt, attempts
            )
            time.sleep(_backoff(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def _scalar(using: str, sql: str, params: list[Any]) -> Any:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _text(value: Any, what: str, error: type[PgGitError], *, optional: bool = False) -> Any:
    """Refuse non-strings and NUL characters before they reach the database."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise error(f"{what} must be a string, not {type(value).__name__}")
    if "\x00" in value:
        raise error(f"{what} must not contain NUL characters")
    return value


# --- public API -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """An uncommitted change of one object (see :func:`status`)."""

    object_key: str
    object_type: str
    change: str  # "added" | "modified" | "removed"
    detail: str | None


@dataclass(frozen=True)
class DiffEntry:
    """One changed object between two states (see :func:`diff`)."""

    object_key: str
    change: (
        str  # "added" | "removed" | "modified" | "rebuilt" (a view re-created for a view it uses)
    )
    detail: str | None
    ddl: list[str]


@dataclass(frozen=True)
class RowChange:
    """One row that differs between two branches' versions of a table (see :func:`diff_data`)."""

    key: dict[str, Any]
    change: str  # "added" | "removed" | "modified"
    changed_columns: list[str] | None
    a_row: dict[str, Any] | None
    b_row: dict[str, Any] | None


@dataclass(frozen=True)
class MergeResult:
    """What :func:`merge` did: status is "up-to-date", "fast-forward" or "merged"; or what
    :func:`cherry_pick` did: "picked", or a no-op: "already-applied" (the commit is already in
    the branch's history, or was picked onto it) or "empty" (the branch has the change)."""

    status: str
    merge_id: int | None
    commit_hash: str | None


@dataclass(frozen=True)
class Version:
    """A semantic version of a tracked object. ``committed`` is False when uncommitted DDL
    changed the object (or created it): the version is then the one the next commit records."""

    major: int
    minor: int
    patch: int
    full_version: str
    committed: bool = True

    def __str__(self) -> str:
        return self.full_version


def _commit_id(value: Any) -> str | None:
    """Refuse what the core cannot see or check: non-strings, NUL (PostgreSQL text has none)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidCommitId(
            f"invalid commit ID {value!r}: it must be a string, not {type(value).__name__}",
            hint="A commit ID is 1 to 255 characters with no control characters.",
        )
    if "\x00" in value:
        raise InvalidCommitId(
            f"invalid commit ID {value[:80]!r}: it contains a NUL character",
            hint="A commit ID is 1 to 255 characters with no control characters.",
        )
    return value


def commit(
    message: str,
    *,
    branch: str = "main",
    commit_id: str | None = None,
    author: str | None = None,
    full: bool = False,
    create: bool = True,
    using: str = DEFAULT_DB_ALIAS,
) -> Commit:
    """Record a commit on ``branch``, created from main's head if the name was never used
    (pgGit's behaviour, as ``pggit.commit_changes``); with ``create=False`` a branch that does
    not exist is refused (BranchNotFound) instead, as ``manage.py pggit_commit`` does.

    ``commit_id`` is an optional ID of the caller's own (1-255 characters, no control
    characters), unique across all commits: repeating a call with the same ID, branch and
    message returns the commit already made and writes nothing, so a client that lost the reply
    can safely retry; the same ID with another branch or message raises CommitIdInUse.

    ``full`` snapshots every object of the branch's workspace instead of following the captured
    DDL: use it after DDL the event triggers did not see (capture disabled, or
    ``session_replication_role = replica`` as in pg_restore), which :func:`status` shows.

    Returns the :class:`Commit`. Raises InvalidBranchName, BranchDeleted, BranchNotFound
    (``create=False``), InvalidMessage (also for a blank message unless
    ``PGGIT["ALLOW_EMPTY_MESSAGE"]``), InvalidAuthor, InvalidCommitId, CommitIdInUse, or
    RetryableError after the retries are spent.
    """
    _text(branch, "branch name", InvalidBranchName)
    _text(message, "message", InvalidMessage)
    _text(author, "author", InvalidAuthor, optional=True)
    _commit_id(commit_id)
    if not message.strip() and not conf.allow_empty_message():
        raise InvalidMessage(
            "a commit message needs a non-blank character",
            hint="Say what changed, e.g. 'Add invoices table'; "
            'PGGIT["ALLOW_EMPTY_MESSAGE"] = True allows blank messages.',
        )

    def operation() -> Commit:
        with transaction.atomic(using=using):
            if not create:  # a missing or deleted branch: find_branch raises its error
                _scalar(using, "SELECT (pggit.find_branch(%s)).id", [branch])
            commit_hash = _scalar(
                using,
                "SELECT pggit.commit_changes(%s, %s, %s, author => %s, full => %s)",
                [branch, message, commit_id, author, bool(full)],
            )
            return Commit.objects.using(using).select_related("branch").get(hash=commit_hash)

    return run_with_retry(using, operation)


def create_branch(
    name: str,
    from_branch: str = "main",
    *,
    data: str | list[str] = "none",
    using: str = DEFAULT_DB_ALIAS,
) -> Branch:
    """Create branch ``name`` at the commit ``from_branch`` names: any ref (a branch's head, a
    tag, ``HEAD``, a hash or unique prefix, ``ref~N``; ``from`` is reserved in Python and SQL,
    hence the name).

    ``data`` gives the branch ``from_branch``'s rows, copy-on-write (a data branch per table,
    in the same transaction, see ``pggit.create_branch_with_data``): "none" (structure only,
    the default), "all" (every table of ``from_branch``'s workspace), or a list of table names
    (``django_migrations`` is always added, so Django on the branch knows what is applied).
    Data comes from a branch's tables: with data, ``from_branch`` must be a branch name.
    Raises BranchExists, InvalidBranchName, RefNameCollision (a tag has the name),
    BranchNotFound or BranchDeleted (for a ``from_branch`` that is a name), CommitNotFound or
    AmbiguousRef (for any other ref); with data also SchemaNotTracked, TableNotFound,
    NotATable, NoPrimaryKey, InvalidTableName; InvalidArgument for another ``data``. Nothing
    is created on an error."""
    _text(name, "branch name", InvalidBranchName)
    _text(from_branch, "source ref", InvalidBranchName)
    tables: list[str] | None
    if data == "none":
        tables = []
    elif data == "all":
        tables = None
    elif isinstance(data, (list, tuple)) and data:
        tables = [_text(t, "table name", InvalidTableName) for t in data]
    else:
        raise InvalidArgument(
            f'data must be "all", "none" or a non-empty list of table names, not {data!r}'
        )

    def operation() -> Branch:
        with transaction.atomic(using=using):
            params: list[Any] = [name, from_branch]
            if tables == []:
                sql = "SELECT (pggit.create_branch(%s, %s)).id"
            else:
                sql = "SELECT (pggit.create_branch_with_data(%s, %s, %s::text[])).id"
                wanted = tables
                if (
                    tables is not None
                    and MIGRATIONS_TABLE not in tables
                    and _has_table(using, from_branch, MIGRATIONS_TABLE)
                ):
                    wanted = [*tables, MIGRATIONS_TABLE]
                params.append(wanted)
            return Branch.objects.using(using).get(pk=_scalar(using, sql, params))

    return run_with_retry(using, operation)


#: Django's record of applied migrations: a branch with data always reads main's, so Django on
#: the branch knows what is applied (and the branch's own records merge back with its schema)
MIGRATIONS_TABLE = "django_migrations"


def _has_table(using: str, branch: str, table: str) -> bool:
    return bool(
        _scalar(
            using,
            "SELECT EXISTS (SELECT 1 FROM pggit.branch_namespaces((pggit.find_branch(%s)).id) n"
            " JOIN pg_catalog.pg_class c ON c.relnamespace = n.namespace"
            " WHERE c.relname = %s AND c.relkind = 'r')",
            [branch, table],
        )
    )


def delete_branch(name: str, *, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> Branch:
    """Soft-delete branch ``name``; its history stays. Raises ProtectedBranch for main,
    UnmergedCommits unless ``force``, BranchNotFound or BranchDeleted."""
    _text(name, "branch name", InvalidBranchName)
    if not isinstance(force, bool):
        raise InvalidArgument(f"force must be a bool, not {type(force).__name__}")

    def operation() -> Branch:
        with transaction.atomic(using=using):
            branch_id = _scalar(using, "SELECT (pggit.delete_branch(%s, %s)).id", [name, force])
            return Branch.objects.using(using).get(pk=branch_id)

    return run_with_retry(using, operation)


def get_branch(name: str, *, using: str = DEFAULT_DB_ALIAS) -> Branch:
    """The live branch called ``name``. Raises BranchNotFound or BranchDeleted."""
    _text(name, "branch name", InvalidBranchName)
    with reading(using):
        branch_id = _scalar(using, "SELECT (pggit.find_branch(%s)).id", [name])
    return Branch.objects.using(using).get(pk=branch_id)


def log(branch: str = "main", limit: int = 100, *, using: str = DEFAULT_DB_ALIAS) -> list[Commit]:
    """The history of ``branch``, newest first, following first parents (at most ``limit``)."""
    _text(branch, "branch name", InvalidBranchName)
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise InvalidArgument(f"limit must be an int, not {type(limit).__name__}")
    with reading(using):
        commits = list(
            Commit.objects.using(using).raw(
                "SELECT c.* FROM pggit.log(%s, %s) AS l JOIN pggit.commits AS c USING (hash)"
                " ORDER BY l.depth",
                [branch, limit],
            )
        )
    prefetch_related_objects(commits, "branch")
    return commits


@contextmanager
def author(name: str, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Attribute the commits made inside the block to ``name``.

    Opens a transaction (or savepoint) and sets ``pggit.author`` transaction-locally
    (``set_config(..., true)``), so the setting cannot leak to other requests sharing the
    connection; on exit the previous value comes back (an error rolls it back with the
    savepoint). Works as a decorator too.
    """
    _text(name, "author", InvalidAuthor)
    with transaction.atomic(using=using):
        previous = _scalar(using, "SELECT current_setting('pggit.author', true)", [])
        _scalar(using, "SELECT set_config('pggit.author', %s, true)", [name])
        yield
        _scalar(using, "SELECT set_config('pggit.author', %s, true)", [previous or ""])


def schema_hash(table: str, *, using: str = DEFAULT_DB_ALIAS) -> str | None:
    """SHA-256 of ``table``'s normalized definition ("name" or "schema.name"), or None when
    the table does not exist. Raises InvalidTableName, NotATable."""
    _text(table, "table name", InvalidTableName)
    with reading(using):
        return cast(str | None, _scalar(using, "SELECT pggit.calculate_schema_hash(%s)", [table]))


def status(branch: str | None = None, *, using: str = DEFAULT_DB_ALIAS) -> list[Change]:
    """Uncommitted changes of ``branch``'s workspace (default: the current branch)."""
    _text(branch, "branch name", InvalidBranchName, optional=True)
    with reading(using), connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT object_key, object_type, change, detail FROM pggit.status(%s)", [branch]
        )
        return [Change(*row) for row in cursor.fetchall()]


def show(commit: str, *, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """A commit in full: ``{"commit", "tree", "changes", "ddl"}`` (see ``pggit.show``).
    ``commit`` is a hash or a unique prefix. Raises CommitNotFound."""
    _text(commit, "commit", CommitNotFound)
    with reading(using):
        return cast(dict[str, Any], _json(_scalar(using, "SELECT pggit.show(%s)", [commit])))


def _json(value: Any) -> Any:
    """A jsonb result: psycopg decodes it unless a connection option turned that off."""
    return json.loads(value) if isinstance(value, str) else value


def get_version(table: str, *, using: str = DEFAULT_DB_ALIAS) -> Version | None:
    """The semantic version of a tracked table on the current branch, or None when no such
    table exists there. For a table uncommitted DDL created or changed, the version the next
    commit will record, with ``committed=False``."""
    _text(table, "table name", InvalidTableName)
    with reading(using), connections[using].cursor() as cursor:
        cursor.execute("SELECT * FROM pggit.get_version(%s)", [table])
        row = cursor.fetchone()
    return Version(*row) if row else None


def current_branch(*, using: str = DEFAULT_DB_ALIAS) -> str:
    """The branch this connection's session works on (``pggit.current_branch()``)."""
    with reading(using):
        return cast(str, _scalar(using, "SELECT pggit.current_branch()", []))


@contextmanager
def checkout(name: str, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[str]:
    """Work on branch ``name`` inside the block: its namespaces lead the session's
    search_path, DDL goes to its workspace and is attributed to it. The previous branch and
    search_path come back on exit, also when the block raises. Yields the branch name.
    Raises BranchNotFound, BranchDeleted, InvalidBranchName.
    """
    _text(name, "branch name", InvalidBranchName)
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('search_path'), current_setting('pggit.branch', true)"
        )
        previous_path, previous_branch = cursor.fetchone()
    with reading(using):
        _scalar(using, "SELECT pggit.checkout(%s)", [name])
    try:
        yield name
    finally:
        connection = connections[using]
        # In an aborted transaction the settings come back with its rollback.
        if not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('search_path', %s, false),"
                    " set_config('pggit.branch', %s, false)",
                    [previous_path, previous_branch or ""],
                )


def diff(a: str, b: str, *, using: str = DEFAULT_DB_ALIAS) -> list[DiffEntry]:
    """The objects that differ between ``a`` and ``b`` (branches or commit hashes)."""
    _text(a, "ref", CommitNotFound)
    _text(b, "ref", CommitNotFound)
    with reading(using), connections[using].cursor() as cursor:
        cursor.execute("SELECT object_key, change, detail, ddl FROM pggit.diff(%s, %s)", [a, b])
        return [DiffEntry(*row) for row in cursor.fetchall()]


def diff_ddl(a: str, b: str, *, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The DDL script, in dependency order, that turns ``a``'s schema into ``b``'s."""
    _text(a, "ref", CommitNotFound)
    _text(b, "ref", CommitNotFound)
    with reading(using), connections[using].cursor() as cursor:
        cursor.execute("SELECT statement FROM pggit.diff_ddl(%s, %s)", [a, b])
        return [row[0] for row in cursor.fetchall()]


def _conflicts(using: str, merge_id: int) -> list[dict[str, Any]]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT object_key, kind, detail FROM pggit.merge_conflicts"
            " WHERE merge_id = %s AND resolution IS NULL ORDER BY object_key",
            [merge_id],
        )
        return [{"object": k, "kind": kind, "detail": d} for k, kind, d in cursor.fetchall()]


def merge(
    source: str, target: str = "main", *, message: str | None = None, using: str = DEFAULT_DB_ALIAS
) -> MergeResult:
    """Merge ``source`` into ``target`` (see ``pggit.merge``).

    Raises :class:`MergeConflict` (with ``merge_id`` and ``conflicts``) when objects changed
    differently on both sides: the conflicts are recorded (committed) and nothing is applied;
    resolve them with :func:`resolve_conflict`. Also SameBranch, UncommittedChanges,
    BranchNotFound, BranchDeleted.
    """
    _text(source, "branch name", InvalidBranchName)
    _text(target, "branch name", InvalidBranchName)
    _text(message, "message", InvalidMessage, optional=True)

    def operation() -> tuple[str, int | None, str | None, int]:
        with transaction.atomic(using=using):
            with connections[using].cursor() as cursor:
                cursor.execute("SELECT * FROM pggit.merge(%s, %s, %s)", [source, target, message])
                return cast(tuple[str, int | None, str | None, int], cursor.fetchone())

    status, merge_id, commit_hash, conflicts = run_with_retry(using, operation)
    if status == "conflicts":  # raised after the transaction committed the record
        assert merge_id is not None  # the core records every merge that stops on conflicts
        found = _conflicts(using, merge_id)
        raise MergeConflict(
            f"merging {source!r} into {target!r} stopped on {conflicts} conflict(s): "
            + ", ".join(c["object"] for c in found),
            hint=(
                f"Resolve them with pggit.api.resolve_conflict({merge_id}, object,"
                " 'ours'|'theirs'|ddl)."
            ),
            merge_id=merge_id,
            conflicts=found,
        )
    return MergeResult(status, merge_id, commit_hash)


def merge_preview(
    source: str, target: str = "main", *, using: str = DEFAULT_DB_ALIAS
) -> dict[str, Any]:
    """What :func:`merge` would do now, without doing it (see ``pggit.merge_preview``): a dict
    with ``mode``, ``base``, ``objects`` (object, outcome, conflict), ``ddl`` (statements for
    the target), ``data`` (table, rows, conflicts) and the total ``conflicts``."""
    _text(source, "branch name", InvalidBranchName)
    _text(target, "branch name", InvalidBranchName)
    with reading(using):
        # plan_merge stores combined table definitions (content-addressed, so harmless); the
        # savepoint of reading() is released, not rolled back, so they are reused by merge().
        preview = _json(_scalar(using, "SELECT pggit.merge_preview(%s, %s)", [source, target]))
        return cast(dict[str, Any], preview)


def ahead_behind(
    branch: str, other: str = "main", *, using: str = DEFAULT_DB_ALIAS
) -> tuple[int, int]:
    """(ahead, behind): commits ``branch`` has that ``other`` lacks, and the reverse."""
    _text(branch, "branch name", InvalidBranchName)
    _text(other, "branch name", InvalidBranchName)
    with reading(using), connections[using].cursor() as cursor:
        cursor.execute("SELECT ahead, behind FROM pggit.ahead_behind(%s, %s)", [branch, other])
        ahead, behind = cursor.fetchone()
    return int(ahead), int(behind)


def unmerged_commits(branch: str, *, using: str = DEFAULT_DB_ALIAS) -> list[Commit]:
    """The commits of ``branch`` no other live branch reaches (what a forced delete orphans),
    newest first."""
    _text(branch, "branch name", InvalidBranchName)
    with reading(using):
        return list(
            Commit.objects.using(using).raw(
                # in the function's order (newest first): ordered by c.id, the join could be
                # planned as a walk of every commit in id order
                "SELECT c.* FROM pggit.unmerged_commit_hashes((pggit.find_branch(%s)).id)"
                " WITH ORDINALITY u(hash, n) JOIN pggit.commits c USING (hash) ORDER BY u.n",
                [branch],
            )
        )


def graph(
    branch: str | None = None,
    page: int = 1,
    page_size: int = 50,
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> GraphPage:
    """One page of the commit graph, newest first (one query, ``pggit.graph()``): every commit,
    or with ``branch`` the commits its head reaches. A page past the last is the last page;
    ``total`` is None when only the part of a branch's history the page needs was walked.
    :func:`pggit.graph.layout` places it in rows and lanes."""
    _text(branch, "branch name", InvalidBranchName, optional=True)
    for value, what in ((page, "page"), (page_size, "page_size")):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidArgument(f"{what} must be an int, not {type(value).__name__}")
    with reading(using), connections[using].cursor() as cursor:
        cursor.execute("SELECT * FROM pggit.graph(%s, %s, %s)", [branch, page, page_size])
        rows = cursor.fetchall()
    commits: list[GraphCommit] = []
    incoming: list[GraphCommit] = []
    total: int | None = 0
    shown, current = 1, "main"
    for on_page, id_, hash_, parent, merge_parent, name, author_, message, at, heads, *rest in rows:
        total, shown, current = rest
        parents = tuple(p for p in (parent, merge_parent) if p is not None)
        commit = GraphCommit(id_, hash_, parents, name, author_, message, at, tuple(heads))
        (commits if on_page else incoming).append(commit)
    if not rows:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT pggit.current_branch()")
            current = cursor.fetchone()[0]
        shown = 1
    return GraphPage(commits, incoming, branch, shown, page_size, total, current)


def resolve_conflict(
    merge_id: int, object_key: str, resolution: str, *, using: str = DEFAULT_DB_ALIAS
) -> str | None:
    """Resolve one conflict with "ours", "theirs" or DDL; returns the merge commit's hash when
    that was the last one (the merge then completes), else None."""
    if not isinstance(merge_id, int) or isinstance(merge_id, bool):
        raise InvalidArgument(f"merge_id must be an int, not {type(merge_id).__name__}")
    _text(object_key, "object", ConflictNotFound)
    _text(resolution, "resolution", InvalidArgument)

    def operation() -> str | None:
        with transaction.atomic(using=using):
            return cast(
                str | None,
                _scalar(
                    using,
                    "SELECT pggit.resolve_conflict(%s, %s, %s)",
                    [merge_id, object_key, resolution],
                ),
            )

    return run_with_retry(using, operation)


def revert(commit: str, *, parent: int | None = None, using: str = DEFAULT_DB_ALIAS) -> Commit:
    """A new commit undoing ``commit`` on its branch (``parent`` 1 or 2 for a merge commit).
    Raises MergeConflict when later commits changed the same objects (nothing applied)."""
    _text(commit, "commit", CommitNotFound)
    if parent is not None and (not isinstance(parent, int) or isinstance(parent, bool)):
        raise InvalidArgument(f"parent must be 1, 2 or None, not {parent!r}")

    def operation() -> Commit:
        with transaction.atomic(using=using):
            commit_hash = _scalar(using, "SELECT pggit.revert(%s, %s)", [commit, parent])
            return Commit.objects.using(using).select_related("branch").get(hash=commit_hash)

    return run_with_retry(using, operation)


def _raise_conflicts(merge_id: int, conflicts: int, what: str, using: str) -> None:
    found = _conflicts(using, merge_id)
    raise MergeConflict(
        f"{what} stopped on {conflicts} conflict(s): " + ", ".join(c["object"] for c in found),
        hint=(
            f"Resolve them with pggit.api.resolve_conflict({merge_id}, object,"
            " 'ours'|'theirs'|ddl)."
        ),
        merge_id=merge_id,
        conflicts=found,
    )


def cherry_pick(
    commit: str,
    onto_branch: str,
    *,
    parent: int | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> MergeResult:
    """Apply ``commit``'s schema change (against its first parent, or ``parent`` 1 or 2 for a
    merge commit) to ``onto_branch`` as a new commit naming the original (see
    ``pggit.cherry_pick``). A commit already on the branch, or a change the branch already has,
    is a no-op: the result's status says so ("already-applied", "empty") and nothing changes.

    Raises :class:`MergeConflict` (with ``merge_id`` and ``conflicts``) when the branch changed
    the same objects differently: the conflicts are recorded and nothing is applied; resolve
    them with :func:`resolve_conflict`. Also CommitNotFound, MergeParentRequired,
    InvalidArgument, UncommittedChanges, BranchNotFound, BranchDeleted.
    """
    _text(commit, "commit", CommitNotFound)
    _text(onto_branch, "branch name", InvalidBranchName)
    if parent is not None and (not isinstance(parent, int) or isinstance(parent, bool)):
        raise InvalidArgument(f"parent must be 1, 2 or None, not {parent!r}")

    def operation() -> tuple[str, int | None, str | None, int]:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            # the core's locks, taken first in the same order: the picked commit's branch and
            # the target, by primary key (an unknown ref or branch is reported by the core)
            cursor.execute(
                "SELECT c.branch_id FROM pggit.commits c WHERE c.hash = pggit.resolve_commit(%s)",
                [commit],
            )
            found = cursor.fetchone()
            ids = {found[0]} if found else set()
            ids |= {
                b.pk
                for b in Branch.objects.using(using)
                .filter(name=onto_branch)
                .exclude(status=Branch.Status.DELETED)
            }
            list(Branch.objects.using(using).select_for_update().filter(pk__in=ids).order_by("pk"))
            cursor.execute(
                "SELECT * FROM pggit.cherry_pick(%s, %s, %s)", [commit, onto_branch, parent]
            )
            return cast(tuple[str, int | None, str | None, int], cursor.fetchone())

    status, merge_id, commit_hash, conflicts = run_with_retry(using, operation)
    if status == "conflicts":  # raised after the transaction committed the record
        assert merge_id is not None
        _raise_conflicts(
            merge_id, conflicts, f"cherry-picking {commit!r} onto {onto_branch!r}", using
        )
    return MergeResult(status, merge_id, commit_hash)


def checkout_commit(ref: str, *, using: str = DEFAULT_DB_ALIAS) -> dict[str, str]:
    """Materialize commit ``ref``'s schema read-only (see ``pggit.checkout_commit``): returns
    ``{logical schema: namespace}``; its tables are empty and refuse writes
    (:class:`CheckoutReadOnly`). Idempotent. Raises CommitNotFound, CheckoutNamespaceTaken."""
    _text(ref, "commit", CommitNotFound)

    def operation() -> dict[str, str]:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute("SELECT logical_schema, namespace FROM pggit.checkout_commit(%s)", [ref])
            return dict(cursor.fetchall())

    return run_with_retry(using, operation)


def drop_commit_checkout(ref: str, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Drop commit ``ref``'s read-only checkout; returns the number of namespaces dropped (0
    when it was not checked out). Raises CommitNotFound."""
    _text(ref, "commit", CommitNotFound)

    def operation() -> int:
        with transaction.atomic(using=using):
            return int(_scalar(using, "SELECT pggit.drop_commit_checkout(%s)", [ref]))

    return run_with_retry(using, operation)


def show_object(ref: str, object_key: str, *, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """One object as commit ``ref`` stored it: ``{"commit", "object_key", "object_type",
    "object_hash", "definition", "ddl"}`` (see ``pggit.show_object``). Raises CommitNotFound,
    InvalidObjectKey, ObjectNotFound."""
    _text(ref, "commit", CommitNotFound)
    _text(object_key, "object key", InvalidObjectKey)
    with reading(using):
        shown = _json(_scalar(using, "SELECT pggit.show_object(%s, %s)", [ref, object_key]))
        return cast(dict[str, Any], shown)


@dataclass(frozen=True)
class ObjectLogEntry:
    """One commit that changed an object (see :func:`object_log`)."""

    hash: str
    committed_at: datetime
    author: str
    message: str
    change: str  # "added" | "modified" | "removed"
    detail: str | None
    version: str  # the object's semantic version after the commit
    object_hash: str | None  # its definition after the commit (None: removed)


def object_log(
    object_key: str, branch: str = "main", *, using: str = DEFAULT_DB_ALIAS
) -> list[ObjectLogEntry]:
    """The commits of ``branch``'s first-parent history that changed ``object_key`` (e.g.
    ``"table:public.users"``), newest first (see ``pggit.object_log``). Raises
    InvalidObjectKey, ObjectNotFound, BranchNotFound, InvalidBranchName."""
    _text(object_key, "object key", InvalidObjectKey)
    _text(branch, "branch name", InvalidBranchName)
    with reading(using), connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT hash, committed_at, author, message, change, detail, version, object_hash"
            " FROM pggit.object_log(%s, %s)",
            [object_key, branch],
        )
        return [ObjectLogEntry(*row) for row in cursor.fetchall()]


def create_data_branch(
    table: str,
    from_branch: str,
    to_branch: str,
    *,
    create: bool = True,
    using: str = DEFAULT_DB_ALIAS,
) -> str:
    """Give ``to_branch`` its own copy-on-write rows of ``table``; returns the qualified name to
    read and write them through. Idempotent. ``to_branch`` is created from ``from_branch`` if it
    does not exist (as ``pggit.create_data_branch`` does); with ``create=False`` that is refused
    (BranchNotFound), as ``manage.py pggit_data_branch create`` does without ``--create``.

    A table created or changed on ``from_branch`` and not committed yet is committed there first
    when ``to_branch`` is new (as ``pggit.create_data_branch`` does). Raises TableNotFound,
    NotATable, NoPrimaryKey, SchemaNotTracked, InvalidDataBranchTarget, StructureDiffers."""
    _text(table, "table name", InvalidTableName)
    _text(from_branch, "branch name", InvalidBranchName)
    _text(to_branch, "branch name", InvalidBranchName)

    def operation() -> str:
        with transaction.atomic(using=using):
            if not create:  # a missing or deleted branch: find_branch raises its error
                _scalar(using, "SELECT (pggit.find_branch(%s)).id", [to_branch])
            return cast(
                str,
                _scalar(
                    using,
                    "SELECT pggit.create_data_branch(%s, %s, %s)",
                    [table, from_branch, to_branch],
                ),
            )

    return run_with_retry(using, operation)


def diff_data(table: str, a: str, b: str, *, using: str = DEFAULT_DB_ALIAS) -> list[RowChange]:
    """Rows added, removed and modified between branch ``a``'s and ``b``'s versions of ``table``.

    Values keep their column's type: numeric as :class:`~decimal.Decimal` (exact), date, time
    and timestamp as :mod:`datetime` objects, uuid as :class:`~uuid.UUID`, json and jsonb as
    the decoded structure. Raises NoDataBranch when a side other than main has no data branch
    of the table."""
    _text(table, "table name", InvalidTableName)
    _text(a, "branch name", InvalidBranchName)
    _text(b, "branch name", InvalidBranchName)
    with reading(using), connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT key::text, change, changed_columns, a_row::text, b_row::text"
            "  FROM pggit.diff_data(%s, %s, %s)",
            [table, a, b],
        )
        rows = cursor.fetchall()
        if not rows:
            return []
        cursor.execute(COLUMN_TYPES, [table, a])
        types = dict(cursor.fetchall())
    return [
        RowChange(
            _typed_row(key, types) or {},
            change,
            columns,
            _typed_row(a_row, types),
            _typed_row(b_row, types),
        )
        for key, change, columns, a_row, b_row in rows
    ]


# The column -> type name (a domain's base type) of a branch's version of a table.
COLUMN_TYPES = """
SELECT a.attname::text, coalesce(nullif(b.typname, ''), t.typname)::text
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype AND t.typtype = 'd'
 WHERE a.attrelid = (pggit.branch_relation(%s, pggit.find_branch(%s))).relation::regclass
   AND a.attnum > 0 AND NOT a.attisdropped
"""

_FROM_JSON: dict[str, Callable[[Any], Any]] = {
    "numeric": lambda v: Decimal(str(v)),
    "date": date.fromisoformat,
    "time": time_of_day.fromisoformat,
    "timetz": time_of_day.fromisoformat,
    "timestamp": datetime.fromisoformat,
    "timestamptz": datetime.fromisoformat,
    "uuid": uuid.UUID,
}


def _typed_row(text: str | None, types: dict[str, str]) -> dict[str, Any] | None:
    """A row as to_jsonb() wrote it, decoded without loss (numbers as Decimal first, so
    numeric(20,2) keeps 99.00), each value then given its column's Python type."""
    if text is None:
        return None
    row = json.loads(text, parse_float=Decimal)
    typed: dict[str, Any] = {}
    for column, value in row.items():
        kind = types.get(column, "")
        convert = _FROM_JSON.get(kind)
        if value is None:
            typed[column] = None
        elif convert is not None:
            try:
                typed[column] = convert(value)
            except ValueError:  # infinity dates and the like stay as PostgreSQL wrote them
                typed[column] = value
        else:
            typed[column] = _plain_numbers(value)
    return typed


def _plain_numbers(value: Any) -> Any:
    """Numbers of a column that is not numeric (float, json...) as json.loads gives them
    (float, not the Decimal the row was first decoded with)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(v) for v in value]
    return value


def data_branches(
    branch: str | None = None, *, using: str = DEFAULT_DB_ALIAS
) -> list[dict[str, Any]]:
    """Live data branches (of ``branch``, or all) with counts of rows written and deleted on
    the branch and of source rows changed since the branch point, and ``stale``: why the data
    branch must be rebased or deleted before it is read or merged (None when it need not).
    Raises BranchNotFound or BranchDeleted for a ``branch`` that is not live."""
    _text(branch, "branch name", InvalidBranchName, optional=True)
    with reading(using), connections[using].cursor() as cursor:
        if branch is not None:  # a branch that does not exist is an error, not "none"
            cursor.execute("SELECT (pggit.find_branch(%s)).id", [branch])
        cursor.execute("SELECT * FROM pggit.list_data_branches(%s)", [branch])
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def rebase_data_branch(table: str, branch: str, *, using: str = DEFAULT_DB_ALIAS) -> str:
    """Bring ``branch``'s stale data branch of ``table`` onto its source's new structure
    (``pggit.rebase_data_branch``); returns the qualified name of the branch's table. Raises
    DataBranchNotFound, DataBranchSourceDropped, RebaseRefused (nothing changed)."""
    _text(table, "table name", InvalidTableName)
    _text(branch, "branch name", InvalidBranchName)

    def operation() -> str:
        with transaction.atomic(using=using):
            return cast(
                str, _scalar(using, "SELECT pggit.rebase_data_branch(%s, %s)", [table, branch])
            )

    return run_with_retry(using, operation)


def delete_data_branch(table: str, branch: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """End ``branch``'s data branch of ``table``: its rows go, the branch stays. Raises
    DataBranchNotFound."""
    _text(table, "table name", InvalidTableName)
    _text(branch, "branch name", InvalidBranchName)

    def operation() -> None:
        with transaction.atomic(using=using):
            _scalar(using, "SELECT pggit.delete_data_branch(%s, %s)", [table, branch])

    run_with_retry(using, operation)


@dataclass(frozen=True)
class Finding:
    """One integrity problem found by :func:`verify`."""

    check: str
    subject: str
    detail: str


def verify(*, using: str = DEFAULT_DB_ALIAS) -> list[Finding]:
    """Check history and pggit's objects (``pggit.verify()``); an empty list means all holds."""
    with reading(using), connections[using].cursor() as cursor:
        cursor.execute('SELECT "check", subject, detail FROM pggit.verify()')
        return [Finding(*row) for row in cursor.fetchall()]


def resolve(ref: str, *, using: str = DEFAULT_DB_ALIAS) -> str:
    """The full hash of the commit ``ref`` names: a branch, a tag, ``HEAD`` (the current
    branch's head), a full hash or a unique prefix of 7+ hex digits, each optionally followed
    by ``~N`` (N first parents back). Raises CommitNotFound, AmbiguousRef (the message lists
    the candidates)."""
    _text(ref, "ref", CommitNotFound)
    with reading(using):
        return cast(str, _scalar(using, "SELECT pggit.resolve(%s)", [ref]))


def tag(
    name: str,
    commit: str = "main",
    *,
    message: str | None = None,
    force: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> Tag:
    """Tag the commit ``commit`` names (any ref; default main's head) as ``name``. Tags are
    immutable: tagging another commit with an existing name raises TagExists unless
    ``force``; the same commit again is a no-op. Raises InvalidTagName, RefNameCollision (a
    live branch has the name), CommitNotFound, AmbiguousRef, InvalidMessage."""
    _text(name, "tag name", InvalidTagName)
    _text(commit, "ref", CommitNotFound)
    _text(message, "message", InvalidMessage, optional=True)
    if not isinstance(force, bool):
        raise InvalidArgument(f"force must be a bool, not {type(force).__name__}")

    def operation() -> Tag:
        with transaction.atomic(using=using):
            _scalar(using, "SELECT pggit.tag(%s, %s, %s, %s)", [name, commit, message, force])
            return Tag.objects.using(using).select_related("commit").get(name=name)

    return run_with_retry(using, operation)


def tags(*, using: str = DEFAULT_DB_ALIAS) -> list[Tag]:
    """Every tag, by name (with its commit)."""
    with reading(using):
        return list(Tag.objects.using(using).select_related("commit").order_by("name"))


def delete_tag(name: str, *, using: str = DEFAULT_DB_ALIAS) -> str:
    """Delete tag ``name``; returns the hash of the commit it named (the commit stays).
    Raises TagNotFound, InvalidTagName."""
    _text(name, "tag name", InvalidTagName)

    def operation() -> str:
        with transaction.atomic(using=using):
            return cast(str, _scalar(using, "SELECT pggit.delete_tag(%s)", [name]))

    return run_with_retry(using, operation)


def reset(
    branch: str,
    to: str,
    *,
    mode: str = "soft",
    force: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> Branch:
    """Move ``branch``'s head to the commit ``to`` names (any ref), see ``pggit.reset``.

    ``mode="soft"`` moves the head only (the workspace's differences become uncommitted
    changes); ``mode="hard"`` also brings the workspace to that commit's schema, discards
    uncommitted changes and the rows written on the branch's data branches. main needs
    ``force=True``. The commits after the new head stay readable by hash and in
    :func:`reflog`. Raises ProtectedBranch, BranchNotFound, BranchDeleted, InvalidArgument
    (mode), CommitNotFound, AmbiguousRef, UncommittedChanges (hard reset of main).
    """
    _text(branch, "branch name", InvalidBranchName)
    _text(to, "ref", CommitNotFound)
    _text(mode, "mode", InvalidArgument)
    if not isinstance(force, bool):
        raise InvalidArgument(f"force must be a bool, not {type(force).__name__}")

    def operation() -> Branch:
        with transaction.atomic(using=using):
            _scalar(using, "SELECT pggit.reset(%s, %s, %s, %s)", [branch, to, mode, force])
            return Branch.objects.using(using).exclude(status="DELETED").get(name=branch)

    return run_with_retry(using, operation)


def reflog(
    branch: str = "main", limit: int = 100, *, using: str = DEFAULT_DB_ALIAS
) -> list[ReflogEntry]:
    """The moves of ``branch``'s head, newest first (at most ``limit``): operation, old and new
    head, role, author, reason, time. A deleted branch's reflog stays readable."""
    _text(branch, "branch name", InvalidBranchName)
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise InvalidArgument(f"limit must be an int, not {type(limit).__name__}")
    with reading(using):
        entries = list(
            ReflogEntry.objects.using(using).raw(
                "SELECT r.* FROM pggit.reflog(%s, %s) AS l JOIN pggit.reflog AS r USING (id)"
                " ORDER BY r.id DESC",
                [branch, limit],
            )
        )
    prefetch_related_objects(entries, "branch")
    return entries


# --- async variants -------------------------------------------------------------------------


def _awaitable(function: Callable[..., T]) -> Callable[..., Any]:
    """An ``a``-prefixed coroutine twin of a sync API function. It runs the sync function in
    Django's thread-sensitive executor, so it uses that thread's connection and transaction
    handling exactly as the sync call does."""
    runner = sync_to_async(function, thread_sensitive=True)

    async def coroutine(*args: Any, **kwargs: Any) -> T:
        return await runner(*args, **kwargs)

    coroutine.__name__ = coroutine.__qualname__ = f"a{function.__name__}"
    coroutine.__doc__ = f"Async variant of :func:`{function.__name__}` (a coroutine function)."
    return coroutine


acommit = _awaitable(commit)
acreate_branch = _awaitable(create_branch)
adelete_branch = _awaitable(delete_branch)
aget_branch = _awaitable(get_branch)
alog = _awaitable(log)
astatus = _awaitable(status)
ashow = _awaitable(show)
aschema_hash = _awaitable(schema_hash)
aget_version = _awaitable(get_version)
acurrent_branch = _awaitable(current_branch)
adiff = _awaitable(diff)
adiff_ddl = _awaitable(diff_ddl)
amerge = _awaitable(merge)
amerge_preview = _awaitable(merge_preview)
aahead_behind = _awaitable(ahead_behind)
aunmerged_commits = _awaitable(unmerged_commits)
agraph = _awaitable(graph)
aresolve_conflict = _awaitable(resolve_conflict)
arevert = _awaitable(revert)
acherry_pick = _awaitable(cherry_pick)
acheckout_commit = _awaitable(checkout_commit)
adrop_commit_checkout = _awaitable(drop_commit_checkout)
ashow_object = _awaitable(show_object)
aobject_log = _awaitable(object_log)
acreate_data_branch = _awaitable(create_data_branch)
adiff_data = _awaitable(diff_data)
adata_branches = _awaitable(data_branches)
arebase_data_branch = _awaitable(rebase_data_branch)
adelete_data_branch = _awaitable(delete_data_branch)
averify = _awaitable(verify)
aresolve = _awaitable(resolve)
atag = _awaitable(tag)
atags = _awaitable(tags)
adelete_tag = _awaitable(delete_tag)
areset = _awaitable(reset)
areflog = _awaitable(reflog)
