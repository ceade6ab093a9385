#!/usr/bin/env bash
# Fault matrix in a real n8n (npm run test:faults): `n8n execute` of a Team Agent workflow over
# N items (default 100, FAULTS_ITEMS) against two simulator backends, gpu-ok and gpu-faulty, with
# one fault injected into gpu-faulty per case. Every case asserts (assert-case.js): items in =
# items out (an answer, or an error item with On Error: continue), no item answered twice, no
# unhandled rejection or stack trace in n8n's output. Prints one line per case (answers, errors,
# backends). Reuses the e2e helpers (test/e2e/lib.sh, install-n8n.sh, n8n-package.sh).
#
# Cases: none, reset after the first token, hang before the first token, whole server hung,
# 500 storm, runner crashes, 503 (cold load behind OLLAMA_MAX_QUEUE 1), model 404, connection refused.
# Environment: FAULTS_ITEMS, FAULTS_CASES (comma list), N8N_E2E_SKIP_BUILD=1, N8N_E2E_KEEP=1,
# N8N_E2E_TIMEOUT (seconds per n8n command, default 240).

set -Eeuo pipefail

FAULTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$FAULTS_DIR/../.." && pwd)
E2E_DIR="$REPO/test/e2e"
# shellcheck source=../e2e/lib.sh
source "$E2E_DIR/lib.sh"
# shellcheck source=../e2e/install-n8n.sh
source "$E2E_DIR/install-n8n.sh"
# shellcheck source=../e2e/n8n-package.sh
source "$E2E_DIR/n8n-package.sh"

N8N_E2E_TIMEOUT=${N8N_E2E_TIMEOUT:-240}
ITEMS=${FAULTS_ITEMS:-100}
CASES=${FAULTS_CASES:-none,reset-after-first-token,hang-before-first-token,server-hang,500-storm,runner-crash,503-cold-load,model-404,refused}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/n8n-agent-team-faults.XXXXXX")
RESULTS=()

on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	if ((${#RESULTS[@]})); then
		printf '\n[faults] cases passed:\n' >&2
		printf '  - %s\n' "${RESULTS[@]}" >&2
	fi
	finish_run faults "$rc" "${N8N_E2E_KEEP:-}" "Logs, DB and fixtures"
	exit "$rc"
}
trap on_exit EXIT
trap 'log "interrupted"; exit 130' INT TERM
trap 'rc=$?; [[ $BASHPID == "$$" ]] && die "command failed (exit $rc) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR

require_cmd node npm curl tar setsid
log "work directory: $WORK"

phase "1. Node 24 + n8n $N8N_E2E_N8N_VERSION"
ensure_n8n

phase "2. build, pack and install the community package"
install_package_into_n8n
export_n8n_env

start_sim() { # start_sim NAME: a simulator CLI process; sets SIM_URL_<NAME>, SIM_PID_<NAME>
	local line
	start_bg "$WORK/sim-$1.log" env -C "$REPO" node "$REPO/node_modules/tsx/dist/cli.mjs" test/simulator/cli.ts --port 0 --parallel 4 --time-scale 0
	printf -v "SIM_PID_$1" '%s' "$BG_PID"
	line=$(wait_for_line "$WORK/sim-$1.log" 'listening on http://127\.0\.0\.1:[0-9]+' 60 "$BG_PID") || die "simulator $1 did not start" "$WORK/sim-$1.log"
	printf -v "SIM_URL_$1" '%s' "$(grep -oE 'http://127\.0\.0\.1:[0-9]+' <<<"$line" | head -n 1)"
}
# sim NAME PATH JSON: a control call on simulator NAME
sim() {
	local url_var="SIM_URL_$1"
	curl -sS --noproxy '*' --max-time 10 -X POST -H 'Content-Type: application/json' --data "$3" "${!url_var}$2" >/dev/null || die "POST $2 to simulator $1 failed"
}
warm() { # the simulator's tokenizer loads on its first chat (seconds): not inside a case
	local url_var="SIM_URL_$1"
	curl -sS --noproxy '*' --max-time 60 -X POST --data '{"model":"llama3.2:3b","messages":[{"role":"user","content":"warm"}],"stream":false}' "${!url_var}/api/chat" >/dev/null
}

phase "3. simulators gpu-ok and gpu-faulty, fixtures, import"
start_sim ok
start_sim faulty
warm ok
warm faulty
node "$FAULTS_DIR/make-fixtures.js" --repo "$REPO" --ok "$SIM_URL_ok" --faulty "$SIM_URL_faulty" --items "$ITEMS" --out "$WORK/fixtures" >"$WORK/fixtures.json"
WORKFLOW_ID=$(node -p 'require(process.argv[1]).workflowId' "$WORK/fixtures.json")
curl -sS --noproxy '*' --max-time 10 "$SIM_URL_faulty/_sim/options" >"$WORK/sim-faulty-options.json" || die "GET /_sim/options failed"
SAVED_MODELS=$(node -p 'JSON.stringify({ models: require(process.argv[1]).models })' "$WORK/sim-faulty-options.json")
n8n_cmd import-credentials import:credentials --input="$WORK/fixtures/credentials.json"
n8n_cmd import-workflows import:workflow --input="$WORK/fixtures/workflows.json"

DEFAULT_FAULTS='{"errorRate":0,"hangRate":0,"dropMidStreamRate":0,"firstTokenDelayMs":0,"failNext":0,"crashRate":0,"crashNext":0,"crashAfterTokens":3,"loadFailNext":0,"hang":0}'
inject() { # inject CASE: put the fault on gpu-faulty
	case $1 in
	none) ;;
	reset-after-first-token) sim faulty /_sim/faults '{"dropMidStreamRate":1}' ;;
	hang-before-first-token) sim faulty /_sim/faults '{"hangRate":1}' ;;
	server-hang) sim faulty /_sim/faults '{"hang":1}' ;;
	500-storm) sim faulty /_sim/faults '{"errorRate":1}' ;;
	runner-crash) sim faulty /_sim/faults '{"crashRate":0.5}' ;;
	503-cold-load)
		sim faulty /_sim/unload '{}'
		sim faulty /_sim/options '{"loadMs":3000,"maxQueue":1,"timeScale":1,"decodeTokensPerSec":2000,"prefillTokensPerSec":100000}'
		;;
	model-404) sim faulty /_sim/options '{"models":[{"name":"qwen2.5:0.5b"}]}' ;;
	refused) stop_bg "$SIM_PID_faulty" ;;
	*) die "unknown case $1" ;;
	esac
}
heal() { # heal CASE: back to a healthy gpu-faulty
	case $1 in
	refused) ;;
	503-cold-load) sim faulty /_sim/options '{"loadMs":300,"maxQueue":512,"timeScale":0}' ;;
	model-404) sim faulty /_sim/options "$SAVED_MODELS" ;;
	*) sim faulty /_sim/faults "$DEFAULT_FAULTS" ;;
	esac
}

phase "4. cases"
IFS=, read -r -a case_list <<<"$CASES"
for c in "${case_list[@]}"; do
	[[ $c == refused || -z ${seen_refused:-} ]] || die "case refused must come last"
	[[ $c == refused ]] && seen_refused=1
	inject "$c"
	t0=$(e2e_now)
	n8n_cmd "execute-$c" execute --id="$WORKFLOW_ID" --rawOutput
	summary=$(node "$FAULTS_DIR/assert-case.js" "$c" "$WORK/execute-$c.out" "$WORK/execute-$c.err" "$ITEMS") ||
		die "case $c failed" "$WORK/execute-$c.err" "$WORK/sim-faulty.log"
	RESULTS+=("$summary ($(e2e_elapsed "$t0") s)")
	log "$c: $summary"
	heal "$c"
done
phase_end
