import pytest
from pggit import api
from tests.test_cli import cmd

pytestmark = pytest.mark.django_db

def test_x(unique):
    api.commit("base")
    f = unique("f")
    api.create_branch(f)
    api.commit("f work", branch=f)
    api.commit("main work")
    print(api.merge(f, "main"))
    print(cmd("pggit_log", "--graph", "--oneline", "--limit", "4"))
    print(repr(cmd("pggit_log", "--graph", "--limit", "3", "--page", "2")))
    print(cmd("pggit_log", "--graph", "--oneline", "--all", "--limit", "5"))
    assert 0
