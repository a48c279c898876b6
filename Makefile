# The README's two commands. Both create .venv when missing and (re)install when pyproject.toml
# changes; `make test` also provisions the system tools the tests need (.ci/tools): as root it
# installs them with apt-get, otherwise it stops at once with one line naming what to install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

PYTEST_ARGS ?=

.PHONY: run test lint provision bench clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/minsheng db upgrade
	$(BIN)/minsheng demo load > /dev/null
	MINSHENG_ALLOW_DEMO_RULES=1 $(BIN)/minsheng serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

provision:
	@bash .ci/provision

# Without PYTEST_ARGS: the tests that need no real server on both cores (pytest-xdist; each worker
# has its own databases), then the real-server tests (sipp, rtpengine, Kamailio, Chromium…) one at a
# time, since they measure audio and call timing and share the machine's two cores badly.
test: provision lint
ifeq ($(strip $(PYTEST_ARGS)),)
	$(BIN)/pytest -m "not server" -n 2
	$(BIN)/pytest -m server
else
	$(BIN)/pytest $(PYTEST_ARGS)
endif

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

# The system tools first (.ci/tools: sipp, rtpengine, Kamailio, PostgreSQL, wrk…), then every
# benchmark (full sizes, long; QUICK=1: each one's --quick), then the table of
# docs/performance.md rewritten from the rows they emit (bench/report.py).
bench: provision $(VENV)/.installed-bench
	$(BIN)/python bench/report.py $(if $(QUICK),--quick)

# The message catalogues: the committed .po files are the source and are compiled in memory at
# first use, so nothing needs building; this writes the .mo files beside them for packagers
# (loaded instead when newer than their .po) and checks every .po parses.
messages: $(VENV)/.installed
	@for po in src/minsheng/locale/*/LC_MESSAGES/messages.po; do \
		$(BIN)/pybabel compile --statistics -i $$po -o $${po%.po}.mo || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
	rm -f src/minsheng/locale/*/LC_MESSAGES/*.mo
