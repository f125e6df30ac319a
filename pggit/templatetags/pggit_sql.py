"""``{% load pggit_sql %}``: SQL highlighted by Pygments (PostgreSQL dialect) for admin pages."""

from __future__ import annotations

from functools import cache

from django import template
from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PostgresLexer

register = template.Library()

_FORMATTER = HtmlFormatter(nowrap=True)


@register.filter
def sql(statements: str | list[str] | None) -> SafeString:
    """One statement or a list of them, highlighted; Pygments escapes the text it renders."""
    if statements is None:
        return mark_safe("")
    if not isinstance(statements, str):
        statements = "\n".join(s if s.rstrip().endswith(";") else f"{s};" for s in statements)
    return mark_safe(highlight(statements, PostgresLexer(), _FORMATTER))  # noqa: S308


@register.simple_tag
def sql_style() -> SafeString:
    """The CSS for highlighted SQL, scoped to ``pre.pggit-sql``."""
    return mark_safe(f"<style>{_style()}</style>")  # noqa: S308


@cache
def _style() -> str:
    # "default" reads well on the admin's light and dark themes once its background is dropped.
    # types-Pygments leaves HtmlFormatter.get_style_defs unannotated; it returns the CSS text.
    formatter = HtmlFormatter(style="default")
    rules: str = formatter.get_style_defs("pre.pggit-sql")  # type: ignore[no-untyped-call]
    return "\n".join(line for line in rules.splitlines() if "background" not in line) + (
        "\npre.pggit-sql { padding: 8px; overflow-x: auto; white-space: pre; }"
    )
