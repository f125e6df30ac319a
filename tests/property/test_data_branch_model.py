"""Stateful property test: a data branch behaves like a dict copied at the branch point.

The model keeps the source and the branch as Python dicts (key -> (a, b)) plus the branch
point; random inserts, updates and deletes hit both sides through SQL. After every step the
branch's table equals the branch model and the source equals the source model (so no write
ever leaks across). A final merge must equal the model's 3-way merge, or report exactly the
model's conflicting keys and change nothing; after a merge the machine branches again. A
sibling data branch of the same table, made at the start and never merged, shares the branch's
store of delta and pre-image tables: its table must equal its own model throughout, whatever the
branch, its merges and the source do.

The second machine adds what happens to a source between writes (issue 20): VACUUM, VACUUM
FREEZE, VACUUM FULL and CLUSTER, no-op UPDATEs on either side, TRUNCATE (refused), and source
writes under session_replication_role = replica (pggit's triggers fire ALWAYS).
"""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from pggit import api
from pggit.exceptions import MergeConflict, PgGitError
from tests.helpers import run

KEYS = st.integers(min_value=1, max_value=8)
VALUES = st.one_of(st.none(), st.integers(min_value=0, max_value=2))


def read(relation: str) -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, a, b FROM {relation}")
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def three_way(base: dict, ours: dict, theirs: dict) -> tuple[dict, set]:
    """The model merge: (merged source, conflicting keys)."""
    merged, conflicts = dict(ours), set()
    for key in set(base) | set(ours) | set(theirs):
        b, o, t = base.get(key), ours.get(key), theirs.get(key)
        if t == b or o == t:
            continue
        if o == b:
            if t is None:
                merged.pop(key, None)
            else:
                merged[key] = t
        elif b is not None and o is not None and t is not None:
            ours_cols = {i for i in range(2) if o[i] != b[i]}
            theirs_cols = {i for i in range(2) if t[i] != b[i]}
            if any(o[i] != t[i] for i in ours_cols & theirs_cols):
                conflicts.add(key)
            else:
                merged[key] = tuple(t[i] if i in theirs_cols else o[i] for i in range(2))
        else:
            conflicts.add(key)
    return merged, conflicts


class DataBranchMachine(RuleBasedStateMachine):
    @initialize(rows=st.dictionaries(KEYS, st.tuples(VALUES, VALUES), max_size=6))
    def create(self, rows):
        # Each example runs in its own savepoint, rolled back at teardown: the objects it
        # creates (and their locks) never pile up in the test's transaction.
        self.savepoint = transaction.savepoint()
        self.start("dbm", rows)

    def start(self, prefix: str, rows: dict) -> None:
        """The source table (committed on main) holding rows, and its first data branch."""
        self.table = f"{prefix}_{uuid.uuid4().hex[:10]}"
        run(f"CREATE TABLE {self.table} (id int PRIMARY KEY, a int, b int)")
        for key, (a, b) in rows.items():
            run(f"INSERT INTO {self.table} VALUES (%s, %s, %s)", params=[key, a, b])
        api.commit(f"add {self.table}")
        self.source = dict(rows)
        self.generation = 0
        self.branch_again()
        self.sibling_view = api.create_data_branch(self.table, "main", f"dbm/{self.table}/sibling")
        self.sibling = dict(self.source)

    def branch_again(self) -> None:
        """A fresh data branch of the table as it is now (also after a merge)."""
        self.generation += 1
        self.branch = f"dbm/{self.table}/{self.generation}"
        self.view = api.create_data_branch(self.table, "main", self.branch)
        self.base, self.theirs = dict(self.source), dict(self.source)

    def write(self, relation: str, model: dict, statement: str, params, key, value) -> None:
        """Run one write in a savepoint; a duplicate key must fail exactly when the model
        says the key exists."""
        try:
            with transaction.atomic():
                count = run(statement.format(r=relation), params=params)
        except IntegrityError:
            assert key in model, "only an existing key may be refused"
            return
        if value == "delete":
            assert count == (1 if key in model else 0)
            model.pop(key, None)
        elif value[0] == "insert":
            assert key not in model, "an existing key must be refused"
            model[key] = value[1]
        else:
            assert count == (1 if key in model else 0)
            if key in model:
                model[key] = value[1]

    def statement(self, kind: str, key: int, a, b, model: dict) -> tuple[str, list, object]:
        """An insert, update or delete of key, its parameters and the model's expected change."""
        if kind == "insert":
            return "INSERT INTO {r} VALUES (%s, %s, %s)", [key, a, b], ("insert", (a, b))
        if kind == "update":
            new = (a, model[key][1]) if key in model else None
            return "UPDATE {r} SET a = %s WHERE id = %s", [a, key], ("update", new)
        return "DELETE FROM {r} WHERE id = %s", [key], "delete"

    @rule(key=KEYS, a=VALUES, b=VALUES, kind=st.sampled_from(["insert", "update", "delete"]))
    def sibling_write(self, key, a, b, kind):
        statement, params, value = self.statement(kind, key, a, b, self.sibling)
        self.write(self.sibling_view, self.sibling, statement, params, key, value)

    def side(self, on_branch: bool):
        return (self.view, self.theirs) if on_branch else (self.table, self.source)

    @rule(on_branch=st.booleans(), key=KEYS, a=VALUES, b=VALUES)
    def insert(self, on_branch, key, a, b):
        relation, model = self.side(on_branch)
        self.write(
            relation,
            model,
            "INSERT INTO {r} VALUES (%s, %s, %s)",
            [key, a, b],
            key,
            ("insert", (a, b)),
        )

    @rule(on_branch=st.booleans(), key=KEYS, a=VALUES)
    def update(self, on_branch, key, a):
        relation, model = self.side(on_branch)
        new = (a, model[key][1]) if key in model else None
        self.write(
            relation, model, "UPDATE {r} SET a = %s WHERE id = %s", [a, key], key, ("update", new)
        )

    @rule(on_branch=st.booleans(), key=KEYS)
    def delete(self, on_branch, key):
        relation, model = self.side(on_branch)
        self.write(relation, model, "DELETE FROM {r} WHERE id = %s", [key], key, "delete")

    @rule()
    def merge(self):
        expected, conflicts = three_way(self.base, self.source, self.theirs)
        try:
            api.merge(self.branch, "main")
        except MergeConflict as conflict:
            found = {
                int(c["object"].rsplit('"id": ', 1)[1].rstrip("}")) for c in conflict.conflicts
            }
            assert found == conflicts
            assert read(self.table) == self.source, "nothing is applied while conflicts are open"
            return
        assert not conflicts, f"the model expected conflicts on {conflicts}"
        assert read(self.table) == expected
        self.source = expected
        self.branch_again()

    def teardown(self):
        if hasattr(self, "savepoint"):
            # Back to before this example, even after a failed statement: the next example
            # (or Hypothesis replaying this one while shrinking) starts clean.
            transaction.savepoint_rollback(self.savepoint)
            transaction.set_rollback(False)

    @invariant()
    def sides_match_their_models(self):
        if not hasattr(self, "table"):
            return
        assert read(self.table) == self.source
        assert read(self.view) == self.theirs
        assert read(self.sibling_view) == self.sibling


@pytest.mark.django_db
def test_data_branch_behaves_like_the_dict_model():
    case = DataBranchMachine.TestCase
    case.settings = settings(settings.get_profile("ci-db"), stateful_step_count=15)
    case().runTest()


MAINTENANCE = st.sampled_from(
    [
        "VACUUM {t}",
        "VACUUM (FREEZE) {t}",
        "VACUUM FULL {t}",
        "CLUSTER {t} USING {t}_pkey",
        "VACUUM (FREEZE, DISABLE_PAGE_SKIPPING) {t}",
    ]
)


class MaintainedDataBranchMachine(DataBranchMachine):
    """The same laws with maintenance and unusual writes on the source between the steps. It
    runs in autocommit (VACUUM cannot run in a transaction block) and removes what it made."""

    @initialize(rows=st.dictionaries(KEYS, st.tuples(VALUES, VALUES), max_size=6))
    def create(self, rows):
        self.start("dbmm", rows)

    @rule(command=MAINTENANCE)
    def maintain(self, command):
        run(command.format(t=self.table))

    @rule(on_branch=st.booleans())
    def no_op_update(self, on_branch):
        relation, model = self.side(on_branch)
        assert run(f"UPDATE {relation} SET a = a") == len(model)

    @rule()
    def truncate_is_refused(self):
        with pytest.raises(DatabaseError) as refused, transaction.atomic():
            run(f"TRUNCATE {self.table}")
        assert getattr(refused.value.__cause__, "sqlstate", None) == "PGX08"

    @rule(key=KEYS, a=VALUES, b=VALUES, kind=st.sampled_from(["insert", "update", "delete"]))
    def replica_write(self, key, a, b, kind):
        """A source write as a logical replication apply worker makes it (superuser only)."""
        with transaction.atomic():
            run("SET LOCAL session_replication_role = replica")
            statement, params, value = self.statement(kind, key, a, b, self.source)
            self.write(self.table, self.source, statement, params, key, value)

    def teardown(self):
        if not hasattr(self, "table"):
            return
        for name in [*range(1, self.generation + 1), "sibling"]:
            try:
                api.delete_branch(f"dbm/{self.table}/{name}", force=True)
            except PgGitError:
                pass  # merged: its data branch ended with the merge
        run(f"DROP TABLE {self.table}")
        api.commit(f"drop {self.table}")


@pytest.mark.django_db(transaction=True)
def test_data_branch_laws_hold_through_maintenance_and_replica_writes():
    case = MaintainedDataBranchMachine.TestCase
    case.settings = settings(settings.get_profile("ci-db"), max_examples=12, stateful_step_count=12)
    case().runTest()
