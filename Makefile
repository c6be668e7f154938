# make run: set up, build the demo database if there is none, start the dashboard on 127.0.0.1
# and print the link (with this install's token) that opens the staff view.
# make serve: the deploy recipe on a test machine: Caddy (HTTPS, its own local CA) in front of the app
# on 127.0.0.1, with sign-in (your provider in .streamlit/secrets.toml, else a mock one).
# make test: install what is missing (.ci/setup), set up (with test tools) and run every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB ?= data/shop.duckdb
PORT ?= 8501

.PHONY: setup setup-dev test-tools run serve demo test bench bench-serve clean-demo

# Packages are installed by uv (pinned here; 20 s for everything against pip's 32 s on a fresh
# machine), itself installed by pip into the venv, and compiled to bytecode as pip does (with
# PYTHONDONTWRITEBYTECODE set, every process would otherwise compile them again). Where uv cannot be had or cannot reach the
# registry (it does not read pip's own settings: a mirror set in pip.conf), pip installs them.
UV_VERSION := 0.13.9
define install
	@echo "installing $(1) (uv $(UV_VERSION), else pip)"
	@{ $(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) && \
	  $(PY) -m uv pip install --quiet --compile-bytecode --python $(PY) $(1); } || \
	{ echo "uv could not install $(1): pip does" >&2; $(PY) -m pip install --quiet --upgrade pip && \
	  $(PY) -m pip install --quiet $(1); }
endef

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(call install,-r requirements.txt)
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(call install,-r requirements-dev.txt)
	touch $@

setup: $(VENV)/.runtime

setup-dev: $(VENV)/.dev

# A path with spaces ("…/Données SHOP/new.duckdb") cannot be a make target, so the demo database
# is built by a shell test rather than a file rule, and every use of $(DB) is quoted.
demo: | $(VENV)/.runtime
	@test -f "$(DB)" || SHOP_DB="$(DB)" $(PY) -m etl demo --db "$(DB)"

# The External view's tables are prepared first (at once when a load already did; after an upgrade
# of the program they are built again, rather than by the first External reader; a failure is the
# dashboard's to show, so it does not stop the start).
# Prints (and opens, where a desktop is found) the link with this install's token for the staff view.
# Each run draws a new token (links handed out before stop working); KEEP_TOKEN=1 keeps the old one.
run: setup demo
	-@SHOP_DB="$(DB)" $(PY) -m etl prepare --db "$(DB)"
	SHOP_DB="$(DB)" $(PY) -m ui.access --port $(PORT) $(if $(KEEP_TOKEN),--keep-token)

# https://localhost:8443 until Ctrl-C (SITE=https://name:port to choose); needs caddy (apt) and setup-dev.
SITE ?= https://localhost:8443
serve: setup-dev demo
	@command -v caddy >/dev/null || { echo "caddy is missing: sudo apt-get install caddy" >&2; exit 1; }
	-@SHOP_DB="$(DB)" $(PY) -m etl prepare --db "$(DB)"
	SHOP_DB="$(DB)" $(PY) -m deploy.serve --site "$(SITE)"

# chromium, fonts, python3-venv (apt, when root; else the exact command and exit 1) and axe-core (npm)
test-tools:
	.ci/setup

# The loader's tests again with DuckDB's CSV reader forced for every CSV it can read (the first
# pass reads the tests' small files with the slow reader): each reader path passes the same tests.
# The first pass lists the tests of these files whose CSVs the two readers would read differently
# (tests/reader_probe.py); only those run again. Two workers, a module's tests on one of them (its
# dashboard and databases are built once).
READER_TESTS := tests/test_load.py tests/test_read.py tests/test_validate.py tests/test_formats.py \
	tests/test_account.py tests/test_sheets.py tests/test_overlap.py tests/test_values.py \
	tests/test_privacy_screen.py tests/test_load_path.py tests/test_reliability.py tests/test_inbox.py \
	tests/test_workbook_faults.py
READERS_LIST := .pytest-readers
PYTEST_WORKERS ?= 2
# A hung test fails on its own (with its stack) after this many seconds; the rest still run.
TEST_TIMEOUT ?= 900

test: test-tools setup-dev
	rm -f $(READERS_LIST)
	SHOP_READER_TESTS_FILE="$(CURDIR)/$(READERS_LIST)" SHOP_READER_MODULES="$(READER_TESTS)" \
		$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder --timeout $(TEST_TIMEOUT) --durations 15
	touch $(READERS_LIST) && sort -u -o $(READERS_LIST) $(READERS_LIST)
	@echo "second pass, DuckDB's CSV reader forced: $$(wc -l < $(READERS_LIST)) tests"
	if [ -s $(READERS_LIST) ]; then \
		SHOP_FAST_CSV_BYTES=0 $(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadscope --timeout $(TEST_TIMEOUT) @$(READERS_LIST); fi

bench: setup-dev
	$(PY) -m bench.run
	$(PY) -m bench.info_loss

# 10 browser sessions (staff and board) through Caddy for a minute: errors, p95 page time, app memory.
bench-serve: setup-dev
	$(PY) -m bench.serve

clean-demo:
	rm -f "$(DB)" "$(DB).wal" "$(DB).lock" "$(DB).key"
	rm -rf "$(DB).release"
	rm -rf data/demo
