#!/usr/bin/env bash
# Editor test in a real browser (npm run test:ui).
#
#   1. Node 24 + n8n (the cache test/e2e/install-n8n.sh fills), the package built, packed and installed
#      into a throwaway N8N_USER_FOLDER (test/e2e/n8n-package.sh, the same steps as npm run test:e2e)
#   2. the Ollama simulator and `n8n start`, both on loopback
#   3. Debian's chromium driven by playwright-core (test/ui/editor.ts): owner set up through n8n's
#      REST API, then every node and credential the package declares is opened in the editor and each
#      property its description declares must render a control a user can set (editor.ts explains how)
#   4. screenshots into docs/images/ (UI_SCREENSHOTS=0 skips writing them)
#   5. every process stopped from the EXIT trap
#
# Environment:
#   CHROMIUM               the browser binary (default: chromium on PATH, /usr/bin/chromium)
#   N8N_UI_KEEP=1          keep the work directory (logs, DB, browser console) even when the test passes
#   N8N_E2E_SKIP_BUILD=1   pack the existing dist/ without running npm run build
#   N8N_E2E_CACHE, ...     see test/e2e/install-n8n.sh

set -Eeuo pipefail

UI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$UI_DIR/../.." && pwd)
E2E_DIR="$REPO/test/e2e"
# shellcheck source=../e2e/lib.sh
source "$E2E_DIR/lib.sh"
# shellcheck source=../e2e/install-n8n.sh
source "$E2E_DIR/install-n8n.sh"
# shellcheck source=../e2e/n8n-package.sh
source "$E2E_DIR/n8n-package.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/n8n-agent-team-ui.XXXXXX")

on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	finish_run ui "$rc" "${N8N_UI_KEEP:-}" "Logs, DB and browser console"
	exit "$rc"
}
trap on_exit EXIT
trap 'log "interrupted"; exit 130' INT TERM
trap 'rc=$?; [[ $BASHPID == "$$" ]] && die "command failed (exit $rc) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR

require_cmd node npm curl tar setsid flock
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)}
[[ -x $CHROMIUM ]] || die "no chromium found (apt-get install chromium, or set CHROMIUM=/path/to/chrome)"
log "work directory: $WORK; browser: $CHROMIUM"

phase "1. n8n $N8N_E2E_N8N_VERSION and the package"
ensure_n8n
install_package_into_n8n
export_n8n_env

phase "2. Ollama simulator and n8n start"
start_bg "$WORK/sim.log" env -C "$REPO" node "$REPO/node_modules/tsx/dist/cli.mjs" test/simulator/cli.ts --port 0 --parallel 4
SIM_PID=$BG_PID
line=$(wait_for_line "$WORK/sim.log" 'Ollama simulator listening on http://127\.0\.0\.1:[0-9]+' 60 "$SIM_PID") ||
	die "the simulator did not start within 60s" "$WORK/sim.log"
SIM_URL=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' <<<"$line" | head -n 1)

start_bg "$WORK/n8n-start.log" env PATH="$E2E_N8N_PATH" "$E2E_NODE24" "$E2E_N8N_CLI" start
N8N_PID=$BG_PID
N8N_URL="http://127.0.0.1:$N8N_PORT"
wait_for_http "$N8N_URL/healthz/readiness" 180 "$N8N_PID" || die "n8n start never became ready ($N8N_URL/healthz/readiness)" "$WORK/n8n-start.log"
log "simulator $SIM_URL, n8n $N8N_URL"

phase "3. editor in chromium: every node and credential"
env -C "$REPO" N8N_URL="$N8N_URL" SIM_URL="$SIM_URL" CHROMIUM="$CHROMIUM" UI_WORK="$WORK" \
	UI_SCREENSHOTS="${UI_SCREENSHOTS:-1}" UI_PACKAGE_DIR="$PKG_DIR" \
	node "$REPO/node_modules/tsx/dist/cli.mjs" test/ui/editor.ts ||
	die "the editor test failed (browser console: $WORK/console.log)" "$WORK/n8n-start.log"
grep -iE 'Failed to load package|Skipping package' "$WORK/n8n-start.log" && die "n8n could not load $PKG_NAME" "$WORK/n8n-start.log"

phase "4. stop n8n and the simulator"
stop_bg "$N8N_PID"
stop_bg "$SIM_PID"
phase_end
