# The two commands a newcomer needs: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test bench bench-replay lint format setup migrate demo clean

# Development installs requirements/dev.txt (production's base.txt pins plus the test
# and lint tools); production installs requirements/base.txt only.
$(BIN)/.installed: requirements/dev.txt requirements/base.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $@

# Front-end libraries from npm, exactly as package-lock.json pins them.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

setup: $(BIN)/.installed node_modules/.installed

migrate: setup
	$(BIN)/python manage.py migrate --noinput

# The demo: people, then the example workflows, then conversations the workflows process
# (in that order, so reports and timelines show their work). Safe to run again.
demo: migrate
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py seed_demo_workflows
	$(BIN)/python manage.py seed_demo_conversations

# Web server, Celery worker and beat (Procfile) on SQLite and the filesystem broker.
# The Procfile's banner process prints the URL and the demo logins once the server answers.
run: demo
	DEBUG=$${DEBUG:-true} $(BIN)/honcho start -f Procfile

# Tests keep their SQLite file and broker folder apart from `make run`'s.
test: export VAR_DIR := $(CURDIR)/var/test
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# DESIGN.md §9 Speed: the engine against the plain-SQL floor, interleaved, at 10, 100 and
# 1,000 live workflows (one message per transaction and bursts), and end to end (gunicorn,
# a Celery worker, beat and a redis-server it starts itself); median [min-max] of 3 runs,
# about 10 minutes. PostgreSQL only: DATABASE_URL=postgres://... make bench; BENCH_ARGS=--quick
# for a smoke run (the command migrates that database, creates its data, deletes it at the end).
bench: setup
	$(BIN)/python manage.py bench_engine $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var staticfiles .pytest_cache

# The inbox pages at 100,000 conversations (PostgreSQL: DATABASE_URL=postgres://…).
bench-inbox: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py seed_scale --conversations $${SCALE:-100000}
	$(BIN)/python manage.py bench_inbox

# Replay over 10,000 kept events (API.md "Versions, replay and lint"): min / median / max
# of 5 runs, a draft against the live version and the live version alone (PostgreSQL;
# the command rolls its data back).
bench-replay: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bench_replay $(BENCH_ARGS)
