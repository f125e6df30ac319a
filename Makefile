# django-pggit: every target creates/refreshes the virtualenv in .venv first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: demo test admin bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,docs]'
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

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis site
