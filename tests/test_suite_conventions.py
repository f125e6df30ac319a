"""The test suite's own conventions: plain helpers live once in tests/helpers.py, conftest.py
holds fixtures only, and no test module grows its own copy of a shared helper."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SHARED_HELPERS = {
    "run",
    "_run",
    "execute",
    "sql_scalar",
    "sql_rows",
    "sql_error",
    "snapshot_counts",
}


def modules() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def top_level_functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def is_fixture(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(target) in {"pytest.fixture", "pytest_asyncio.fixture"}:
            return True
    return False


def test_conftest_holds_fixtures_only():
    functions = top_level_functions(TESTS / "conftest.py")
    assert functions, "conftest.py defines the shared fixtures"
    assert [f.name for f in functions if not is_fixture(f)] == []


def test_no_module_imports_helpers_from_conftest():
    importers = [
        str(path.relative_to(TESTS))
        for path in modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("conftest")
    ]
    assert importers == []


def test_no_test_module_imports_another():
    """A helper two test modules need goes to tests/helpers.py, not one module importing the
    other (which runs, and collects, the other's import side effects)."""
    importers = [
        f"{path.relative_to(TESTS)} imports {node.module}"
        for path in modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").rsplit(".", 1)[-1].startswith("test_")
    ]
    assert importers == []


def test_shared_helpers_are_defined_once_in_helpers():
    copies = [
        f"{path.relative_to(TESTS)}:{f.lineno} {f.name}"
        for path in modules()
        if path.name != "helpers.py"
        for f in top_level_functions(path)
        if f.name in SHARED_HELPERS
    ]
    assert copies == []
    defined = {f.name for f in top_level_functions(TESTS / "helpers.py")}
    assert SHARED_HELPERS - {"_run", "execute"} <= defined
