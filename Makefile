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

# one pytest worker per CPU (pytest-xdist; 2 on a 2-core CI machine), the long tests first
# (tests/conftest.py); each worker starts its own PostgreSQL. The browser tests (tests/e2e) run
# beside them in a process of their own (one Streamlit server, one Chromium): they mostly wait
# for the browser (~30 % of one core), so they fit beside the workers instead of adding their
# ~2.5 minutes after them; their waits are conditions on the page (tests/e2e/e2e_kit.py
# settle), not sleeps that a busy machine outruns. Their output is printed after the first
# part's, from artifacts/e2e.log. (pytest-xdist's --dist loadgroup does not keep xdist_group
# tests on one worker under pytest 9.2 / xdist 3.8, and would tie up a worker anyway.)
# Both runs always run; the first failing exit code (5: no test ran) is make's.
# TEST_WORKERS=0 runs the first part in one process.
TEST_WORKERS ?= logical
E2E_LOG = artifacts/e2e.log

test: install
	PY=$(PY) sh scripts/test-setup.sh
	mkdir -p artifacts
	$(PY) -m pytest -q --timeout=900 --durations=15 -p no:cacheprovider tests/e2e >$(E2E_LOG) 2>&1 & e2e=$$!; \
	rc=0; \
	$(PY) -m pytest -q --timeout=900 --durations=15 -n $(TEST_WORKERS) --ignore=tests/e2e || rc=$$?; \
	wait $$e2e || { s=$$?; [ $$rc -ne 0 ] || rc=$$s; }; \
	echo "---- browser tests (tests/e2e, run beside the tests above; $(E2E_LOG)) ----"; \
	cat $(E2E_LOG); \
	exit $$rc

lint: install
	$(VENV)/bin/ruff check valuation tests

bench: install
	$(PY) benchmarks/bench_revalue.py --n 1000000

clean:
	rm -rf var artifacts .pytest_cache
