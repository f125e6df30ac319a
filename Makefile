# django-pggit: every target creates/refreshes the virtualenv in .venv first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: demo test admin bench docs lint dist clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,docs,lint]'
	touch $(STAMP)

## demo: tell the story on the embedded PostgreSQL (or DATABASE_URL)
demo: $(STAMP)
	$(PY) testproject/manage.py pggit_demo

## test: the whole test suite against a real PostgreSQL (and headless Chromium for the admin)
test: $(STAMP)
	bash .ci/ensure-chromium
	$(PY) -m pytest $(PYTEST_ARGS)

## admin: the test project's admin at http://127.0.0.1:8000/admin/ (user admin / admin)
admin: $(STAMP)
	$(PY) testproject/manage.py migrate --verbosity 0
	$(PY) testproject/manage.py pggit_demo_superuser
	$(PY) testproject/manage.py runserver 127.0.0.1:8000

## bench: the performance suite (BENCH_ARGS="--quick --json out.json")
bench: $(STAMP)
	$(PY) -m benchmarks $(BENCH_ARGS)

## docs: the documentation site in site/ (strict: a broken link or reference fails)
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict --quiet

## lint: ruff (check and format), mypy (strict on pggit/; tests, benchmarks and the test project
## non-strictly; settings in pyproject.toml) and the strict docs build. The tree must be clean.
## mypy's Django plugin imports testproject.settings: a placeholder DATABASE_URL keeps it from
## starting the embedded PostgreSQL (nothing connects to it).
## No SQL linter for pggit/sql/: sqlfluff (postgres dialect) reads a PL/pgSQL body as one string
## literal, so the 71 PL/pgSQL functions go unchecked; it cannot parse some valid PostgreSQL
## there (DROP EVENT TRIGGER IF EXISTS, the CREATE TABLE of pggit.merges) and its layout rules
## fight the aligned column lists. pgFormatter is a formatter, not a linter: it rewrites about
## 2,800 of the 4,600 lines and its output is not stable on 5 of the 14 files.
lint: $(STAMP)
	$(VENV)/bin/ruff check
	$(VENV)/bin/ruff format --check
	DATABASE_URL=postgres://lint@127.0.0.1:1/lint $(VENV)/bin/mypy
	$(MAKE) --no-print-directory docs

## dist: the sdist and wheel in dist/ (python -m build), their metadata and README checked by
## twine. The wheel carries LICENSE; the sdist also the docs (MANIFEST.in).
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --outdir dist
	$(VENV)/bin/twine check --strict dist/*

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache site dist build
