# make run   – install everything, migrate a SQLite database, load the demo ICS, serve it
# make test  – install what the tests need (PostgreSQL, Chromium) and run the whole suite
# make bench – the benchmarks, printed as a table

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run serve test lint bench install vendor clean

run: install vendor
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	@echo "Serving on http://127.0.0.1:5000 (Ctrl-C to stop)"
	@# The demo runs the scheduled jobs and the solver inside the web server; production runs
	@# both in `flask scheduler run`.
	SCHEDULER_IN_WEB=1 SOLVES_IN_WEB=1 $(BIN)/flask run --host 127.0.0.1 --port 5000

install: $(VENV)/.installed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

# Front-end packages come from the npm registry (package.json + lock), built into app/static.
vendor: app/static/vendor/.built

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

app/static/vendor/.built: node_modules/.installed scripts/build-vendor.sh
	bash scripts/build-vendor.sh
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check app passport bank rota insights tests bench config.py wsgi.py
	$(BIN)/lint-imports

test: install vendor
	bash scripts/test.sh

bench: install vendor
	bash scripts/ensure-test-deps.sh
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules app/static/vendor .test-pg .pytest_cache
