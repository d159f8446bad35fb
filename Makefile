# Linli: the verbs. `make run` and `make test` work on a fresh machine (Debian, Python 3.11, Go).
PYTHON ?= python3
PIP_FLAGS ?= -q --disable-pip-version-check
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: install run reset test unit integration e2e bench chaos lint up down clean

install:
	$(PYTHON) -m pip install $(PIP_FLAGS) -e ".[dev]"

run: install
	$(PYTHON) -m shared.stack.run

reset:
	$(PYTHON) -m shared.stack.reset

test: install
	$(PYTHON) -m pytest tests -q -p no:cacheprovider

unit: install
	$(PYTHON) -m pytest tests/unit -q -p no:cacheprovider

integration: install
	$(PYTHON) -m pytest tests/integration -q -p no:cacheprovider

e2e: install
	$(PYTHON) -m pytest tests/e2e -q -p no:cacheprovider

bench: install
	$(PYTHON) -m bench.rosters_chain
	$(PYTHON) -m bench.cases_intake
	$(PYTHON) -m bench.cases_stats

chaos: install
	$(PYTHON) -m bench.chaos

lint:
	$(PYTHON) -m ruff check .

up:
	docker compose up -d --build

down:
	docker compose down

clean:
	rm -rf var .pytest_cache .ruff_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
