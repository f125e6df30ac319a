"""The public API is what docs/python-api.md documents: the functions of its table are exactly
the sync functions of ``api.__all__``, and each but the context managers has an a-prefixed
coroutine twin, also in ``__all__``."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from pggit import api

DOCS = Path(__file__).resolve().parent.parent / "docs"
DOC = (DOCS / "python-api.md").read_text(encoding="utf-8")
# a row of the reference table: | `name(arguments)` | returns | notes |
ROW = re.compile(r"^\| `(?P<name>\w+)\(.*?\)` \| (?P<returns>[^|]*) \|", re.M)


def documented() -> dict[str, str]:
    """{function name: its Returns column} from the reference table."""
    return {m["name"]: m["returns"].strip() for m in ROW.finditer(DOC)}


def exported() -> dict[str, object]:
    return {name: getattr(api, name) for name in api.__all__}


def test_the_reference_table_is_parsed():
    names = documented()
    assert {"commit", "merge", "merge_preview", "checkout", "verify"} <= set(names)
    assert len(names) == len(ROW.findall(DOC)), "each function is documented once"


def test_every_exported_name_exists_once():
    assert len(api.__all__) == len(set(api.__all__))
    assert [name for name in api.__all__ if not hasattr(api, name)] == []


def test_documented_functions_are_the_exported_sync_functions():
    sync = {
        name
        for name, value in exported().items()
        if callable(value) and not inspect.isclass(value) and not inspect.iscoroutinefunction(value)
    }
    assert sync == set(documented())


def test_every_documented_function_but_the_context_managers_has_an_async_twin():
    context_managers = {
        name for name, returns in documented().items() if "context manager" in returns
    }
    assert context_managers == {"checkout", "author"}
    twins = {name for name, value in exported().items() if inspect.iscoroutinefunction(value)}
    assert twins == {f"a{name}" for name in set(documented()) - context_managers}
    module_twins = {
        name
        for name, value in vars(api).items()
        if inspect.iscoroutinefunction(value) and not name.startswith("_")
    }
    assert module_twins == twins, "no coroutine twin is left out of __all__"
    for twin in twins:
        assert getattr(api, twin).__name__ == twin


def test_every_exported_result_class_is_documented():
    classes = {name for name, value in exported().items() if inspect.isclass(value)}
    assert classes == {
        "Change",
        "DiffEntry",
        "Finding",
        "MergeResult",
        "ObjectLogEntry",
        "RowChange",
        "Version",
    }
    assert {name for name in classes if f"`{name}" not in DOC and f"[{name}]" not in DOC} == set()
