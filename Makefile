# One-command set-up: every target creates .venv on first use and re-installs only when
# requirements.txt, pyproject.toml or tools/lab_settings.py changed (the stamp is older).
# pip installs uv and the pinned torch, without dependencies: pip takes torch's CPU build from
# this machine's local wheels, which uv does not look at. uv installs the rest (torch's own
# dependencies included): measured on a fresh clone, 5 min 29 s with pip alone (it resolves one
# package page at a time), 96 s this way. Both installers' logs go to .venv/install.log.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
COURSE ?= .
ASSIGNMENT ?=
# When this make started: long targets end with one line saying what they did and how long it took.
START := $(shell date +%s)
ELAPSED = $$(( $$(date +%s) - $(START) )) s
# The suite in two parts (markers from tests/conftest.py): first in parallel, tests sharing one
# expensive fixture kept on one worker (--dist loadgroup); then, alone, the tests with wall-clock
# limits (marker `serial`). $(1): a marker expression for both parts ("" for all); a part it leaves
# empty (pytest's exit code 5, no tests) is not a failure.
# One worker per core: measured on a fresh clone, a third worker on 2 cores made the parallel part
# slower (1641 s against 1511 s), the grading end to end most of all (1158 s against 725 s).
PYTEST_PARALLEL := -n auto --dist loadgroup --durations=25
pytest_in_parts = status=0; \
	$(PY) -m pytest $(PYTEST_PARALLEL) -m "not serial$(if $(1), and $(1))" || status=$$?; \
	$(PY) -m pytest -m "serial$(if $(1), and $(1))" || { part=$$?; [ $$part = 5 ] || status=$$part; }
# make test-fast: everything except what needs the built book, a browser or grading end to end
# (whole grading runs and the sandbox's attack tests, which also need the machine alone)
FAST_MARKERS := not book and not browser and not e2e

.PHONY: setup book catalogs kit test test-fast lab bench browser sandbox clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml tools/lab_settings.py
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "Installing the course environment into $(VENV) (first time: about a minute):"
	@echo "  $$(grep -v '^#' requirements.txt | tr '\n' ' ')"
	@echo "  the installers' log: $(VENV)/install.log"
	@rm -f $(VENV)/install.log
	$(PY) -m pip install -qq --no-deps --log $(VENV)/install.log uv "$$(grep '^torch==' requirements.txt)"
	$(VENV)/bin/uv pip install --python $(PY) -r requirements.txt >> $(VENV)/install.log 2>&1 \
	  || { tail -30 $(VENV)/install.log; exit 1; }
	@$(PY) tools/lab_settings.py
	@touch $(STAMP)
	@echo "make setup: $(VENV) installed in $(ELAPSED)"

# Debian's chromium drives the browser tests, and fonts-noto-cjk draws the Chinese edition (and
# any Chinese in figures) instead of boxes; install them when we can (root with apt), else say so.
browser:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's$$missing for the browser tests and the Chinese edition..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "!!! WARNING: missing$$missing; cannot install here (need root + apt-get)."; \
		echo "!!! Without chromium the browser tests of the website are SKIPPED; without fonts-noto-cjk Chinese shows as boxes."; \
	fi

# The book's Sphinx extension (tools/book_extension.py) re-runs every chapter when src/convlab
# changed and vendors MathJax from the npm registry (first build only) so the site works offline.
# -q: Sphinx prints warnings and errors only; tools/book_extension.py prints the progress.
# Two editions (tools/build_book.py): English in _build/html/en, then Chinese in _build/html/zh from
# the gettext catalogs in locales/, sharing the execution cache (the second run executes nothing).
book: setup kit
	$(PY) tools/build_book.py
	@echo "make book: both editions are built ($(ELAPSED) in all); open file://$(CURDIR)/_build/html/index.html" \
	  "(English: _build/html/en/index.html, 中文: _build/html/zh/index.html)"

# After an English edit: the English messages into _build/gettext, then the Chinese catalogs
# updated (a changed message turns fuzzy until a translator reviews it; see TRANSLATING.md).
catalogs: setup kit
	$(PY) tools/build_book.py --gettext _build/gettext
	$(VENV)/bin/sphinx-intl update -p _build/gettext -l zh_CN -d locales

# The student kit (tools/kit.py): chapters as notebooks, the releases, convlab as a wheel, set-up
# for every OS; the landing page and the practice chapter offer it for download.
kit: setup
	@$(PY) tools/kit.py --out _build/kit

test: setup browser sandbox book
	@$(call pytest_in_parts,); \
	echo "make test: set-up, book build and the whole suite $$([ $$status = 0 ] && echo passed || echo FAILED) in $(ELAPSED)"; \
	exit $$status

# The inner loop: no book build, no browser, no end-to-end grading (see tests/conftest.py).
test-fast: setup
	@$(call pytest_in_parts,$(FAST_MARKERS)); \
	echo "make test-fast: the suite without book, browser and end-to-end grading $$([ $$status = 0 ] && echo passed || echo FAILED) in $(ELAPSED)"; \
	exit $$status

# JupyterLab at the repository root, as the authors work: book/ (the chapters, through jupytext)
# and work/, a student's copy of the releases (made once, ignored by git), so that trying an
# exercise never edits the committed release in exercises/. Root (a container, a cloud machine)
# needs --allow-root, or JupyterLab refuses to start.
lab: setup
	@for a in exercises/*/; do a=$${a%/}; a=$${a#exercises/}; \
		if [ ! -d work/$$a ]; then mkdir -p work && cp -r exercises/$$a work/$$a && echo "make lab: copied exercises/$$a to work/$$a (your copy)"; fi; done
	@echo "make lab: JupyterLab opens the chapters in book/ and your copy of the exercises in work/;"
	@echo "          its address (http://localhost:8888/lab?token=...) is printed below. Stop it with Ctrl+C."
	$(VENV)/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

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
	@$(PY) tools/grade.py --course "$(COURSE)" $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") $(ARGS); status=$$?; \
	echo "make grade: $$([ $$status = 0 ] && echo done || echo FAILED) in $(ELAPSED)"; exit $$status

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
