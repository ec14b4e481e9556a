# Alliance: `make demo` serves the app with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_ENV := DEBUG=true
PORT ?= 8000

.PHONY: demo test bench install lint format clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl-C to stop)"
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# SQLite unless DATABASE_URL is set. Browser tests need /usr/bin/chromium.
# One pytest worker per core (pytest-xdist); PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto
test: install
	$(BIN)/ruff check .
	$(BIN)/bandit -c pyproject.toml -r . --severity-level medium --quiet
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Needs PostgreSQL (started if down) and root for the role and databases; about 6 minutes.
bench: install
	bash .ci/postgres.sh alliance_bench alliance_bench_small
	$(BIN)/python -m bench.run

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
