# credit_control — set up, run, test and lint the addon on Odoo 18.0 Community.
PYTHON ?= python3
DB ?= credit_control
PORT ?= 8069
ADDONS_PATH = $(shell $(PYTHON) -c "import odoo.addons, os; print(','.join([p for p in odoo.addons.__path__ if os.path.isdir(os.path.join(p, 'base'))] + ['$(CURDIR)/addons']))" 2>/dev/null)

.PHONY: setup run db test bench lint pot help

help:
	@echo "make run    set up everything, create the '$(DB)' database with demo data, start Odoo on :$(PORT)"
	@echo "make test   run the test suite on a fresh database, then a tiny benchmark run (smoke)"
	@echo "make bench  benchmark the daily run against OCA and raw SQL (BENCH_ARGS=--large for 1M items)"
	@echo "make lint   ruff + pylint-odoo mandatory checks"
	@echo "make pot    re-export the .pot files of credit_control and credit_control_stock"

setup:
	./scripts/setup.sh

db: setup
	PYTHON=$(PYTHON) ./scripts/create_demo_db.sh $(DB)

run: db
	@echo "Odoo starts at http://localhost:$(PORT) — log in as admin / admin"
	cd /tmp && $(PYTHON) -m odoo -d $(DB) --addons-path=$(ADDONS_PATH) --http-port=$(PORT) --db-filter='^$(DB)$$'

test: setup
	./scripts/start_postgres.sh
	$(PYTHON) scripts/run_tests.py
	$(PYTHON) scripts/bench.py --smoke --db credit_control_bench_smoke --json .bench/smoke.json

bench: setup
	./scripts/start_postgres.sh
	$(PYTHON) scripts/bench.py $(BENCH_ARGS)

lint:
	$(PYTHON) -m ruff format --check addons scripts
	$(PYTHON) -m ruff check addons scripts
	$(PYTHON) -m pylint --rcfile=.pylintrc addons/credit_control addons/credit_control_stock

pot:
	./scripts/start_postgres.sh
	dropdb --if-exists credit_control_pot
	cd /tmp && $(PYTHON) -m odoo -d credit_control_pot --addons-path=$(ADDONS_PATH) -i credit_control,credit_control_stock \
		--without-demo=all --stop-after-init --log-level=warn
	for module in credit_control credit_control_stock; do \
		cd /tmp && $(PYTHON) -m odoo -d credit_control_pot --addons-path=$(ADDONS_PATH) \
			--i18n-export=$(CURDIR)/addons/$$module/i18n/$$module.pot --modules=$$module --stop-after-init --log-level=warn; \
	done
	dropdb --if-exists credit_control_pot
