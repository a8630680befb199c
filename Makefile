# One-command set-up: every target creates .venv on first use and re-installs only when
# requirements.txt or pyproject.toml changed (the stamp file is older than either).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
COURSE ?= .
ASSIGNMENT ?=

.PHONY: setup book test lab bench browser clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "Installing the course environment into $(VENV) (first time: about 2 minutes)..."
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
	@$(PY) tools/lab_settings.py
	@touch $(STAMP)

# Debian's chromium drives the browser tests; install it when we can (root with apt), else say so.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "!!! WARNING: chromium is not installed and cannot be installed here (need root + apt-get)."; \
		echo "!!! The browser tests of the website will be SKIPPED. Install Debian's chromium to run them."; \
	fi

# The book's Sphinx extension (tools/book_extension.py) re-runs every chapter when src/convlab
# changed and vendors MathJax from the npm registry (first build only) so the site works offline.
book: setup
	$(VENV)/bin/jupyter-book build . --builder html -W -n --keep-going
	@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

test: setup browser sandbox book
	$(PY) -m pytest

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=.

bench: setup
	$(PY) benchmarks/run.py

clean:
	rm -rf _build

# Autograde every submission in $(COURSE)/submitted (ASSIGNMENT=name for one) on a Dask cluster
# (a LocalCluster of one worker per core unless ARGS="--scheduler ADDRESS"), each submission in
# bubblewrap sandboxes, then feedback/ and $(COURSE)/grades.csv (see book/instructors.md).
# More options in ARGS, e.g. ARGS="--student bob" or ARGS=--no-isolation.
.PHONY: grade
grade: setup sandbox
	$(PY) tools/grade.py --course "$(COURSE)" $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") $(ARGS)

# Debian's bubblewrap sandboxes student code when grading, and PostgreSQL serves the tests of the
# shared gradebook: install them when we can (root with apt), else say what is missing.
.PHONY: sandbox
sandbox:
	@missing=""; command -v bwrap >/dev/null 2>&1 || missing="$$missing bubblewrap"; \
	command -v setpriv >/dev/null 2>&1 || missing="$$missing util-linux"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's$$missing (grading sandboxes, PostgreSQL for the tests)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "!!! WARNING: missing$$missing (need root + apt-get to install)."; \
		echo "!!! Without bubblewrap, make grade refuses to grade unless ARGS=--no-isolation."; \
	fi
