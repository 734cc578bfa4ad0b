# The two commands a newcomer needs: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test lint format setup migrate demo clean

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

setup: $(BIN)/.installed

migrate: setup
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo

# Web server, Celery worker and beat (Procfile) on SQLite and the filesystem broker.
run: demo
	@echo ""
	@echo "Inbox Workflows at http://127.0.0.1:8000  (Django admin: /admin/)"
	@echo ""
	DEBUG=$${DEBUG:-true} $(BIN)/honcho start -f Procfile

# Tests keep their SQLite file and broker folder apart from `make run`'s.
test: export VAR_DIR := $(CURDIR)/var/test
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var staticfiles .pytest_cache
