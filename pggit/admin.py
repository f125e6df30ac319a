"""Django admin for browsing branches and history, and for the branch actions (create, delete,
merge with conflict resolution). History itself is read-only: every change goes through
:mod:`pggit.api`, and each action needs its own permission (``pggit.create_branch``,
``pggit.delete_branch``, ``pggit.merge_branch``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar
from urllib.parse import quote

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Model, OuterRef, QuerySet, Subquery, TextField
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from pggit import api
from pggit.admin_forms import CreateBranchForm, DeleteBranchForm, MergeForm, ResolveConflictForm
from pggit.exceptions import (
    BranchExists,
    BranchNotFound,
    InvalidArgument,
    InvalidBranchName,
    InvalidObjectKey,
    MergeConflict,
    ObjectNotFound,
    PgGitError,
    UnmergedCommits,
)
from pggit.models import Branch, Commit, DataBranch, Merge, ReflogEntry, Tag
from pggit.models import MergeConflict as MergeConflictRow
from pggit.runtime import process_branch

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

_M = TypeVar("_M", bound=Model)

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin
else:

    class _ModelAdmin(admin.ModelAdmin, Generic[_M]):
        """Django's ModelAdmin, subscriptable at runtime as it is in django-stubs."""


COMMITS_PER_PAGE = 25
REFLOG_ENTRIES = 50  # the newest moves of a head shown on its branch page
GRAPH_PAGE_SIZE = 50  # commits a page of the commit graph shows

# "ahead / behind" against main's head, computed by the core for each listed branch.
AHEAD_BEHIND_MAIN = RawSQL(
    """SELECT ab.ahead || ' / ' || ab.behind
         FROM pggit.count_ahead_behind(
                "pggit"."branches"."head_hash",
                (SELECT m.head_hash FROM pggit.branches m
                  WHERE m.name = 'main' AND m.status <> 'DELETED')) ab""",
    [],
    output_field=TextField(),
)


def graph_context(
    request: HttpRequest, param: str, branch: str | None, page: int | None = None
) -> dict[str, Any]:
    """The context of ``admin/pggit/graph.html``: one page of the commit graph (every commit,
    or ``branch``'s history), the page number read from the query parameter ``param`` unless
    ``page`` is given."""
    if page is None:
        try:
            page = max(1, int(request.GET.get(param, "1")))
        except ValueError:
            page = 1
    query = f"branch={quote(branch)}&" if branch and param == "page" else ""
    return {
        "pggit_graph": api.graph(branch, page, GRAPH_PAGE_SIZE),
        "pggit_graph_param": param,
        "pggit_graph_query": query,
    }


class ReadOnlyAdmin(_ModelAdmin[_M]):
    """Rows change only through the SQL API, never through admin forms."""

    def has_add_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False


class _BranchListing(TypedDict):
    """What BranchAdmin.get_queryset annotates each branch with."""

    n_commits: int | None
    ahead_behind_main: str | None


@admin.register(Branch)
class BranchAdmin(ReadOnlyAdmin[Branch]):
    list_display = (
        "name",
        "status",
        "head_link",
        "commit_count",
        "ahead_behind",
        "created_at",
        "created_by",
    )
    list_filter = ("status",)
    search_fields = ("name", "commits__message")
    search_help_text = "Search by branch name or commit message."
    readonly_fields = [f.name for f in Branch._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Branch]:
        commits = (
            Commit.objects.filter(branch=OuterRef("pk"))
            .order_by()
            .values("branch")
            .annotate(n=Count("*"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(n_commits=Subquery(commits), ahead_behind_main=AHEAD_BEHIND_MAIN)
            .select_related("head")
        )

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Branch | None:
        """The branch of a page or action, read without the listing's annotations: its
        ahead / behind walks the history (180 ms at 10,000 commits) and no page shows it."""
        if from_field is not None:
            return super().get_object(request, object_id, from_field)
        try:
            return Branch.objects.get(pk=self.opts.pk.to_python(object_id))
        except (Branch.DoesNotExist, ValidationError, ValueError):
            return None

    @admin.display(description="head", ordering="head_id")
    def head_link(self, obj: Branch) -> str:
        head = obj.head  # select_related by get_queryset
        if head is None:
            return "—"
        url = reverse("admin:pggit_commit_change", args=[head.pk])
        return format_html('<a href="{}"><code>{}</code></a>', url, head.hash[:12])

    @admin.display(description="commits", ordering="n_commits")
    def commit_count(self, obj: WithAnnotations[Branch, _BranchListing]) -> int:
        return obj.n_commits or 0

    @admin.display(description="ahead / behind main")
    def ahead_behind(self, obj: WithAnnotations[Branch, _BranchListing]) -> str:
        return "—" if obj.name == "main" else obj.ahead_behind_main or "0 / 0"

    # --- pages -----------------------------------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {
            "pggit_can_create": request.user.has_perm("pggit.create_branch"),
            # the branch this server process works on (PGGIT_BRANCH / PGGIT["BRANCH"])
            "pggit_process_branch": process_branch(connection),
        }
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        branch = self.get_object(request, object_id)
        extra: dict[str, Any] = {}
        if branch is not None:
            commits = Paginator(
                Commit.objects.filter(branch=branch).order_by("-id"), COMMITS_PER_PAGE
            ).get_page(request.GET.get("page"))
            live = branch.is_live
            extra = {
                **graph_context(request, "graph_page", branch.name if live else None),
                "pggit_commits": commits,
                "pggit_reflog": ReflogEntry.objects.filter(branch=branch).order_by("-id")[
                    :REFLOG_ENTRIES
                ],
                "pggit_data_branches": api.data_branches(branch.name) if live else [],
                "pggit_can_merge": live and request.user.has_perm("pggit.merge_branch"),
                "pggit_can_delete": (
                    live and branch.name != "main" and request.user.has_perm("pggit.delete_branch")
                ),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    # --- actions ---------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("create/", view(self.create_branch_view), name="pggit_branch_create"),
            path(
                "<path:object_id>/delete-branch/",
                view(self.delete_branch_view),
                name="pggit_branch_delete_branch",
            ),
            path("<path:object_id>/merge/", view(self.merge_view), name="pggit_branch_merge"),
            path(
                "merges/<int:merge_id>/", view(self.conflicts_view), name="pggit_branch_conflicts"
            ),
            *super().get_urls(),
        ]

    def _require(self, request: HttpRequest, permission: str) -> None:
        if not request.user.has_perm(f"pggit.{permission}"):
            raise PermissionDenied

    def _live_branch(self, request: HttpRequest, object_id: str) -> Branch:
        branch = self.get_object(request, object_id)
        if branch is None or not branch.is_live:
            raise Http404("No live branch with this id.")
        return branch

    def _render(
        self, request: HttpRequest, template: str, title: str, **context: Any
    ) -> TemplateResponse:
        return TemplateResponse(
            request,
            f"admin/pggit/branch/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                **context,
            },
        )

    @staticmethod
    def _posted(request: HttpRequest) -> QueryDict | None:
        """The POST data of a POST (even an empty one: the form is bound), else None."""
        return request.POST if request.method == "POST" else None

    def _branch_url(self, branch: Branch) -> str:
        return reverse("admin:pggit_branch_change", args=[branch.pk])

    def create_branch_view(self, request: HttpRequest) -> HttpResponse:
        self._require(request, "create_branch")
        form = CreateBranchForm(
            self._posted(request), initial={"from_branch": request.GET.get("from", "main")}
        )
        if request.method == "POST" and form.is_valid():
            try:
                branch = api.create_branch(
                    form.cleaned_data["name"], form.cleaned_data["from_branch"]
                )
            except (InvalidBranchName, BranchExists) as exc:
                form.add_error("name", str(exc))
            except PgGitError as exc:
                form.add_error(None, str(exc))
            else:
                self.log_addition(
                    request, branch, f"Created from {form.cleaned_data['from_branch']}."
                )
                messages.success(request, f"Branch {branch.name!r} created.")
                return HttpResponseRedirect(self._branch_url(branch))
        return self._render(request, "create.html", "Create a branch", form=form)

    def delete_branch_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        self._require(request, "delete_branch")
        branch = self._live_branch(request, object_id)
        form = DeleteBranchForm(self._posted(request))
        if request.method == "POST" and form.is_valid():
            try:
                api.delete_branch(branch.name, force=form.cleaned_data["force"])
            except UnmergedCommits as exc:
                form.add_error("force", str(exc))
            except PgGitError as exc:
                form.add_error(None, str(exc))
            else:
                self.log_change(request, branch, "Deleted.")
                messages.success(request, f"Branch {branch.name!r} deleted; its history is kept.")
                return HttpResponseRedirect(reverse("admin:pggit_branch_changelist"))
        unmerged = api.unmerged_commits(branch.name) if branch.name != "main" else []
        return self._render(
            request,
            "delete.html",
            f"Delete branch {branch.name}",
            form=form,
            branch=branch,
            unmerged=unmerged,
            data_branches=api.data_branches(branch.name),
        )

    def merge_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        self._require(request, "merge_branch")
        branch = self._live_branch(request, object_id)
        parent = branch.parent_branch
        default_target = parent.name if parent is not None and parent.is_live else "main"
        form = MergeForm(
            self._posted(request),
            source=branch.name,
            initial={"target": request.GET.get("target", default_target)},
        )
        target = form["target"].value()
        if request.method == "POST" and form.is_valid():
            target = form.cleaned_data["target"]
            try:
                result = api.merge(
                    branch.name, target, message=form.cleaned_data["message"] or None
                )
            except MergeConflict as exc:
                messages.warning(request, f"{exc} Resolve them below.")
                return HttpResponseRedirect(
                    reverse("admin:pggit_branch_conflicts", args=[exc.merge_id])
                )
            except PgGitError as exc:
                form.add_error(None, str(exc))
            else:
                self.log_change(request, branch, f"Merged into {target} ({result.status}).")
                messages.success(
                    request, f"Merged {branch.name!r} into {target!r}: {result.status}."
                )
                return HttpResponseRedirect(self._commit_or_branch_url(result.commit_hash, target))
        preview, preview_error = None, None
        if target:
            try:
                preview = api.merge_preview(branch.name, target)
            except PgGitError as exc:
                preview_error = str(exc)
        return self._render(
            request,
            "merge.html",
            f"Merge {branch.name}",
            form=form,
            branch=branch,
            target=target,
            preview=preview,
            preview_error=preview_error,
        )

    def _commit_or_branch_url(self, commit_hash: str | None, branch_name: str) -> str:
        commit = Commit.objects.filter(hash=commit_hash).first() if commit_hash else None
        if commit is not None:
            return reverse("admin:pggit_commit_change", args=[commit.pk])
        try:
            return self._branch_url(api.get_branch(branch_name))
        except BranchNotFound:
            return reverse("admin:pggit_branch_changelist")

    def conflicts_view(self, request: HttpRequest, merge_id: int) -> HttpResponse:
        self._require(request, "merge_branch")
        merge = get_object_or_404(
            Merge.objects.select_related("source_branch", "target_branch"), pk=merge_id
        )
        failed: tuple[str, ResolveConflictForm] | None = None
        if request.method == "POST" and merge.status == Merge.Status.CONFLICTED:
            form = ResolveConflictForm(request.POST)
            if form.is_valid():
                key = form.cleaned_data["object_key"]
                try:
                    commit_hash = api.resolve_conflict(merge.pk, key, form.resolution_value)
                except PgGitError as exc:
                    form.add_error(None, str(exc))
                    failed = (key, form)
                else:
                    if commit_hash:
                        messages.success(
                            request, f"Last conflict resolved: merge {merge.pk} completed."
                        )
                        return HttpResponseRedirect(
                            self._commit_or_branch_url(commit_hash, merge.target_branch.name)
                        )
                    messages.success(
                        request, f"Resolved {key} ({form.cleaned_data['resolution']})."
                    )
                    return HttpResponseRedirect(request.path)
            else:
                failed = (request.POST.get("object_key", ""), form)
        conflicts: list[tuple[MergeConflictRow, ResolveConflictForm | None]] = []
        for conflict in merge.conflicts.all():
            row_form: ResolveConflictForm | None = None
            if conflict.resolution is None and merge.status == Merge.Status.CONFLICTED:
                row_form = (
                    failed[1]
                    if failed and failed[0] == conflict.object_key
                    else ResolveConflictForm(
                        initial={"object_key": conflict.object_key},
                        auto_id=f"id_%s_{len(conflicts)}",
                    )
                )
            conflicts.append((conflict, row_form))
        result = (
            Commit.objects.filter(hash=merge.result_hash).first() if merge.result_hash else None
        )
        return self._render(
            request,
            "conflicts.html",
            f"Merge {merge.pk}: {merge.source_branch.name} into {merge.target_branch.name}",
            merge=merge,
            conflicts=conflicts,
            result=result,
        )


@admin.register(Commit)
class CommitAdmin(ReadOnlyAdmin[Commit]):
    list_display = ("short_hash", "summary", "tag_names", "branch", "author", "committed_at")
    list_filter = ("branch__status", "branch")
    search_fields = ("hash", "commit_id", "message", "author", "branch__name")
    list_select_related = ("branch",)
    readonly_fields = [f.name for f in Commit._meta.fields]
    date_hierarchy = "committed_at"

    @admin.display(description="hash", ordering="hash")
    def short_hash(self, obj: Commit) -> str:
        return obj.short_hash

    @admin.display(description="message")
    def summary(self, obj: Commit) -> str:
        return obj.message.splitlines()[0] if obj.message else ""

    @admin.display(description="tags")
    def tag_names(self, obj: Commit) -> str:
        return ", ".join(t.name for t in obj.tags.all())  # prefetched by get_queryset

    def get_queryset(self, request: HttpRequest) -> QuerySet[Commit]:
        return super().get_queryset(request).prefetch_related("tags")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The commit page adds what the commit changed: objects, captured DDL, and the diff
        against its parent as SQL."""
        commit = self.get_object(request, object_id)
        extra: dict[str, Any] = {}
        if commit is not None:
            shown = api.show(commit.hash)
            newer = Commit.objects.filter(id__gt=commit.id).count()
            extra = {
                # the page of the whole graph that holds this commit, the commit highlighted
                **graph_context(request, "graph_page", None, newer // GRAPH_PAGE_SIZE + 1),
                "pggit_graph_selected": commit.hash,
                "pggit_show": shown,
                "pggit_ddl": list(
                    dict.fromkeys(d["statement"] for d in shown["ddl"] if d["statement"])
                ),
                "pggit_diff": api.diff_ddl(commit.parent_id, commit.hash)
                if commit.parent_id
                else [],
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("graph/", view(self.graph_view), name="pggit_commit_graph"),
            path(
                "<path:object_id>/object/<path:object_key>/",
                view(self.object_view),
                name="pggit_commit_object",
            ),
            *super().get_urls(),
        ]

    def object_view(self, request: HttpRequest, object_id: str, object_key: str) -> HttpResponse:
        """One object: its definition and DDL at this commit, and its history on the commit's
        branch (``pggit.object_log``), each change with the DDL that made it (the object's
        part of the diff against that commit's parent)."""
        commit = self.get_object(request, object_id)
        if commit is None or not self.has_view_permission(request, commit):
            raise Http404("No commit with this id.")
        try:
            history = api.object_log(object_key, commit.branch.name)
        except (InvalidObjectKey, ObjectNotFound) as exc:
            raise Http404(str(exc)) from exc
        try:
            shown: dict[str, Any] | None = api.show_object(commit.hash, object_key)
        except ObjectNotFound:
            shown = None  # removed by this commit, or not created yet
        page = Paginator(history, COMMITS_PER_PAGE).get_page(request.GET.get("page"))
        rows = {
            h: (pk, parent)
            for h, pk, parent in Commit.objects.filter(hash__in=[e.hash for e in page]).values_list(
                "hash", "pk", "parent_id"
            )
        }
        changes = []
        for entry in page:  # a diff per change shown: one page of them
            pk, parent = rows[entry.hash]
            if parent:
                ddl = next(
                    (d.ddl for d in api.diff(parent, entry.hash) if d.object_key == object_key),
                    [],
                )
            else:  # a root commit: the object was created by it
                ddl = api.show_object(entry.hash, object_key)["ddl"]
            changes.append(
                {"entry": entry, "pk": pk, "ddl": ddl, "current": entry.hash == commit.hash}
            )
        return TemplateResponse(
            request,
            "admin/pggit/commit/object.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": object_key,
                "commit": commit,
                "object_key": object_key,
                "shown": shown,
                "changes": changes,
                "page": page,
            },
        )

    def graph_view(self, request: HttpRequest) -> HttpResponse:
        """Every commit (or, with ``?branch=``, one branch's history) as a graph, a page at a
        time (``?page=``)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        branch = request.GET.get("branch") or None
        try:
            context = graph_context(request, "page", branch)
        except (InvalidBranchName, BranchNotFound, InvalidArgument) as exc:
            raise Http404(str(exc)) from exc
        return TemplateResponse(
            request,
            "admin/pggit/commit/graph.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "History graph",
                "branches": Branch.objects.exclude(status=Branch.Status.DELETED)
                .order_by("name")
                .values_list("name", flat=True),
                **context,
            },
        )


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin[Tag]):
    """Tags, read-only: create and delete them with ``api.tag`` / ``pggit_tag``."""

    list_display = ("name", "commit_link", "message", "tagger", "created_at")
    search_fields = ("name", "message", "commit__hash")
    list_select_related = ("commit",)
    readonly_fields = [f.name for f in Tag._meta.fields]

    @admin.display(description="commit", ordering="commit_id")
    def commit_link(self, obj: Tag) -> str:
        url = reverse("admin:pggit_commit_change", args=[obj.commit.pk])
        return format_html('<a href="{}"><code>{}</code></a>', url, obj.commit_id[:12])


@admin.register(DataBranch)
class DataBranchAdmin(ReadOnlyAdmin[DataBranch]):
    list_display = (
        "table_name",
        "branch",
        "from_branch",
        "view_name",
        "status",
        "stale",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("table_name", "branch__name")
    list_select_related = ("branch", "from_branch")
    readonly_fields = [*(f.name for f in DataBranch._meta.fields), "stale"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DataBranch]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                staleness=RawSQL(
                    'pggit.data_branch_staleness("pggit"."data_branches"."id")',
                    [],
                    output_field=TextField(),
                )
            )
        )

    @admin.display(description="stale")
    def stale(self, obj: DataBranch) -> str:
        """Why a live data branch must be rebased or deleted before it is read (its source's
        structure changed), or "no"."""
        reason = getattr(obj, "staleness", None)
        return f"stale: {reason}" if reason else "no"
