# Two commands on a fresh machine that has only Python 3.11+:
#   make run    set up .venv, run the standard experiments on the embedded MLflow store
#   make test   set up .venv, run the test suite
#   make server AUTH=1   team tracking server with users and passwords (admin password from
#                        $RISKKIT_ADMIN_PASSWORD or $RISKKIT_ADMIN_PASSWORD_FILE; see README, Team server)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 5000
HOST   ?= 127.0.0.1
AUTH   ?=
EXPERIMENTS ?= data_profile credit_scorecard credit_xgboost market_var risk_register portfolio_monitoring early_warning
PYTEST_ARGS ?=
# Test processes: most tests wait on kernels, servers and subprocesses, so 3 keep 2 cores busy.
TEST_WORKERS ?= 3

.PHONY: setup run test ui server bench clean help

help:
	@echo "make run | make test | make ui | make server | make bench | make clean"

# uv (from PyPI, installed by pip) installs the dependencies in about 30 s on a fresh 2-core
# machine, where pip takes 67 s with a warm download cache and 87 s without; pip is the fallback.
# uv writes no bytecode (compiling all of it would cost another 40 s), so Python compiles each
# module on its first import and keeps the .pyc: the recipes run with PYTHONDONTWRITEBYTECODE
# unset (with it set, every process, kernel and runner, would compile MLflow again).
unexport PYTHONDONTWRITEBYTECODE
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "riskkit needs Python 3.11+ (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv && $(BIN)/python -m uv pip install --quiet --python $(BIN)/python -e '.[dev]' \
	  || { echo "uv failed: installing with pip instead" >&2; \
	       $(BIN)/python -m pip install --quiet --upgrade pip && $(BIN)/python -m pip install --quiet -e '.[dev]'; }
	# compile the fast GARCH path's numba kernels once (cached on disk): otherwise the first
	# processes that fit GARCH models (test workers, notebook kernels) each compile them (3.5 s CPU)
	$(BIN)/python -m riskkit.market._garch_kernels || true
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	@set -e; for name in $(EXPERIMENTS); do \
	  if [ -f experiments/$$name.yaml ]; then \
	    echo "== riskkit run experiments/$$name.yaml"; \
	    $(BIN)/riskkit run experiments/$$name.yaml --wait; \
	  fi; \
	done
	@echo
	@echo "Results: MLflow store sqlite:///$(CURDIR)/mlflow.db, artifacts in $(CURDIR)/mlartifacts,"
	@echo "         executed notebooks in $(CURDIR)/runs/"
	@echo "Alerts:  $(BIN)/riskkit alerts list --status open   (ledger runs/alerts/alert_ledger.sqlite)"
	@echo "Monthly risk report: report/risk_report.html of the latest portfolio-monitoring run, or"
	@echo "         $(BIN)/riskkit risk-report --month 2024-12 -o risk_report.html"
	@echo "Open the MLflow UI with: make ui   (then browse http://127.0.0.1:$(PORT))"

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15 $(PYTEST_ARGS)

ui: $(STAMP)
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlflow.db \
	  --default-artifact-root $(CURDIR)/mlartifacts --host 127.0.0.1 --port $(PORT)

server: $(STAMP)
	$(BIN)/python -m riskkit.app.server --host $(HOST) --port $(PORT) $(if $(AUTH),--auth)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

clean:
	rm -rf runs mlartifacts mlflow.db .pytest_cache
