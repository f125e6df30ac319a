"""Packaging (issue 21): the MIT licence the metadata declares is in the repository and the
wheel; the docs the README links to ship in the sdist; CI builds and checks the distributions
(``make dist``: ``python -m build`` and ``twine check``)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_licence_is_the_one_the_metadata_declares():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


def test_ci_builds_and_checks_the_distributions():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\n\t$(PY) -m build --outdir dist\n\t$(VENV)/bin/twine check --strict dist/*" in makefile
    assert "\nmake dist\n" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    assert {"build>=1.2", "twine>=5"} <= set(extras["lint"])


def test_the_wheel_carries_the_licence_and_the_sdist_the_docs(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    (sdist,) = tmp_path.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names
    assert "pggit/sql/000_schema.sql" in names and "pggit/py.typed" in names
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {
        line.split("](", 1)[1].split(")")[0] for line in readme.splitlines() if "](docs/" in line
    }
    assert linked and all(link.split("#")[0] in members for link in linked), linked - members
    assert {"LICENSE", "mkdocs.yml", "CHANGELOG.md"} <= members
