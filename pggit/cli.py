"""What the management commands say, in a ``manage.py`` user's words.

Shared by every command (through :class:`pggit.management.base.PgGitCommand`) and by anything
else that reports pggit's errors on a terminal:

- :func:`command_hint` turns the SQL core's hints ("List branches with: SELECT name FROM
  pggit.branches ...", "delete with force => true") into commands and flags ("List branches
  with: manage.py pggit_branch list", "--force");
- :func:`error_line` is the one line a command prints for a pggit error;
- :func:`database_error_line` the one line for a database that does not answer;
- :func:`dash_hint` the hint for a name that starts with "-" (argparse reads it as an option).

Commands that need a hint of their own (e.g. ``--create`` for a branch that does not exist)
pass it to :func:`error_line`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pggit.exceptions import HintContext, PgGitError, translate_hint

#: The core's hints that speak SQL -> the same advice as commands and flags. A pattern matches
#: the start of the SQL hint; tests/test_hints.py checks that every SQL-speaking HINT of
#: pggit/sql/ has a translation here and in pggit.exceptions.PYTHON_HINTS.
COMMAND_HINTS: list[tuple[str, Callable[[HintContext], str]]] = [
    (
        r"Create it again with pggit\.create_branch\(\)",
        lambda c: (
            f"Create it again with: manage.py pggit_branch create {_arg(c.branch)} "
            "(its old history is kept)."
        ),
    ),
    (r"List branches with: SELECT", lambda c: "List branches with: manage.py pggit_branch list"),
    (
        r"Merge it first, or delete with force => true",
        lambda c: (
            f"Merge it first (manage.py pggit_merge {_arg(c.branch)}), or delete it with "
            "--force to discard them (history is kept)."
        ),
    ),
    (r"List commits with: SELECT", lambda c: "List commits with: manage.py pggit_log"),
    (r"Pass a positive number of commits to show", lambda c: "Pass a positive --limit."),
    (
        r"Commit them first: SELECT pggit\.commit_changes",
        lambda c: f"Commit them first: manage.py pggit_commit --branch {_arg(c.branch)} -m '...'",
    ),
    (
        r"Create one first: SELECT pggit\.create_data_branch\(",
        lambda c: (
            "Create one first: manage.py pggit_data_branch create "
            f"{_arg(c.table)} --to {_arg(c.branch)}"
        ),
    ),
    (r"Run pggit\.merge\(\) again", lambda c: "Merge again: manage.py pggit_merge SOURCE TARGET"),
    (
        r"Resolve it with pggit\.resolve_conflict\(",
        lambda c: (
            f"Resolve it with: manage.py pggit_merge --resolve {c.merge} OBJECT "
            f"ours|theirs|{'ROW_JSON' if 'row json' in c.sql_hint else 'DDL'}"
        ),
    ),
    (
        r"List open merges: SELECT",
        lambda c: (
            "Merge again to start over: manage.py pggit_merge SOURCE TARGET "
            "(open merges are listed in the admin under Merges)."
        ),
    ),
    (
        r"E\.g\. SELECT pggit\.resolve_conflict\(",
        lambda c: "E.g. manage.py pggit_merge --resolve 7 table:public.users theirs",
    ),
    (
        r"SELECT object_key FROM pggit\.merge_conflicts",
        lambda c: (
            f"Pass an object merge {c.merge} stopped on, as manage.py pggit_merge listed "
            "it (e.g. table:public.users)."
        ),
    ),
    (
        r"Pass parent => 1",
        lambda c: (
            "Pass parent=1 (the branch merged into) or parent=2 (the merged branch) to "
            "pggit.api.revert()."
        ),
    ),
    (
        r"to_branch must be another branch",
        lambda c: "--to must name another branch than main and --from.",
    ),
    (
        r"Choose a parent: parent => 1",
        lambda c: (
            "Pass --parent 1 (the change the merge brought to its branch) or --parent 2 "
            "(the change against the merged branch)."
        ),
    ),
    (
        r"List its objects: SELECT",
        lambda c: "List its objects: manage.py pggit_show COMMIT --tree",
    ),
    (
        r"Object keys are as in a commit's tree",
        lambda c: (
            "Object keys are as in a commit's tree, e.g. table:public.users: "
            "manage.py pggit_show COMMIT --tree"
        ),
    ),
    (
        r"The default is ARRAY\['public'\]",
        lambda c: 'The default is PGGIT["TRACKED_SCHEMAS"] = ["public"] in settings.py.',
    ),
    (
        r"Check out a live branch first: SELECT pggit\.checkout\(",
        lambda c: "Name a live branch instead of HEAD, e.g. manage.py pggit_show main",
    ),
    (
        r"Commit first: SELECT pggit\.commit_changes\(",
        lambda c: f"Commit first: manage.py pggit_commit --branch {_arg(c.branch)} -m '...'",
    ),
    (
        r"List refs: SELECT",
        lambda c: (
            "List refs: manage.py pggit_branch list, manage.py pggit_tag list, manage.py pggit_log"
        ),
    ),
    (
        r"Tags are immutable: choose another name, or pass force => true",
        lambda c: "Tags are immutable: choose another name, or pass --force to move it.",
    ),
    (r"List tags with: SELECT", lambda c: "List tags with: manage.py pggit_tag list"),
    (
        r"Pass force => true to reset main",
        lambda c: (
            "Pass --force to reset main (the commits after the new head stay in"
            " manage.py pggit_log --reflog)."
        ),
    ),
    (
        r"Everything else works; commits read the catalog",
        lambda c: (
            "Everything else works; commits read the catalog every time. To turn capture "
            "on, a superuser runs SELECT pggit.enable_ddl_capture(); in manage.py dbshell "
            "(see docs/managed-postgresql.md)."
        ),
    ),
    (
        r"Create pggit_reader and pggit_writer as a privileged role",
        lambda c: (
            "Roles are optional: they only help grant access to pggit. To have them, a "
            "role with CREATEROLE runs CREATE ROLE pggit_reader NOLOGIN; CREATE ROLE pggit_writer "
            "NOLOGIN; then the package's pggit/sql/110_roles.sql runs again (\\i FILE in "
            "manage.py dbshell)."
        ),
    ),
]


def _arg(value: str) -> str:
    """A shell word for a name (quoted when it needs it)."""
    return value if re.fullmatch(r"[\w./@:+-]+", value) else "'" + value.replace("'", "'\\''") + "'"


def command_hint(sql_hint: str | None, message: str = "") -> str | None:
    """The core's hint as commands and flags (unchanged when it names no SQL)."""
    return translate_hint(COMMAND_HINTS, sql_hint, message)


def error_line(exc: PgGitError, hint: str | None = None) -> str:
    """The one line a command prints for ``exc``: its message and a hint in manage.py terms
    (``hint`` when given, else the core's hint translated, else the exception's own)."""
    if hint is None:
        hint = command_hint(exc.sql_hint, exc.message) if exc.sql_hint else exc.hint
    return exc.message + (f" (hint: {hint})" if hint else "")


def missing_branch_hint(exc: PgGitError, flag: str = "--create") -> str | None:
    """The hint for a branch a command will not create unasked: ``flag`` asks for it."""
    if exc.sqlstate != "PGB01":
        return None
    return f"pass {flag} to create it, or list branches with: manage.py pggit_branch list"


def database_error_line(exc: BaseException, alias: str) -> str:
    """One line for a database that cannot be reached (or went away): what psycopg said
    first, without its continuation lines."""
    text = " ".join(str(exc).split("\n")[0].split()) or type(exc).__name__
    return f"cannot use database {alias!r}: {text}"


def dash_hint(message: str, args: list[str], known_options: set[str]) -> str | None:
    """A hint for argparse's error ``message`` when a value starting with "-" (a branch called
    "-dash") was read as an option: how to pass it (``--branch=-dash``, ``-- -dash``)."""
    option = re.match(r"argument ([^:]+): expected one argument", message)
    if option:
        for name in option.group(1).split("/"):
            at = args.index(name) + 1 if name in args else len(args)
            if at < len(args) and args[at].startswith("-"):
                return f"a value that starts with '-' goes after '=': {name}={args[at]}"
    dashed = [
        a for a in args if a.startswith("-") and a != "--" and a.split("=")[0] not in known_options
    ]
    if not dashed or re.fullmatch(r"-\d+", dashed[0]):
        return None
    return (
        f"{dashed[0]} was read as an option: put names that start with '-' after '--', "
        f"e.g. -- {dashed[0]}"
    )
