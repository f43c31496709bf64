#!/usr/bin/env bash
# End to end, no network, non-interactive: a fresh sandbox, the web server and a real
# run_huey worker; render pages, prove the worker processes a job; stop both.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export SANDBOX_DATA_DIR=${SANDBOX_DATA_DIR:-$(mktemp -d /tmp/gan-smoke-XXXXXX)}
export HF_HUB_OFFLINE=1
PORT=${SMOKE_PORT:-8765}
MANAGE="$PY sandbox/manage.py"
LOG="$SANDBOX_DATA_DIR/smoke"
mkdir -p "$LOG"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "smoke: data in $SANDBOX_DATA_DIR"
$MANAGE migrate --noinput >"$LOG/migrate.log"
$MANAGE sandbox_setup --password smoke >"$LOG/setup.log"
$MANAGE gan_c2pa_devcert --dir "$SANDBOX_DATA_DIR/c2pa" >"$LOG/c2pa.log"  # outputs get signed
$MANAGE run_huey --workers 1 --worker-type thread >"$LOG/worker.log" 2>&1 &
pids+=($!)
$MANAGE runserver --noreload "127.0.0.1:$PORT" >"$LOG/web.log" 2>&1 &
pids+=($!)

SMOKE_BASE="http://127.0.0.1:$PORT" timeout 540 $PY scripts/smoke_check.py || {
  echo "smoke: FAILED; worker log:"; tail -n 40 "$LOG/worker.log"
  echo "web log:"; tail -n 40 "$LOG/web.log"; exit 1; }
echo "smoke: OK"
