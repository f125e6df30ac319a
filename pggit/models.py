"""The read model: Django models over the tables of schema ``pggit``.

The tables belong to the SQL core (installed by migrations from ``pggit/sql/``), so the models
are unmanaged. Writes go through :mod:`pggit.api`, which calls the SQL functions.
"""

from __future__ import annotations

from django.db import models


class Branch(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", "active"
        MERGED = "MERGED", "merged"
        DELETED = "DELETED", "deleted"

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(unique=True, editable=False)
    name = models.TextField()
    status = models.TextField(choices=Status.choices, default=Status.ACTIVE)
    head = models.ForeignKey(
        "Commit",
        to_field="hash",
        db_column="head_hash",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
    )
    parent_branch = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="children"
    )
    base = models.ForeignKey(
        "Commit",
        to_field="hash",
        db_column="base_hash",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        help_text="The commit this branch was created from.",
    )
    created_at = models.DateTimeField()
    created_by = models.TextField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = 'pggit"."branches'
        ordering = ["name", "-id"]
        verbose_name_plural = "branches"
        # Rows change only through the SQL API: no add/change/delete permissions, but one
        # permission per admin action (each an operation of the API).
        default_permissions = ("view",)
        permissions = [
            ("create_branch", "Can create a branch"),
            ("delete_branch", "Can delete a branch"),
            ("merge_branch", "Can merge a branch and resolve its conflicts"),
        ]

    def __str__(self) -> str:
        return self.name if self.status != self.Status.DELETED else f"{self.name} (deleted)"

    @property
    def is_live(self) -> bool:
        return self.status != self.Status.DELETED


class Commit(models.Model):
    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(unique=True, editable=False)
    hash = models.TextField(unique=True)
    parent = models.ForeignKey(
        "self",
        to_field="hash",
        db_column="parent_hash",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="children",
    )
    merge_parent = models.ForeignKey(
        "self",
        to_field="hash",
        db_column="merge_parent_hash",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="merge_children",
    )
    branch = models.ForeignKey(Branch, on_delete=models.DO_NOTHING, related_name="commits")
    tree_hash = models.TextField()
    message = models.TextField()
    author = models.TextField()
    committed_at = models.DateTimeField()
    commit_id = models.TextField(
        unique=True,
        null=True,
        blank=True,
        help_text="The caller-supplied commit ID (pggit.commit_changes' third argument).",
    )

    class Meta:
        managed = False
        db_table = 'pggit"."commits'
        default_permissions = ("view",)
        ordering = ["-id"]

    def __str__(self) -> str:
        summary = self.message.splitlines()[0] if self.message else ""
        return f"{self.short_hash} {summary}".rstrip()

    @property
    def short_hash(self) -> str:
        return self.hash[:12]


class DdlEvent(models.Model):
    """One DDL command captured by the event triggers (``pggit.ddl_events``)."""

    id = models.BigAutoField(primary_key=True)
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="ddl_events"
    )
    commit = models.ForeignKey(
        Commit, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="ddl_events"
    )
    command_tag = models.TextField()
    object_type = models.TextField(null=True, blank=True)
    schema_name = models.TextField(null=True, blank=True)
    object_identity = models.TextField(null=True, blank=True)
    statement = models.TextField(null=True, blank=True)
    role_name = models.TextField()
    occurred_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'pggit"."ddl_events'
        default_permissions = ("view",)
        ordering = ["id"]
        verbose_name = "DDL event"

    def __str__(self) -> str:
        return f"{self.command_tag} {self.object_identity or ''}".strip()


class DataBranch(models.Model):
    """A branch's copy-on-write version of one table's rows (``pggit.data_branches``)."""

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", "active"
        MERGED = "MERGED", "merged"
        DROPPED = "DROPPED", "dropped"

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(unique=True, editable=False)
    branch = models.ForeignKey(Branch, on_delete=models.DO_NOTHING, related_name="data_branches")
    from_branch = models.ForeignKey(Branch, on_delete=models.DO_NOTHING, related_name="+")
    logical_schema = models.TextField()
    table_name = models.TextField()
    source_name = models.TextField()
    view_name = models.TextField()
    delta_table = models.TextField()
    preimage_table = models.TextField()
    status = models.TextField(choices=Status.choices)
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = 'pggit"."data_branches'
        default_permissions = ("view",)
        ordering = ["-id"]
        verbose_name_plural = "data branches"

    def __str__(self) -> str:
        return f"{self.logical_schema}.{self.table_name} on {self.branch.name}"


class Merge(models.Model):
    """A merge that stopped on conflicts or completed (``pggit.merges``)."""

    class Status(models.TextChoices):
        CONFLICTED = "CONFLICTED", "conflicted"
        COMPLETED = "COMPLETED", "completed"
        ABANDONED = "ABANDONED", "abandoned"

    class Kind(models.TextChoices):
        MERGE = "merge", "merge"
        CHERRY_PICK = "cherry-pick", "cherry-pick"

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(unique=True, editable=False)
    kind = models.TextField(choices=Kind.choices, default=Kind.MERGE)
    source_branch = models.ForeignKey(Branch, on_delete=models.DO_NOTHING, related_name="+")
    target_branch = models.ForeignKey(Branch, on_delete=models.DO_NOTHING, related_name="+")
    base_hash = models.TextField(null=True, blank=True)
    source_hash = models.TextField()
    target_hash = models.TextField(null=True, blank=True)
    status = models.TextField(choices=Status.choices)
    message = models.TextField(null=True, blank=True)
    author = models.TextField()
    result_hash = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = 'pggit"."merges'
        default_permissions = ("view",)
        ordering = ["-id"]

    def __str__(self) -> str:
        if self.kind == self.Kind.CHERRY_PICK:
            return f"cherry-pick {self.id}: {self.source_hash[:12]} onto {self.target_branch.name}"
        return f"merge {self.id}: {self.source_branch.name} into {self.target_branch.name}"


class MergeConflict(models.Model):
    """One object or row changed differently on both sides of a merge."""

    pk = models.CompositePrimaryKey("merge_id", "object_key")
    merge = models.ForeignKey(Merge, on_delete=models.DO_NOTHING, related_name="conflicts")
    object_key = models.TextField()
    kind = models.TextField()
    detail = models.TextField(null=True, blank=True)
    resolution = models.TextField(null=True, blank=True)
    resolution_value = models.TextField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = 'pggit"."merge_conflicts'
        default_permissions = ("view",)
        ordering = ["object_key"]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_key}"


class Tag(models.Model):
    """A named, immutable pointer to a commit (``pggit.tags``; write with ``api.tag``)."""

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(unique=True, editable=False)
    name = models.TextField(unique=True)
    commit = models.ForeignKey(
        Commit,
        to_field="hash",
        db_column="commit_hash",
        on_delete=models.DO_NOTHING,
        related_name="tags",
    )
    message = models.TextField(null=True, blank=True)
    tagger = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'pggit"."tags'
        default_permissions = ("view",)
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReflogEntry(models.Model):
    """One move of a branch head (``pggit.reflog``, append-only, hash-chained per branch)."""

    id = models.BigAutoField(primary_key=True)
    branch = models.ForeignKey(
        Branch, on_delete=models.DO_NOTHING, related_name="reflog", db_constraint=False
    )
    old_hash = models.TextField(null=True, blank=True)
    new_hash = models.TextField(null=True, blank=True)
    operation = models.TextField()
    role_name = models.TextField()
    author = models.TextField()
    reason = models.TextField()
    ddl_events = models.IntegerField(null=True, blank=True)
    versions = models.BigIntegerField()
    moved_at = models.DateTimeField()
    prev_hash = models.TextField(null=True, blank=True)
    entry_hash = models.TextField()

    class Meta:
        managed = False
        db_table = 'pggit"."reflog'
        default_permissions = ("view",)
        ordering = ["-id"]
        verbose_name = "reflog entry"
        verbose_name_plural = "reflog"

    def __str__(self) -> str:
        return f"{self.operation} {(self.new_hash or '-')[:12]}"


class CommitCheckout(models.Model):
    """A namespace holding a commit's schema read-only (``pggit.commit_checkouts``)."""

    pk = models.CompositePrimaryKey("commit_id", "logical_schema")
    commit = models.ForeignKey(
        Commit,
        to_field="hash",
        db_column="commit_hash",
        on_delete=models.DO_NOTHING,
        related_name="checkouts",
    )
    logical_schema = models.TextField()
    namespace = models.TextField(unique=True)
    created_by = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'pggit"."commit_checkouts'
        default_permissions = ("view",)
        ordering = ["namespace"]

    def __str__(self) -> str:
        return f"{self.namespace} ({self.logical_schema} at {self.commit_id[:12]})"
