"""The a-prefixed API variants are real coroutines that do the same work."""

from __future__ import annotations

import asyncio
import inspect

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from django.db import connections

from pggit import api
from pggit.exceptions import BranchNotFound, ProtectedBranch

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_executor_connections"),
]


@pytest_asyncio.fixture
async def close_executor_connections():
    """The variants run in Django's executor thread, which holds its own connection."""
    yield
    await sync_to_async(connections.close_all, thread_sensitive=True)()


# every exported function but the two context managers (tests/test_api_surface.py)
SYNC_NAMES = [name for name in api.__all__ if f"a{name}" in api.__all__]


async def test_every_variant_is_a_coroutine_function():
    assert len(SYNC_NAMES) == 34
    for name in SYNC_NAMES:
        variant = getattr(api, f"a{name}")
        assert inspect.iscoroutinefunction(variant), name
        assert variant.__name__ == f"a{name}" and name in variant.__doc__


async def test_async_calls_do_the_work_and_raise_typed_errors(unique):
    branch = unique("async")
    created = await api.acreate_branch(branch)
    commits = await asyncio.gather(*(api.acommit(f"c{i}", branch=branch) for i in range(4)))
    log = await api.alog(branch, limit=10)
    assert created.name == branch
    assert {c.hash for c in commits} <= {c.hash for c in log}
    # the four landed, one after another, on top of the branch's starting point
    assert sorted(c.message for c in log[:4]) == ["c0", "c1", "c2", "c3"]
    assert [c.parent_id for c in log[:4]] == [c.hash for c in log[1:4]] + [created.head_id]
    with pytest.raises(ProtectedBranch):
        await api.adelete_branch("main")
    with pytest.raises(BranchNotFound):
        await api.aget_branch(unique("missing"))
    assert await api.averify() == []
    await api.adelete_branch(branch, force=True)
