from typing import Any

from django.core.management.base import CommandError, CommandParser

from pggit import api
from pggit.graph import GraphCommit, GraphPage, decoration, layout, text_graph
from pggit.management.base import PgGitCommand, commit_as_dict


class Command(PgGitCommand):
    help = (
        "Show a branch's history, newest first (first-parent chain, like"
        " git log --first-parent); with --graph, every commit the branch reaches (or with --all"
        " every commit) drawn as git log --graph draws it, a page at a time.\n\n"
        "Examples:\n"
        "  manage.py pggit_log\n"
        "  manage.py pggit_log --branch feature/x --limit 5 --oneline\n"
        "  manage.py pggit_log --branch v1.2.0~3          # any ref: tag, hash, HEAD, ref~N\n"
        "  manage.py pggit_log --branch feature/x --reflog  # every move of the head\n"
        "  manage.py pggit_log --graph --oneline --all --page 2\n"
        "  manage.py pggit_log --object table:public.users"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--branch",
            default="main",
            help="Branch, or any ref to start from (tag, HEAD, hash, 7+ digit prefix, ref~N;"
            " default: %(default)s).",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=20,
            help="At most this many commits (default: 20); with --graph, commits per page.",
        )
        parser.add_argument("--oneline", action="store_true", help="One line per commit.")
        parser.add_argument(
            "--object",
            default=None,
            metavar="KEY",
            help="Only the commits that changed this object (e.g. table:public.users), with"
            " the change, its detail and the object's version after it.",
        )
        parser.add_argument(
            "--reflog",
            action="store_true",
            help="Show the branch's reflog instead: every move of its head (operation, old and"
            " new head, role, author, reason, time), newest first.",
        )
        parser.add_argument(
            "--graph",
            action="store_true",
            help="Draw the commit graph (lanes, merges, branch heads), as git log --graph.",
        )
        parser.add_argument(
            "--all", action="store_true", help="With --graph: every branch's commits."
        )
        parser.add_argument(
            "--page", type=int, default=1, help="With --graph: the page to show (default: 1)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["graph"] and (options["all"] or options["page"] != 1):
            raise CommandError(
                "--all and --page draw the graph: add --graph", returncode=self.USER_ERROR
            )
        if options["object"] is not None:
            if options["graph"] or options["reflog"]:
                raise CommandError(
                    "--object lists one object's commits; --graph and --reflog show others:"
                    " choose one",
                    returncode=self.USER_ERROR,
                )
            self.object_log(options)
            return
        if options["reflog"] and options["graph"]:
            raise CommandError(
                "--reflog and --graph show different things: choose one",
                returncode=self.USER_ERROR,
            )
        if options["reflog"]:
            self._reflog(options)
            return
        if options["graph"]:
            self.handle_graph(options)
            return
        commits = api.log(options["branch"], options["limit"], using=options["database"])
        if options["as_json"]:
            self.print_json([commit_as_dict(c) for c in commits])
            return
        if not commits:
            self.stdout.write(f"Branch {options['branch']} has no commits yet.")
        for c in commits:
            summary = c.message.splitlines()[0] if c.message else "(no message)"
            if options["oneline"]:
                label = f" [{c.commit_id}]" if c.commit_id else ""
                self.stdout.write(f"{c.short_hash}{label} {summary}")
                continue
            self.stdout.write(self.style.WARNING(f"commit {c.hash}"))
            if c.merge_parent_id:
                self.stdout.write(f"Merge:  {(c.parent_id or '')[:12]} {c.merge_parent_id[:12]}")
            self.stdout.write(f"Branch: {c.branch.name}")
            if c.commit_id:
                self.stdout.write(f"Id:     {c.commit_id}")
            self.stdout.write(f"Author: {c.author}")
            self.stdout.write(f"Date:   {c.committed_at:%Y-%m-%d %H:%M:%S %z}")
            self.stdout.write("")
            for line in (c.message or "(no message)").splitlines():
                self.stdout.write(f"    {line}")
            self.stdout.write("")

    def object_log(self, options: dict[str, Any]) -> None:
        if options["limit"] < 1:
            raise CommandError(f"--limit must be at least 1, got {options['limit']}", returncode=1)
        entries = api.object_log(options["object"], options["branch"], using=options["database"])
        entries = entries[: options["limit"]]
        if options["as_json"]:
            self.print_json([e.__dict__ for e in entries])
            return
        for e in entries:
            summary = e.message.splitlines()[0] if e.message else "(no message)"
            if options["oneline"]:
                self.stdout.write(f"{e.hash[:12]} {e.version:<8} {e.change:<8} {summary}")
                continue
            self.stdout.write(self.style.WARNING(f"commit {e.hash}"))
            self.stdout.write(f"Author:  {e.author}")
            self.stdout.write(f"Date:    {e.committed_at:%Y-%m-%d %H:%M:%S %z}")
            self.stdout.write(f"Change:  {e.change} -> {e.version}")
            if e.detail:
                self.stdout.write(f"Detail:  {e.detail}")
            self.stdout.write(f"\n    {summary}\n")

    def _reflog(self, options: dict[str, Any]) -> None:
        entries = api.reflog(options["branch"], options["limit"], using=options["database"])
        if options["as_json"]:
            self.print_json(
                [
                    {
                        "id": e.id,
                        "branch": options["branch"],
                        "operation": e.operation,
                        "old_hash": e.old_hash,
                        "new_hash": e.new_hash,
                        "role": e.role_name,
                        "author": e.author,
                        "reason": e.reason,
                        "moved_at": e.moved_at,
                        "entry_hash": e.entry_hash,
                    }
                    for e in entries
                ]
            )
            return
        for e in entries:
            self.stdout.write(
                f"{(e.new_hash or '-')[:12]:<12} {e.operation:<12}"
                f" {e.moved_at:%Y-%m-%d %H:%M:%S} {e.role_name}/{e.author}: {e.reason}"
            )

    def handle_graph(self, options: dict[str, Any]) -> None:
        """``--graph``: one page of pggit.graph(), laid out by pggit.graph, as text."""
        branch = None if options["all"] else options["branch"]
        page = api.graph(branch, options["page"], options["limit"], using=options["database"])
        if options["as_json"]:
            self.print_json(graph_as_dict(page))
            return
        if not page.commits:
            self.stdout.write(f"Branch {branch} has no commits yet." if branch else "No commits.")
            return
        current = page.current_branch

        def describe(c: GraphCommit) -> list[str]:
            heads = decoration(c, current)
            if options["oneline"]:
                return [" ".join(filter(None, [c.short_hash, heads, c.summary]))]
            lines = [f"commit {c.hash}" + (f" {heads}" if heads else "")]
            if c.is_merge:
                lines.append("Merge:  " + " ".join(p[:12] for p in c.parents))
            lines += [f"Branch: {c.branch}", f"Author: {c.author}"]
            if c.committed_at is not None:
                lines.append(f"Date:   {c.committed_at:%Y-%m-%d %H:%M:%S %z}")
            lines.append("")
            lines += [f"    {line}" for line in (c.message or "(no message)").splitlines()]
            return [*lines, ""]

        prefer = branch or current
        for line in text_graph(layout(page.commits, page.incoming, prefer), describe):
            self.stdout.write(line)
        if page.num_pages is None:
            self.stdout.write(f"(page {page.page}; --page {page.page + 1} for older commits)")
        elif page.num_pages > 1:
            self.stdout.write(f"(page {page.page} of {page.num_pages}; --page N for another)")


def graph_as_dict(page: GraphPage) -> dict[str, Any]:
    placed = layout(page.commits, page.incoming, page.branch or page.current_branch)
    return {
        "branch": page.branch,
        "page": page.page,
        "pages": page.num_pages,
        "total": page.total,
        "current_branch": page.current_branch,
        "lanes": placed.width,
        "commits": [
            {
                "hash": r.commit.hash,
                "parents": list(r.commit.parents),
                "branch": r.commit.branch,
                "heads": list(r.commit.heads),
                "author": r.commit.author,
                "message": r.commit.message,
                "committed_at": r.commit.committed_at,
                "row": i,
                "lane": r.lane,
            }
            for i, r in enumerate(placed.rows)
        ],
        "edges": [
            {"row": s.row, "from_lane": s.from_lane, "to_lane": s.to_lane, "target": s.target}
            for s in placed.segments
        ],
    }
