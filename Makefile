# Two commands do all the set-up on a fresh machine:
#   make run   — install, load the seed libraries into the embedded SQLite store, start the dashboard
#   make test  — install, start the test services (PostgreSQL, Chromium in CI), run every test
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-stamp
PORT   ?= 8501

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip >/dev/null 2>&1 || true
	$(PY) -m pip install -q -e '.[all]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/valuation init
	@if [ -f app.py ]; then \
	  $(VENV)/bin/streamlit run app.py --server.headless true --server.port $(PORT) --browser.gatherUsageStats false; \
	else \
	  for f in examples/cards/*.json; do $(VENV)/bin/valuation appraise $$f; echo; done; \
	fi

# one pytest worker per CPU (pytest-xdist; 2 on a 2-core CI machine). --dist loadgroup: the browser
# tests share one Streamlit server and one Chromium on one worker, and the long tests start first
# (tests/conftest.py); each worker starts its own PostgreSQL. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= logical

test: install
	sh scripts/test-setup.sh
	$(PY) -m pytest -q --timeout=900 --durations=15 -n $(TEST_WORKERS) --dist loadgroup

lint: install
	$(VENV)/bin/ruff check valuation tests

bench: install
	$(PY) benchmarks/bench_revalue.py --n 1000000

clean:
	rm -rf var artifacts .pytest_cache
