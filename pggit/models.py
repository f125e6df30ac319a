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

    class Meta:
        managed = False
        db_table = 'pggit"."commits'
        ordering = ["-id"]

    def __str__(self) -> str:
        summary = self.message.splitlines()[0] if self.message else ""
        return f"{self.short_hash} {summary}".rstrip()

    @property
    def short_hash(self) -> str:
        return self.hash[:12]
