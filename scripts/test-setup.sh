#!/bin/sh
# Test set-up: system packages the real-component tests need.
# In CI (CI=true) PostgreSQL, Chromium and wrk are installed from Debian's packages; elsewhere they are
# installed when we are root and apt is available, otherwise the tests that need them skip with a
# printed reason. The PostgreSQL server itself is started by tests/conftest.py (scripts/ensure_postgres.sh).
set -e
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
# wrk: the C load generator of benchmarks/bench_service.py --load wrk (its smoke test)
command -v wrk >/dev/null 2>&1 || need="$need wrk"
# a CJK font so the dashboard screenshots show Chinese text instead of boxes
ls /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc >/dev/null 2>&1 || need="$need fonts-wqy-zenhei"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  need="$need postgresql"
fi
if [ -n "$need" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-setup: installing$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || true
    apt-get install -y -qq $need >/dev/null
  elif [ "$CI" = "true" ]; then
    echo "test-setup: CI needs$need but cannot install (not root / no apt)" >&2
    exit 1
  else
    echo "test-setup: missing$need — the tests needing them will skip (not CI)"
  fi
fi
# Jupyter kernel for the executed notebooks
"${PY:-.venv/bin/python}" -m ipykernel install --user --name python3 >/dev/null 2>&1 || true
