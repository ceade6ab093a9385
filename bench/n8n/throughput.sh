#!/usr/bin/env bash
# Team Agent throughput in real n8n 2.41.1 (the e2e install: test/e2e/install-n8n.sh's cache) against
# the Ollama simulator, as a share of a bare client holding exactly N requests in flight against the
# same simulator (bench/n8n/bare-client.ts). Two cases (issue 9):
#   A. 200 items x 50 tokens, 1 backend with 4 slots (default decode: 125 tok/s alone, shared compute)
#   B. 2,000 items x 10 tokens, 8 slots, a fast model: the default one 32x faster in both phases
#      (decode 4,000 tok/s alone, prefill 128,000 tok/s; at the default 4,000 tok/s prefill each
#      prompt's step held every slot for ~5 ms and the backend, not the node, set the pace);
#      n8n runs with --cpu-prof (profile kept)
# Usage: bash bench/n8n/throughput.sh [A|B|AB]   (N8N_E2E_SKIP_BUILD=1 packs the existing dist/)
# Prints items/s of each and the ratio; work directory (logs, profiles) kept and printed.
set -Eeuo pipefail
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../test/e2e" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
source "$E2E_DIR/lib.sh"
source "$E2E_DIR/install-n8n.sh"
source "$E2E_DIR/n8n-package.sh"
CASES=${1:-AB}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/n8n-throughput.XXXXXX")
trap 'stop_all_bg' EXIT
log "work directory: $WORK"
ensure_n8n
install_package_into_n8n
export_n8n_env
export N8N_LOG_LEVEL=info

run_case() {
	local name=$1 items=$2 tokens=$3 slots=$4 tps=$5 prof=$6 prefill=${7:-}
	log "case $name: $items items x $tokens tokens, $slots slots, decode $tps tok/s alone"
	start_bg "$WORK/sim-$name.log" env -C "$REPO" node "$REPO/node_modules/tsx/dist/cli.mjs" test/simulator/cli.ts --port 0 \
		--parallel "$slots" --load-ms 0 --reply-tokens-min "$tokens" --reply-tokens-max "$tokens" ${tps:+--decode-tps "$tps"} ${prefill:+--prefill-tps "$prefill"}
	local sim_pid=$BG_PID line sim_url
	line=$(wait_for_line "$WORK/sim-$name.log" 'listening on http://127\.0\.0\.1:[0-9]+' 60 "$sim_pid") || die "simulator did not start" "$WORK/sim-$name.log"
	sim_url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' <<<"$line" | head -n 1)
	# the bare client: exactly $slots in flight (loads the model first)
	(cd "$REPO" && node node_modules/tsx/dist/cli.mjs bench/n8n/bare-client.ts "$sim_url" "$items" "$slots") >"$WORK/bare-$name.json"
	# the workflow: Manual Trigger -> Set (a list) -> Split Out -> Team Agent
	node "$REPO/bench/n8n/make-workflow.js" "$items" "$WORK/wf-$name.json"
	node "$E2E_DIR/make-fixtures.js" --repo "$REPO" --sim-url "$sim_url" --backend-name sim --out "$WORK/fx-$name" "$WORK/wf-$name.json" >"$WORK/fx-$name.summary.json"
	node -e 'const f=process.argv[1]; const c=require(f); for (const x of c) if (x.type==="ollamaClusterApi") x.data.backends.backend[0].parallel=Number(process.argv[2]); require("fs").writeFileSync(f, JSON.stringify(c));' "$WORK/fx-$name/credentials.json" "$slots"
	env PATH="$E2E_N8N_PATH" "$E2E_NODE24" "$E2E_N8N_CLI" import:credentials --input="$WORK/fx-$name/credentials.json" >"$WORK/import-$name.log" 2>&1
	env PATH="$E2E_N8N_PATH" "$E2E_NODE24" "$E2E_N8N_CLI" import:workflow --input="$WORK/fx-$name/workflows.json" >>"$WORK/import-$name.log" 2>&1
	local id
	id=$(node -p 'require(process.argv[1]).id' "$WORK/fx-$name/wf-$name.json")
	local nodeflags=()
	[[ $prof == 1 ]] && nodeflags=(--cpu-prof --cpu-prof-dir="$WORK/prof-$name")
	env PATH="$E2E_N8N_PATH" "$E2E_NODE24" "${nodeflags[@]}" "$E2E_N8N_CLI" execute --id="$id" --rawOutput >"$WORK/exec-$name.out" 2>"$WORK/exec-$name.err" ||
		die "n8n execute failed" "$WORK/exec-$name.err"
	node "$REPO/bench/n8n/report.js" "$name" "$WORK/exec-$name.out" "$WORK/bare-$name.json" "$items" "$tokens" "$slots" | tee -a "$WORK/report.txt"
	stop_bg "$sim_pid"
}

[[ $CASES == *A* ]] && run_case A 200 50 4 '' 0
[[ $CASES == *B* ]] && run_case B 2000 10 8 4000 1 128000
log "report: $WORK/report.txt"
cat "$WORK/report.txt"
