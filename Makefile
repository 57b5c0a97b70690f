# En dörr in – the front door. `make run` and `make test` work on a fresh clone; `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
FLASK := $(BIN)/flask --app wsgi
# The system libraries WeasyPrint loads, each beside the Debian package that has it (HarfBuzz subset embeds
# only the glyphs a receipt uses; WeasyPrint warns without it, and the tests treat warnings as errors).
LIBS := libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0 libharfbuzz.so.0:libharfbuzz0b \
        libharfbuzz-subset.so.0:libharfbuzz-subset0 libfontconfig.so.1:libfontconfig1
NODE_STAMP := node_modules/.installed-$(shell sha256sum package-lock.json | cut -c1-12)

# $(call apt-provide,command,debian-package): install the package when the command is missing, if this
# machine can (root with apt-get); otherwise say so and go on (the browser tests then skip, or fail under CI).
define apt-provide
if ! command -v $(1) >/dev/null 2>&1; then \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
    echo "Installing $(2) for the browser tests"; \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(2) >/dev/null; \
  else echo "$(1) is missing and cannot be installed here (needs root and apt-get): apt-get install $(2)"; fi; \
fi
endef

.DEFAULT_GOAL := help
.PHONY: help run serve worker jobs test test-fast test-browser browser-deps lint format i18n i18n-extract i18n-update db system-check clean bench bench-receipt bench-quick bench-tools

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s $$'\t'

system-check: ## check the system libraries WeasyPrint needs (installed with apt-get when missing, as root)
	@missing=""; for entry in $(LIBS); do ldconfig -p | grep -q "$${entry%%:*}" || missing="$$missing $${entry#*:}"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing$$missing for WeasyPrint"; \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }; } \
	  && missing=""; fi; \
	if [ -n "$$missing" ]; then \
	  echo "Missing system libraries for WeasyPrint. On Debian/Ubuntu: sudo apt-get install$$missing"; \
	  exit 1; fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*; touch $@

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d translations -l $*

i18n: $(STAMP) $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po)) ## compile the catalogs

i18n-extract: $(STAMP) ## collect interface text into translations/messages.pot
	$(BIN)/pybabel extract --no-location --sort-output --add-comments=Translators: -F translations/babel.cfg -k lazy_gettext -k N_ -k _l -o translations/messages.pot .

i18n-update: i18n-extract ## merge new interface text into every catalog
	$(BIN)/pybabel update --no-wrap -N -i translations/messages.pot -d translations

db: system-check $(STAMP) i18n ## migrate the database and load the bundled e-services
	$(FLASK) db upgrade
	$(FLASK) forms load
	$(FLASK) users bootstrap-admin

run: db ## serve on http://127.0.0.1:5000 (SQLite in instance/, mail as .eml files)
	$(FLASK) run --host 127.0.0.1 --port 5000 --debug

serve: db ## production server: gunicorn (settings in app/gunicorn_conf.py) against what ENDORRIN_* configures
	$(BIN)/gunicorn -c python:app.gunicorn_conf wsgi:app

worker: system-check $(STAMP) i18n ## background worker with the scheduler (Celery on ENDORRIN_REDIS_URL)
	@if [ -z "$$ENDORRIN_REDIS_URL" ]; then echo "Set ENDORRIN_REDIS_URL (without Redis the web processes do this work)."; exit 1; fi
	$(BIN)/celery -A wsgi:celery worker --beat --schedule "$${ENDORRIN_BEAT_SCHEDULE:-instance/celerybeat-schedule}" --loglevel "$${ENDORRIN_LOG_LEVEL:-INFO}"

jobs: $(STAMP) i18n ## without Redis: the scheduled jobs once (for cron)
	$(FLASK) jobs run

browser-deps: $(NODE_STAMP) ## Chromium and Java (apt-get), axe-core and vnu.jar (npm) for tests/browser
	@$(call apt-provide,chromium,chromium)
	@$(call apt-provide,java,default-jre-headless)

$(NODE_STAMP): package.json package-lock.json
	@$(call apt-provide,npm,npm)
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && rm -f node_modules/.installed-* && touch $@; fi

test-browser: $(STAMP) i18n browser-deps ## the browser tier alone: journeys in Chromium, axe-core, Nu Html Checker
	env -u TEST_DATABASE_URL $(BIN)/pytest -q tests/browser

test: system-check $(STAMP) i18n lint browser-deps ## lint, the suite on SQLite (with the browser tier), again on TEST_DATABASE_URL, then the cluster
	@# Two streams at once, one per core: the suite on SQLite with the browser tier, and beside it the web
	@# tier on TEST_DATABASE_URL followed by the cluster (its own database, <name>_cluster). The second
	@# stream uses Redis database 6 (TEST_REDIS_URL_SECOND), so neither empties the other's queue. Its
	@# output follows the first's. The fuzzer hunts at full strength on SQLite; on PostgreSQL a third of it
	@# looks for what only that database refuses.
	@log=$$(mktemp); \
	( set -e; export TEST_REDIS_URL=$${TEST_REDIS_URL_SECOND:-redis://127.0.0.1:6379/6}; \
	  if [ -n "$$TEST_DATABASE_URL" ]; then echo "== again against $$TEST_DATABASE_URL"; \
	    FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-250} $(BIN)/pytest -q -p no:cacheprovider tests/web; fi; \
	  echo "== the cluster: two gunicorn instances, a Celery worker, PostgreSQL, Redis (skipped if not reachable)"; \
	  $(BIN)/pytest -q -p no:cacheprovider -rs tests/cluster ) >"$$log" 2>&1 & \
	second=$$!; \
	echo "== on SQLite, with the browser tier (the PostgreSQL stream runs beside it; its output follows)"; \
	env -u TEST_DATABASE_URL $(BIN)/pytest -q --ignore=tests/cluster; first=$$?; \
	wait $$second; other=$$?; cat "$$log"; rm -f "$$log"; \
	test $$first -eq 0 -a $$other -eq 0

test-fast: $(STAMP) i18n ## unit and web tests on SQLite only, stop at the first failure
	env -u TEST_DATABASE_URL $(BIN)/pytest -q -x tests/unit tests/web

lint: $(STAMP) ## ruff and the import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP) ## format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-receipt: $(STAMP) ## receipt rendering: ours against stock WeasyPrint (ratio; target <= 0.4)
	$(BIN)/python -m bench.receipt

bench-tools: ## wrk, the load generator (Debian package; installed with apt-get when missing, as root)
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get install -y -qq wrk >/dev/null || \
	    { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; \
	  else echo "wrk is missing: sudo apt-get install wrk"; exit 1; fi; }

# BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench measures PostgreSQL (databases
# bench_small, bench_large, bench_pages are created); without it, SQLite files in instance/bench/.
bench: system-check $(STAMP) i18n bench-tools ## every benchmark, one table (docs/performance.md; a million cases are seeded once)
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: system-check $(STAMP) i18n bench-tools ## a shorter, noisier run of every benchmark (100 000 cases)
	$(BIN)/python -m bench --quick $(BENCH_ARGS)

clean: ## remove the virtual environment, node_modules, compiled catalogs and caches (not instance/)
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
	find translations -name '*.mo' -delete
