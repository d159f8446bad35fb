# Linli: the verbs. `make run` and `make test` work on a fresh machine (Debian, Python 3.11, Go).
# Python packages live in this checkout's own virtual environment, .venv: made when missing,
# re-installed from pyproject.toml when that file changed, never the machine's global Python.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP_FLAGS ?= -q --disable-pip-version-check
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: install run reset test unit integration e2e bench chaos lint up down clean distclean

install: $(VENV)/.installed

# Re-installed when pyproject.toml changes: an editable install registers the project's entry
# points (services, demo data, plugins) only when it is installed.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install $(PIP_FLAGS) -e ".[dev]"
	touch $@

$(PY):
	$(PYTHON) -m venv $(VENV)

run: install
	$(PY) -m shared.stack.run

reset: install
	$(PY) -m shared.stack.reset

test: install
	$(PY) -m pytest tests -q -p no:cacheprovider

unit: install
	$(PY) -m pytest tests/unit tests/service -q -p no:cacheprovider

integration: install
	$(PY) -m pytest tests/integration -q -p no:cacheprovider

e2e: install
	$(PY) -m pytest tests/e2e -q -p no:cacheprovider

bench: install
	$(PY) -m bench.rosters_chain
	$(PY) -m bench.cases_intake
	$(PY) -m bench.cases_stats
	$(PY) -m bench.volunteers_claims
	$(PY) -m bench.notifications_fanout
	$(PY) -m bench.hotline_sync
	$(PY) -m bench.gateway_requests

chaos: install
	$(PY) -m bench.chaos

lint: install
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

up:
	docker compose up -d --build

down:
	docker compose down

# Keeps .venv (re-made only when pyproject.toml changes); `make distclean` removes it too.
clean:
	rm -rf var .pytest_cache .ruff_cache .import_linter_cache .hypothesis *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
