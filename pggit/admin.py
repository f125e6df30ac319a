"""Django admin for browsing branches and history. History is read-only."""

from django.contrib import admin
from django.db.models import Count

from pggit import api
from pggit.models import Branch, Commit, DataBranch


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows change only through the SQL API, never through admin forms."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CommitInline(admin.TabularInline):
    model = Commit
    fk_name = "branch"
    fields = ("hash", "message", "author", "committed_at")
    readonly_fields = fields
    ordering = ("-id",)
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Branch)
class BranchAdmin(ReadOnlyAdmin):
    list_display = ("name", "status", "short_head", "commit_count", "created_at", "created_by")
    list_filter = ("status",)
    search_fields = ("name",)
    readonly_fields = [f.name for f in Branch._meta.fields]
    inlines = [CommitInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_commits=Count("commits"))

    @admin.display(description="head")
    def short_head(self, obj: Branch) -> str:
        return obj.head_id[:12] if obj.head_id else "—"

    @admin.display(description="commits", ordering="n_commits")
    def commit_count(self, obj: Branch) -> int:
        return obj.n_commits

    def change_view(self, request, object_id, form_url="", extra_context=None):
        branch = self.get_object(request, object_id)
        extra = {"pggit_data_branches": []}
        if branch is not None and branch.is_live:
            extra["pggit_data_branches"] = api.data_branches(branch.name)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


@admin.register(Commit)
class CommitAdmin(ReadOnlyAdmin):
    list_display = ("short_hash", "summary", "branch", "author", "committed_at")
    list_filter = ("branch__status", "branch")
    search_fields = ("hash", "message", "author", "branch__name")
    list_select_related = ("branch",)
    readonly_fields = [f.name for f in Commit._meta.fields]
    date_hierarchy = "committed_at"

    @admin.display(description="hash", ordering="hash")
    def short_hash(self, obj: Commit) -> str:
        return obj.short_hash

    @admin.display(description="message")
    def summary(self, obj: Commit) -> str:
        return obj.message.splitlines()[0] if obj.message else ""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The commit page adds what the commit changed: objects, captured DDL, and the diff
        against its parent as SQL."""
        commit = self.get_object(request, object_id)
        extra = {}
        if commit is not None:
            shown = api.show(commit.hash)
            extra = {
                "pggit_show": shown,
                "pggit_ddl": list(dict.fromkeys(d["statement"] for d in shown["ddl"] if d["statement"])),
                "pggit_diff": api.diff_ddl(commit.parent_id, commit.hash) if commit.parent_id else [],
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


@admin.register(DataBranch)
class DataBranchAdmin(ReadOnlyAdmin):
    list_display = ("table_name", "branch", "from_branch", "view_name", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("table_name", "branch__name")
    list_select_related = ("branch", "from_branch")
    readonly_fields = [f.name for f in DataBranch._meta.fields]
